//! The real `uwsgictl` against a standalone app master
//! (`uwsgid --ini X --control SOCK`): status as a table and as JSON (memory
//! read before any request), reload with its progress, scale, logs, check of
//! a good and a bad ini, the supervisor-only actions refused, and stop.

use std::time::Duration;

use uwsgid_e2e::{Server, ServerBuilder, app_path, control, free_port};

use super::*;

/// Starting, reloading and stopping on a busy 2-core machine.
const APP_TIMEOUT: Duration = Duration::from_secs(60);

/// The app is named after its ini file's stem.
const APP: &str = "ctlapp";

/// One app master serving `pid_app.py` on 127.0.0.1 with its control API,
/// ready (every worker slot live). The server stops before the directory
/// goes (field order).
struct Standalone {
    server: Server,
    dir: TestDir,
}

impl Standalone {
    fn start(processes: u32) -> Standalone {
        let dir = TestDir::new().expect("temp dir");
        let port = free_port().expect("a free port");
        let ini = format!(
            "[uwsgi]\nmaster = true\nprocesses = {processes}\nhttp-socket = 127.0.0.1:{port}\n\
             wsgi-file = {}\nreload-mercy = 20\nlogto = {}\n",
            app_path("pid_app.py").display(),
            dir.join("app.log").display(),
        );
        let ini = dir
            .write(&format!("{APP}.ini"), ini)
            .expect("write the ini");
        let server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
            .expect("uwsgid is built")
            .arg("--control")
            .arg(dir.join("control.sock"))
            .arg("--ini")
            .arg(&ini)
            .current_dir(dir.path())
            .stop_timeout(APP_TIMEOUT)
            .start()
            .expect("uwsgid starts");
        let app = Standalone { server, dir };
        app.wait_running(processes as usize);
        app
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("control.sock")
    }

    /// Polls the control API until the app runs with `workers` live workers.
    fn wait_running(&self, workers: usize) -> uwsgid_proto::v1::AppStatus {
        control::wait_app(&self.socket(), APP, APP_TIMEOUT, |a| {
            a.state == "running" && a.workers.iter().filter(|w| w.pid > 0).count() == workers
        })
        .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.server.log()))
    }

    /// `uwsgictl --socket SOCK ARGS…`.
    fn ctl(&self, args: &[&str]) -> Output {
        let socket = self.socket();
        let mut all = vec!["--socket", socket.to_str().expect("utf-8 path")];
        all.extend_from_slice(args);
        uwsgictl(&all).expect("uwsgictl runs")
    }

    /// `uwsgictl ARGS…` that must exit 0; its stdout.
    fn ctl_ok(&self, args: &[&str]) -> String {
        let out = self.ctl(args);
        let (stdout, stderr) = texts(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "uwsgictl {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}\nlog:\n{}",
            self.server.log()
        );
        stdout
    }
}

#[test]
fn status_shows_the_workers_and_their_memory_before_any_request() {
    let app = Standalone::start(2);

    let json: serde_json::Value =
        serde_json::from_str(&app.ctl_ok(&["--json", "status"])).expect("status --json is JSON");
    let apps = json["apps"].as_array().expect("apps");
    assert_eq!(apps.len(), 1, "{json}");
    let entry = &apps[0];
    assert_eq!(entry["name"], APP, "{entry}");
    assert_eq!(entry["state"], "running", "{entry}");
    assert_eq!(
        entry["master_pid"].as_u64(),
        Some(u64::from(app.server.pid() as u32))
    );
    uwsgid_e2e::control::assert_fresh_workers(entry, 2);
    let workers = entry["workers"].as_array().expect("workers");

    let table = app.ctl_ok(&["status"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().expect("a header").split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME", "STATE", "PID", "WORKERS", "REQUESTS", "UPTIME", "GEN"
        ]
    );
    let row: Vec<&str> = lines.next().expect("a row").split_whitespace().collect();
    let master = app.server.pid().to_string();
    assert_eq!(
        &row[..4],
        [APP, "running", master.as_str(), "2/2"],
        "{table}"
    );
    assert!(
        table.contains("  ID  PID") && table.contains("RSS") && table.contains("LAST-EXIT"),
        "{table}"
    );
    for w in workers {
        let pid = w["pid"].as_u64().expect("pid").to_string();
        let line = table
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(pid.as_str()))
            .unwrap_or_else(|| panic!("no line for worker {pid}:\n{table}"));
        // RSS, PSS and VSZ in human units (`5.2M`), not dashes.
        let cells: Vec<&str> = line.split_whitespace().collect();
        for cell in &cells[4..7] {
            assert!(cell.ends_with(['K', 'M', 'G']), "{cell} in {line}");
        }
    }

    let unknown = app.ctl(&["status", "nosuchapp"]);
    assert_eq!(unknown.status.code(), Some(4), "{:?}", texts(&unknown));
}

