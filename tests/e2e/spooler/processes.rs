//! The spooler processes: several on one directory never run a task
//! twice, `spooler-harakiri`, `spooler-max-tasks`,
//! `touch-spoolers-reload`, a reload that lets the task finish, a brutal
//! stop that leaves it for the next start.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use nix::sys::signal::Signal;
use serde_json::json;

use uwsgid_e2e::TestDir;

use super::{SLOW, SpoolApp};
use uwsgid_e2e::wait_until;

#[test]
fn several_spooler_processes_on_one_directory_run_each_task_once() {
    let app = SpoolApp::start("spooler-processes = 3");
    let pids = app.spooler_pids(3);
    let distinct: BTreeSet<i64> = pids.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "{pids:?}");
    assert_eq!(app.get("/info")["pid"], json!(pids[0]));
    let ids: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
    let threads: Vec<_> = ids
        .chunks(10)
        .map(|chunk| {
            let port = app.port;
            let chunk = chunk.to_vec();
            std::thread::spawn(move || {
                for id in chunk {
                    let r = uwsgid_e2e::curl(port, &format!("/job?{id}"))
                        .run()
                        .expect("curl");
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("the client thread");
    }
    for id in &ids {
        app.wait_record(&format!("job-{id}"));
    }
    wait_until("every task file's removal", SLOW, || {
        app.task_files().is_empty().then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", app.task_files()));
    let records = app.records();
    let dups: Vec<&String> = records.keys().filter(|k| k.starts_with("dup-")).collect();
    assert!(dups.is_empty(), "tasks run twice: {dups:?}");
    let ran_in: BTreeSet<i64> = ids
        .iter()
        .filter_map(|id| records[&format!("job-{id}")]["pid"].as_i64())
        .collect();
    assert!(
        ran_in.is_subset(&distinct),
        "{ran_in:?} not in {distinct:?}"
    );
}

#[test]
fn spooler_harakiri_kills_a_long_task_and_a_new_spooler_runs_it_again() {
    let app = SpoolApp::start("spooler-harakiri = 2\nspooler-frequency = 1");
    let first = app.spooler_pids(1)[0];
    app.get("/slow?s,30");
    app.wait_record("slow-started-s");
    app.wait_log(&format!("*** HARAKIRI ON THE SPOOLER (pid: {first}) ***"));
    let record = app.wait_record("slow-s");
    assert_eq!(record["attempts"], json!(2));
    let second = record["pid"].as_i64().expect("a pid");
    assert_ne!(second, first, "a new spooler process ran it");
    assert_eq!(app.spooler_pids(1), vec![second]);
}

#[test]
fn spooler_max_tasks_recycles_the_process() {
    let app = SpoolApp::start("spooler-max-tasks = 2");
    let first = app.spooler_pids(1)[0];
    for id in ["a", "b"] {
        app.get(&format!("/job?{id}"));
        assert_eq!(app.wait_record(&format!("job-{id}"))["pid"], json!(first));
    }
    app.wait_log(&format!(
        "pid: {first}] maximum number of tasks reached (2) recycling ..."
    ));
    app.get("/job?c");
    let third = app.wait_record("job-c")["pid"].as_i64().expect("a pid");
    assert_ne!(third, first);
}

#[test]
fn touch_spoolers_reload_replaces_the_spooler_processes() {
    let app = SpoolApp::start("touch-spoolers-reload = reload-spoolers");
    let touched = app
        .dir
        .write("reload-spoolers", "")
        .expect("the touch file");
    let first = app.spooler_pids(1)[0];
    let later = SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&touched)
        .and_then(|f| f.set_modified(later))
        .expect("touch");
    app.wait_log("reload-spoolers has been touched... spoolers reload !!! ***");
    let second = wait_until("a new spooler", SLOW, || {
        let pid = app.get("/info")["pid"].as_i64()?;
        (pid > 0 && pid != first).then_some(pid)
    })
    .unwrap_or_else(|e| panic!("{e}\nlog:\n{}", app.server.log()));
    app.get("/job?after");
    assert_eq!(app.wait_record("job-after")["pid"], json!(second));
}

#[test]
fn a_reload_lets_the_running_task_finish_in_the_old_spooler() {
    let app = SpoolApp::start("");
    let old = app.spooler_pids(1)[0];
    app.get("/slow?g,3");
    app.wait_record("slow-started-g");
    app.server
        .signal(Signal::SIGHUP)
        .expect("SIGHUP to the master");
    let record = app.wait_record("slow-g");
    assert_eq!(
        (&record["attempts"], &record["pid"]),
        (&json!(1), &json!(old))
    );
    app.wait_log(&format!("spooler (pid: {old}) annihilated"));
    wait_until("the task file's removal", SLOW, || {
        app.task_files().is_empty().then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", app.task_files()));
    let new = app.spooler_pids(1)[0];
    assert_ne!(new, old);
}

#[test]
fn a_brutal_stop_ends_the_task_at_once_and_it_runs_after_the_next_start() {
    let mut app = SpoolApp::start("");
    app.get("/slow?b,60");
    app.wait_record("slow-started-b");
    app.server
        .signal(Signal::SIGINT)
        .expect("SIGINT to the master");
    app.server
        .wait_exit(Duration::from_secs(30))
        .expect("the app stops without waiting for the task");
    assert_eq!(app.task_files().len(), 1, "the task is still there");
    let SpoolApp { dir, .. } = app;
    let again = SpoolApp::start_in(dir, "");
    assert_eq!(again.wait_record("slow-b")["attempts"], json!(2));
}

#[test]
fn a_uwsgi_signal_to_the_spooler_target_runs_in_a_spooler_process() {
    let app = SpoolApp::start("spooler-processes = 2");
    let pids = app.spooler_pids(2);
    app.get("/signal?17");
    let record = app.wait_record("signal-17");
    let pid = record["pid"].as_i64().expect("a pid");
    assert!(pids.contains(&pid), "{pid} is not a spooler: {pids:?}");
    assert_eq!(record["spooler"], json!(true));
}

#[test]
fn a_uwsgi_signal_raised_before_the_spooler_is_up_waits_for_it() {
    let dir = TestDir::new().expect("a test dir");
    dir.write("hold-spooler", "")
        .expect("hold the spooler back");
    let app = SpoolApp::start_in(dir, "");
    // The workers serve; the spooler is still importing the app.
    app.get("/signal?17");
    assert!(app.records().is_empty(), "{:?}", app.records());
    app.dir.write("go-spooler", "").expect("let the spooler go");
    let record = app.wait_record("signal-17");
    assert_eq!(record["spooler"], json!(true));
    let log = app.server.log();
    assert!(!log.contains("could not deliver signal 17"), "{log}");
}
