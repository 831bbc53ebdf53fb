//! What becomes of a task: run once at once, its vars and body, the
//! return codes, an exception, `at`, tasks left from before a start,
//! priorities, and uWSGI's own task files.

use std::path::Path;

use serde_json::json;

use super::{SLOW, SpoolApp, task_files};
use uwsgid_e2e::{TestDir, wait_until};

/// The canonical path of the app's spool directory.
fn real_spool(app: &SpoolApp) -> String {
    std::fs::canonicalize(app.spool_dir())
        .expect("the spool directory exists")
        .display()
        .to_string()
}

#[test]
fn a_spooled_task_runs_once_at_once_in_the_spooler_with_uwsgis_lines() {
    let app = SpoolApp::start("");
    let spool = real_spool(&app);
    let path = app.get("/job?one");
    let path = path.as_str().expect("spool() answers the task's path");
    assert!(
        path.starts_with(&format!("{spool}/uwsgi_spoolfile_on_")),
        "{path}"
    );
    let name = Path::new(path)
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    // spooler-frequency is an hour: only the wake-up runs it this soon.
    let record = app.wait_record("job-one");
    assert_eq!(
        record["args"],
        json!({"id": "one", "ud_spool_func": "job", "ud_spool_ret": "-2",
               "spooler_task_name": name})
    );
    assert_eq!(record["spooler"], json!(true));
    assert_eq!(record["cwd"], json!(spool));
    let info = app.get("/info");
    assert_eq!(record["pid"], info["pid"], "{info}");
    assert_eq!(info["spoolers"], json!([spool]));
    let pid = info["pid"].as_i64().expect("a pid");
    wait_until("the task file's removal", SLOW, || {
        app.task_files().is_empty().then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", app.task_files()));
    app.wait_log(&format!(
        "[spooler {spool} pid: {pid}] done with task {name} after "
    ));
    let log = app.server.log();
    assert!(
        log.contains(&format!("[spooler] written 51 bytes to file {path}\n")),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "[spooler {spool} pid: {pid}] managing request {name} ...\n"
        )),
        "{log}"
    );
    assert!(!app.records().keys().any(|k| k.starts_with("dup-")));
}

#[test]
fn arguments_bodies_and_the_task_functions() {
    let app = SpoolApp::start("");
    app.get("/job_args?x");
    let record = app.wait_record("args-x");
    assert_eq!((&record["a"], &record["b"]), (&json!("x"), &json!("bee")));
    // uWSGI 2.0.31's answer to uwsgi.lock() in a spooler.
    assert_eq!(
        record["lock"],
        json!("The spooler cannot lock/unlock resources")
    );
    let raw = app.get("/raw_spool?withbody");
    // uWSGI takes the body out of the caller's dict.
    assert_eq!(raw["left"], json!(["id", "ud_spool_func", "ud_spool_ret"]));
    let later = raw["path"].as_str().expect("a path");
    assert!(
        raw["jobs"]
            .as_array()
            .expect("jobs")
            .contains(&json!(later)),
        "{raw}"
    );
    assert_eq!(
        raw["task"],
        json!({"spooler_task_name": later, "ud_spool_func": "job", "id": "later",
               "ud_spool_ret": "-2", "at": raw["task"]["at"], "body": "\u{0}\u{ff}"})
    );
    let record = app.wait_record("job-withbody");
    assert_eq!(record["args"]["body"], json!("the body"));
    // The task for later is still there, not run.
    assert!(!app.records().contains_key("job-later"));
    assert!(Path::new(later).exists());
}

#[test]
fn an_exception_is_logged_and_the_task_retried_and_retry_and_ignore_are_honoured() {
    let app = SpoolApp::start("spooler-frequency = 1");
    app.get("/flaky?f");
    let record = app.wait_record("flaky-f");
    assert_eq!(record["attempts"], json!(2));
    let log = app.server.log();
    assert!(log.contains("RuntimeError: flaky task fails once"), "{log}");
    app.get("/raw?r");
    assert_eq!(app.wait_record("raw-r")["attempts"], json!(2));
    app.get("/forever?x");
    app.wait_record("forever-x-1");
    app.wait_record("forever-x-2");
    assert_eq!(app.task_files().len(), 1, "SPOOL_RETRY keeps the file");
    let ignored = app.get("/ignore?i");
    app.wait_record("job-i");
    app.wait_log(
        "unable to find the spooler function, have you loaded it into the spooler process ?",
    );
    let ignored = ignored.as_str().expect("a path");
    assert!(Path::new(ignored).exists(), "SPOOL_IGNORE keeps the file");
}