#[test]
fn reload_shows_its_progress_and_replaces_every_worker() {
    let app = Standalone::start(2);
    let before = app.wait_running(2);

    let progress = app.ctl_ok(&["reload", APP]);
    let lines: Vec<&str> = progress.lines().collect();
    assert!(lines.len() >= 2, "progress lines:\n{progress}");
    assert!(
        lines.iter().all(|l| l.starts_with("ctlapp: ")),
        "{progress}"
    );
    let generation = before.generation + 1;
    assert_eq!(
        lines.last().copied(),
        Some(format!("{APP}: reloaded (generation {generation})").as_str()),
        "{progress}"
    );
    assert!(
        progress.contains(&format!("{APP}: generation {generation}")),
        "{progress}"
    );

    let after = app.wait_running(2);
    assert_eq!(after.generation, generation);
    let old: Vec<u32> = before.workers.iter().map(|w| w.pid).collect();
    assert!(
        after.workers.iter().all(|w| !old.contains(&w.pid)),
        "every worker replaced: {old:?} -> {:?}",
        after.workers
    );

    let json = app.ctl_ok(&["--json", "reload", APP, "--no-wait"]);
    let first: serde_json::Value =
        serde_json::from_str(json.lines().next().expect("one line")).expect("a JSON line");
    assert_eq!(first["app"], APP, "{json}");
}

#[test]
fn scale_logs_and_stop() {
    let app = Standalone::start(1);

    app.ctl_ok(&["scale", APP, "3"]);
    app.wait_running(3);
    app.ctl_ok(&["scale", APP, "2"]);
    control::wait_app(&app.socket(), APP, APP_TIMEOUT, |a| {
        a.state == "running" && a.workers.len() == 2
    })
    .expect("back to two workers");

    let logs = app.ctl_ok(&["logs", APP, "-n", "5"]);
    let count = logs.lines().count();
    assert!((1..=5).contains(&count), "{count} lines:\n{logs}");

    let refused = app.ctl(&["rescan"]);
    let (_, stderr) = texts(&refused);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("uwsgictl: "), "{stderr}");

    let stopped = app.ctl(&["stop", APP]);
    assert_eq!(stopped.status.code(), Some(0), "{:?}", texts(&stopped));
    let mut server = app.server;
    let status = server.wait_exit(APP_TIMEOUT).expect("the master exits");
    assert_eq!(status.code(), Some(0), "{}", server.log());
}

#[test]
fn check_tells_a_good_ini_from_a_bad_one() {
    let app = Standalone::start(1);
    let good = app
        .dir
        .write(
            "good.ini",
            "[uwsgi]\nproject = shop\nprocesses = 2\nmodule = shop.wsgi\n",
        )
        .expect("write");
    let bad = app
        .dir
        .write("bad.ini", "[uwsgi]\nmaster = true\nprocesses = abc\n")
        .expect("write");

    let out = app.ctl_ok(&["check", good.to_str().expect("utf-8")]);
    assert!(
        out.lines()
            .next()
            .is_some_and(|l| l.ends_with(": valid, app shop")),
        "{out}"
    );

    let json = app.ctl_ok(&["--json", "check", good.to_str().expect("utf-8")]);
    let resolved: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(resolved["options"]["processes"], 2, "{json}");

    let out = app.ctl(&["check", bad.to_str().expect("utf-8")]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains(": invalid"), "{stdout}");
    let error = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{stdout}"));
    assert!(
        error.contains("bad.ini:3") && error.contains("processes"),
        "{error}"
    );
}
