//! The log file the master owns: `log-master`, `log-maxsize` rotation
//! under load, `log-backupname`, `log-reopen` on reload, `logto2`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;
use uwsgid_e2e::Python;

use super::*;

/// `log` and its rotated files (`log.<epoch>`), oldest first, the current
/// file last.
fn log_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    let prefix = format!("{name}.");
    backups.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(&prefix))
            .is_some_and(|epoch| epoch.parse::<u64>().is_ok())
    });
    backups.sort();
    backups.push(dir.join(name));
    backups
}

/// Every 200 the clients got, as `client-number`: `clients` threads sending
/// `GET /r/<client>-<n>` over keep-alive connections for `seconds`.
const LOAD: &str = r#"
import http.client, json, sys, threading, time
port, clients, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
done, lock = [], threading.Lock()
def client(c):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        rid = f"{c}-{n}"
        n += 1
        try:
            conn.request("GET", f"/r/{rid}")
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                with lock:
                    done.append(rid)
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(done))
"#;

/// `log-maxsize` under load: four workers write request lines while the
/// master rotates the file again and again (at most once a second, to
/// `<logto>.<epoch>`); once the server stopped, every answered request's
/// line is in exactly one of the files, whole, and each rotated file ends
/// with uWSGI's rotation line.
#[test]
fn rotation_under_load_loses_and_repeats_no_line() {
    let mut app = LogApp::start(&[
        "--processes",
        "4",
        "--threads",
        "2",
        "--logto",
        "app.log",
        // About 70 bytes a line: some 15 requests a second rotate the
        // file every second, even on a slow machine.
        "--log-maxsize",
        "1024",
        "--log-format",
        "R %(uri) %(status) ..................................................",
    ]);
    let out = Python::script(LOAD)
        .arg(app.port.to_string())
        .arg("8")
        .arg("5")
        .timeout(Duration::from_secs(60))
        .run()
        .expect("the load clients");
    let answered: Vec<String> = serde_json::from_str(out.trim()).expect("the clients' JSON");
    assert!(answered.len() > 100, "{} requests", answered.len());
    app.server.stop().expect("a graceful stop");
    let files = log_files(app.dir.path(), "app.log");
    assert!(files.len() >= 4, "rotated at least 3 times: {files:?}");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).expect("a log file");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("R /r/") {
                let id = rest
                    .split_once(" 200 ....")
                    .map(|(id, _)| id)
                    .unwrap_or_else(|| panic!("{line:?}"));
                *seen.entry(id.to_string()).or_default() += 1;
            }
        }
        if i + 1 < files.len() {
            let last = text.lines().last().unwrap_or_default();
            let name = file.display().to_string();
            assert!(
                last.ends_with(&format!("triggering rotation to {name}...")),
                "{name} ends with {last:?}"
            );
        }
    }
    for id in &answered {
        assert_eq!(seen.get(id), Some(&1), "the line of /r/{id}");
    }
    assert!(seen.values().all(|&n| n == 1), "a line twice");
}

/// `log-master`: the workers' stderr is a socket to the master, and their
/// lines reach the `logto` file through it.
#[test]
fn log_master_carries_the_workers_lines() {
    let app = LogApp::start(&[
        "--processes",
        "2",
        "--logto",
        "app.log",
        "--log-master",
        "--log-format",
        "M %(uri)",
    ]);
    app.get("/through-master");
    let log = app.path("app.log");
    wait_until("the line in the file", DEFAULT_TIMEOUT, || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines().any(|l| l == "M /through-master").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}"));
    let children = app.server.descendants();
    assert!(!children.is_empty());
    for child in children {
        let fd2 = std::fs::read_link(format!("/proc/{}/fd/2", child.pid)).unwrap_or_default();
        assert!(
            fd2.to_string_lossy().starts_with("socket:"),
            "{} writes to {fd2:?}",
            child.pid
        );
    }
}

/// `log-backupname`: the rotated file has that name, relative to the
/// master's directory (uWSGI overwrites it at the next rotation).
#[test]
fn log_backupname_names_the_rotated_file() {
    let app = LogApp::start(&[
        "--logto",
        "app.log",
        "--log-maxsize",
        "200",
        "--log-backupname",
        "old.log",
        "--log-format",
        "N %(uri)",
    ]);
    let old = app.path("old.log");
    wait_until("a rotation to old.log", DEFAULT_TIMEOUT, || {
        app.get("/fill-the-log");
        let text = std::fs::read_to_string(&old).unwrap_or_default();
        // The name as configured, as uWSGI writes it.
        text.contains("triggering rotation to old.log...")
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}"));
}

/// `log-reopen`: after the file was moved away, a reload opens `logto`
/// again and the next requests' lines land in the new file; with and
/// without `log-master`.
#[test]
fn log_reopen_on_reload_writes_to_a_new_file() {
    for extra in [&[][..], &["--log-master"][..]] {
        let mut args = vec![
            "--logto",
            "app.log",
            "--log-reopen",
            "--log-format",
            "O %(uri)",
        ];
        args.extend_from_slice(extra);
        let app = LogApp::start(&args);
        let log = app.path("app.log");
        std::fs::rename(&log, app.path("moved.log")).expect("move the log away");
        app.server.signal(Signal::SIGHUP).expect("SIGHUP");
        wait_until("a line in the reopened file", DEFAULT_TIMEOUT, || {
            app.get("/after-reopen");
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.lines().any(|l| l == "O /after-reopen").then_some(())
        })
        .unwrap_or_else(|e| panic!("{extra:?}: {e:#}"));
    }
}

/// `logto2`: the log file opened after the privilege drop (here, none):
/// the lines go there.
#[test]
fn logto2_is_the_log_file() {
    let app = LogApp::start(&["--logto2", "late.log", "--log-format", "L %(uri)"]);
    app.get("/late");
    let log = app.path("late.log");
    wait_until("the line in logto2's file", DEFAULT_TIMEOUT, || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines().any(|l| l == "L /late").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}"));
}

/// With `log-master`, a master that fails to start still gets its error
/// into the file: the log thread drains before the process exits.
#[test]
fn log_master_keeps_the_error_of_a_failed_start() {
    let dir = TestDir::new().expect("temp dir");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("the uwsgid binary")
        .args(["--http-socket", "127.0.0.1:0", "--log-master", "--logto"])
        .arg(dir.join("app.log"))
        .arg("--pidfile")
        .arg(dir.join("missing/dir/app.pid"))
        .args(["--wsgi-file", "app.py"])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("the master exits");
    assert!(!status.success());
    let text = std::fs::read_to_string(dir.join("app.log")).unwrap_or_default();
    assert!(text.contains("cannot write the pidfile"), "{text}");
}