#[test]
fn at_holds_a_task_until_its_time_and_set_spooler_frequency_is_shared() {
    let app = SpoolApp::start("");
    // The configured hour would hold the task that long: the frequency
    // the app sets reaches the spooler from its next wait.
    assert_eq!(app.get("/frequency?1"), json!(true));
    app.get("/job?wake");
    app.wait_record("job-wake");
    app.get("/at?a");
    let record = app.wait_record("job-a");
    let at: f64 = record["args"]["at"]
        .as_str()
        .expect("at")
        .parse()
        .expect("a number");
    let ran = record["at"].as_f64().expect("a time");
    assert!(ran >= at.floor(), "ran at {ran}, due at {at}");
}

/// A task file as uWSGI writes it (`packet.rs` has the format).
fn write_task(dir: &Path, name: &str, vars: &[(&str, &str)]) {
    let mut block = Vec::new();
    for (k, v) in vars {
        for part in [k, v] {
            block.extend_from_slice(&u16::try_from(part.len()).expect("short").to_le_bytes());
            block.extend_from_slice(part.as_bytes());
        }
    }
    let mut bytes = vec![17];
    bytes.extend_from_slice(&u16::try_from(block.len()).expect("short").to_le_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&block);
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join(format!("uwsgi_spoolfile_on_test_{name}")), bytes).expect("write");
}

fn job_vars(id: &str) -> [(&str, &str); 3] {
    [("ud_spool_func", "job"), ("id", id), ("ud_spool_ret", "-2")]
}

#[test]
fn tasks_left_before_a_start_run_in_priority_order_with_spooler_ordered() {
    let dir = TestDir::new().expect("a test dir");
    let spool = dir.join("spool");
    write_task(&spool.join("3"), "a", &job_vars("p3"));
    write_task(&spool.join("1"), "b", &job_vars("p1"));
    write_task(&spool, "c", &job_vars("top"));
    // Written by uWSGI 2.0.31's uwsgi.spool() (id "fromuwsgi", a body).
    std::fs::write(
        spool.join("uwsgi_spoolfile_on_vm_18481_1_311865048_1796282481_216037"),
        include_bytes!("uwsgi_task.bin"),
    )
    .expect("write uWSGI's task");
    let app = SpoolApp::start_in(dir, "spooler-ordered = true");
    let from_uwsgi = app.wait_record("job-fromuwsgi");
    assert_eq!(from_uwsgi["args"]["body"], json!("uwsgi body"));
    let times: Vec<f64> = ["job-p1", "job-p3", "job-top"]
        .iter()
        .map(|name| app.wait_record(name)["at"].as_f64().expect("a time"))
        .collect();
    assert!(times[0] < times[1] && times[1] < times[2], "{times:?}");
}

#[test]
fn without_spooler_ordered_priority_subdirectories_wait_as_in_uwsgi() {
    let dir = TestDir::new().expect("a test dir");
    let spool = dir.join("spool");
    write_task(&spool.join("1"), "b", &job_vars("p1"));
    write_task(&spool, "c", &job_vars("top"));
    let app = SpoolApp::start_in(dir, "");
    // A task spooled with a priority lands in its subdirectory.
    let spooled = app.get("/priority?prio,7");
    let spooled = spooled.as_str().expect("a path");
    assert!(
        spooled.contains("/spool/7/uwsgi_spoolfile_on_"),
        "{spooled}"
    );
    app.wait_record("job-top");
    app.get("/job?after");
    app.wait_record("job-after");
    // Two passes went by: uWSGI looks into priority directories only
    // with spooler-ordered.
    let records = app.records();
    assert!(
        !records.contains_key("job-p1") && !records.contains_key("job-prio"),
        "{records:?}"
    );
    assert_eq!(task_files(&app.spool_dir().join("1")).len(), 1);
}
