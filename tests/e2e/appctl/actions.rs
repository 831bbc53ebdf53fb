//! Reload (with its progress, under load), Scale and Stop over the control
//! socket.

use std::collections::BTreeSet;

use uwsgid_e2e::Python;
use uwsgid_proto::v1::{AppRequest, ReloadProgress, ReloadRequest, ScaleRequest};

use super::*;

/// Runs a Reload to its end; every progress message.
fn reload(app: &App, no_wait: bool) -> Vec<ReloadProgress> {
    app.call(async |mut c: Client| {
        let req = ReloadRequest {
            no_wait,
            ..ReloadRequest::default()
        };
        let mut stream = c.reload(req).await?.into_inner();
        let mut out = Vec::new();
        while let Some(msg) = stream.message().await? {
            out.push(msg);
        }
        Ok(out)
    })
    .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", app.server.log()))
}

#[test]
fn a_reload_streams_its_progress_and_clients_see_no_failure() {
    let app = App::start("slow_app.py", "processes = 2", &[]);
    let before: BTreeSet<u32> = pids(&app.status()).into_iter().collect();
    let stop = app.dir.join("stop-load");
    let load = Python::script(include_str!("../reload/load_client.py"))
        .arg(app.port.to_string())
        .arg(&stop)
        .arg("8")
        .timeout(Duration::from_secs(600));
    let load = std::thread::spawn(move || load.run_json());
    app.wait(|a| a.requests > 5);

    let progress = reload(&app, false);
    let phases: Vec<&str> = progress.iter().map(|p| p.phase.as_str()).collect();
    assert_eq!(phases.first(), Some(&"requested"), "{progress:?}");
    assert_eq!(phases.last(), Some(&"done"), "{progress:?}");
    assert!(phases.contains(&"starting"), "{progress:?}");
    let draining = progress
        .iter()
        .find(|p| p.phase == "draining")
        .expect("a draining step");
    assert_eq!((draining.ready, draining.total), (2, 2), "{draining:?}");
    assert!(progress.iter().all(|p| p.error.is_empty()), "{progress:?}");
    assert_eq!(progress.last().map(|p| p.generation), Some(2));

    let after = app.wait(|a| a.state == "running" && a.generation == 2);
    let now: BTreeSet<u32> = pids(&after).into_iter().collect();
    assert_eq!(now.len(), 2, "{after:?}");
    assert!(now.is_disjoint(&before), "{before:?} → {now:?}");
    assert!(
        after.workers.iter().all(|w| w.last_exit == "reload"),
        "{after:?}"
    );

    std::fs::write(&stop, b"").expect("stop the load");
    let result = load
        .join()
        .expect("the load thread")
        .expect("the load runs");
    let failures = result["failures"].as_array().map_or(0, Vec::len);
    assert_eq!(failures, 0, "{result}\n{}", app.server.log());
    assert!(result["ok"].as_u64().unwrap_or(0) > 10, "{result}");
}

#[test]
fn reload_no_wait_answers_at_once_and_restart_is_a_reload() {
    let app = App::start("pid_app.py", "", &[]);
    let first = reload(&app, true);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].phase, "requested");
    app.wait(|a| a.state == "running" && a.generation == 2);
    let restart = app
        .call(async |mut c: Client| Ok(c.restart(AppRequest::default()).await?.into_inner()))
        .expect("restart");
    assert!(restart.message.contains("graceful reload"), "{restart:?}");
    app.wait(|a| a.state == "running" && a.generation == 3);
}

#[test]
fn scale_up_and_down_changes_the_workers() {
    let app = App::start("pid_app.py", "processes = 1", &[]);
    let scale = |processes| {
        app.call(async move |mut c: Client| {
            let req = ScaleRequest {
                processes,
                ..ScaleRequest::default()
            };
            Ok(c.scale(req).await?.into_inner())
        })
    };
    scale(3).expect("scale to 3");
    let up = app.wait(|a| a.state == "running" && pids(a).len() == 3);
    assert_eq!(up.processes, 3);
    scale(1).expect("scale to 1");
    let down = app.wait(|a| a.processes == 1 && pids(a).len() == 1);
    assert_eq!(down.workers.len(), 1, "{down:?}");
    assert_eq!(app.get("/").status, 200);
    let err = scale(0).expect_err("no app runs without workers");
    assert_eq!(code_of(&err), Some(tonic::Code::InvalidArgument));
}

#[test]
fn stop_ends_the_master_with_0_and_removes_the_control_socket() {
    let mut app = App::start("pid_app.py", "processes = 2", &[]);
    let workers = app.server.descendants();
    let reply = app
        .call(async |mut c: Client| Ok(c.stop(AppRequest::default()).await?.into_inner()))
        .expect("stop");
    assert!(reply.message.contains("stopping gracefully"), "{reply:?}");
    let status = app.server.wait_exit(WAIT).expect("the master exits");
    assert_eq!(status.code(), Some(0), "{}", app.server.log());
    assert!(!app.control.exists(), "the control socket is removed");
    assert!(workers.iter().all(|p| !p.is_alive()), "no worker is left");
}
