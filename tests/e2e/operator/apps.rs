//! Two apps under one supervisor: status before any request, the actions
//! on one app leaving the other alone, and the apps directory as the source
//! of truth (a new ini starts an app, a deleted one stops it).

use super::*;

#[test]
fn status_shows_both_apps_with_worker_memory_before_any_request() {
    let site1 = AppSpec::new("mysite1", 2);
    let site2 = AppSpec::new("mysite2", 1);
    let host = Host::start(&[site1.clone(), site2.clone()]);

    let status = host.status_json(None);
    for (app, workers) in [(&site1, 2), (&site2, 1)] {
        let entry = app_of(&status, &app.name);
        assert_eq!(entry["state"], "running", "{entry}");
        assert!(entry["master_pid"].as_u64().unwrap_or(0) > 0, "{entry}");
        control::assert_fresh_workers(entry, workers);
    }

    let table = host.ctl_ok(&["status"]);
    for app in [&site1, &site2] {
        let line = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(app.name.as_str()))
            .unwrap_or_else(|| panic!("no line for {} in:\n{table}", app.name));
        assert!(line.contains("running"), "{line}");
    }
    assert!(answers(site1.port) && answers(site2.port));
}

#[test]
fn stop_start_restart_and_scale_do_what_they_say() {
    let site1 = AppSpec::new("mysite1", 1);
    let site2 = AppSpec::new("mysite2", 1);
    let host = Host::start(&[site1.clone(), site2.clone()]);
    let other = host.worker_pids(&site1.name);

    host.ctl_ok(&["stop", "mysite2"]);
    assert!(!answers(site2.port), "a stopped app does not answer");
    let out = host.ctl(&["status", "mysite2"]);
    assert_eq!(code(&out), Some(3), "status of a stopped app exits 3");
    assert_eq!(
        app_of(&host.status_json(None), "mysite2")["state"],
        "stopped"
    );

    host.ctl_ok(&["start", "mysite2"]);
    let started = host.wait_running("mysite2");
    assert!(answers(site2.port));

    host.ctl_ok(&["restart", "mysite2"]);
    let restarted = host.wait_running("mysite2");
    assert_ne!(
        started.master_pid, restarted.master_pid,
        "restart: a new master"
    );
    assert!(answers(site2.port));

    host.ctl_ok(&["scale", "mysite2", "3"]);
    let scaled = control::wait_app(&host.control(), "mysite2", APP_TIMEOUT, |a| {
        a.workers.iter().filter(|w| w.pid > 0).count() == 3 && a.state == "running"
    })
    .expect("three workers");
    assert_eq!(scaled.workers.len(), 3);
    host.ctl_ok(&["scale", "mysite2", "1"]);
    control::wait_app(&host.control(), "mysite2", APP_TIMEOUT, |a| {
        a.workers.len() == 1 && a.state == "running"
    })
    .expect("back to one worker");

    assert_eq!(
        host.worker_pids(&site1.name),
        other,
        "mysite1 was not touched"
    );
    let unknown = host.ctl(&["stop", "nosuchapp"]);
    assert_eq!(code(&unknown), Some(4), "an unknown app exits 4");
}

#[test]
fn a_new_ini_starts_an_app_and_deleting_it_stops_it() {
    let site1 = AppSpec::new("mysite1", 1);
    let host = Host::start(std::slice::from_ref(&site1));

    let site3 = AppSpec::new("mysite3", 1);
    let ini = write_app(&host.dir, &site3, "");
    let running = host.wait_running("mysite3");
    assert!(answers(site3.port));

    std::fs::remove_file(&ini).expect("delete the ini");
    uwsgid_e2e::wait_until("mysite3 to be gone", APP_TIMEOUT, || {
        let gone = code(&host.ctl(&["status", "mysite3"])) == Some(4);
        (gone && !answers(site3.port)).then_some(())
    })
    .expect("deleting the ini stops the app");
    let master = uwsgid_e2e::process::ProcId::of(running.master_pid as i32);
    assert!(master.is_none_or(|m| !m.is_alive()), "its master ended");
    assert!(answers(site1.port), "the other app serves on");
    assert!(exists(&host.apps_dir()));
}
