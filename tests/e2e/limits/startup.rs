//! `logto` (the whole app's output appended to a file, no detach) and the
//! warning for a root master without `uid`.

use std::io::Write;

use uwsgid_e2e::{DEFAULT_TIMEOUT, curl, wait_until};

use super::*;

#[test]
fn logto_appends_every_process_output_to_the_file() {
    let dir = TestDir::new().expect("temp dir");
    let logto = dir.join("app.log");
    {
        let mut file = std::fs::File::create(&logto).expect("create");
        writeln!(file, "an earlier line").expect("write");
    }
    let logto_arg = logto.to_str().expect("utf-8 path").to_owned();
    let (mut server, port) = start_http(&dir, "pid_app.py", &["--logto", &logto_arg]);
    let pid = served_pid(curl(port, "/logged")).expect("served");
    let text = || std::fs::read_to_string(&logto).unwrap_or_default();
    wait_until(
        "the request line in the logto file",
        DEFAULT_TIMEOUT,
        || text().contains("GET /logged =>").then_some(()),
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", text()));
    let content = text();
    assert!(
        content.starts_with("an earlier line\n"),
        "appended:\n{content}"
    );
    assert!(
        content.contains("spawned uWSGI master process"),
        "{content}"
    );
    assert!(
        content.contains(&format!("[pid: {pid}|worker: 1|")),
        "{content}"
    );
    // No detach: the launched process is the master and still runs.
    server
        .ensure_running()
        .expect("the master runs in the foreground");
    assert!(
        content.contains(&format!("(pid: {})", server.pid())),
        "{content}"
    );
    assert!(
        !server.log().contains("spawned uWSGI master"),
        "nothing on stderr"
    );
}

#[test]
fn a_root_master_without_uid_is_warned_about() {
    let dir = TestDir::new().expect("temp dir");
    let (server, _port) = start_http(&dir, "pid_app.py", &[]);
    let warning = "*** WARNING: you are running uWSGI as root !!! (use the --uid flag) ***";
    let root = nix::unistd::Uid::effective().is_root();
    assert_eq!(server.log().contains(warning), root, "{}", server.log());
}

/// Under a supervisor (systemd's `INVOCATION_ID`, or uwsgid's own
/// `UWSGID_SUPERVISED`) `daemonize` only logs to its file: the launched
/// process keeps running, so the supervisor does not lose track of it.
#[test]
fn daemonize_under_a_supervisor_only_logs_to_the_file() {
    for (var, by) in [
        ("INVOCATION_ID", "systemd"),
        ("UWSGID_SUPERVISED", "the uwsgid supervisor"),
    ] {
        let dir = TestDir::new().expect("temp dir");
        let log = dir.join("daemon.log");
        let port = free_port().expect("a free port");
        let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
            .expect("the uwsgid binary")
            .args(["--http-socket", &format!("127.0.0.1:{port}"), "--master"])
            .arg("--wsgi-file")
            .arg(app_path("pid_app.py"))
            .arg("--daemonize")
            .arg(&log)
            .env(var, "1")
            .current_dir(dir.path())
            .start()
            .expect("uwsgid starts");
        // It answers while the launched process itself still runs.
        wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("the app answers");
        let served = served_pid(curl(port, "/kept")).expect("served");
        server
            .ensure_running()
            .expect("the launched process did not detach");
        let text = || std::fs::read_to_string(&log).unwrap_or_default();
        wait_until("the request line in the log file", DEFAULT_TIMEOUT, || {
            text().contains("GET /kept =>").then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", text()));
        let content = text();
        let note = format!(
            "started by {by}: logging to {} without detaching",
            log.display()
        );
        assert!(content.contains(&note), "{content}");
        assert!(
            content.contains(&format!(
                "spawned uWSGI master process (pid: {})",
                server.pid()
            )),
            "the launched process is the master: {content}"
        );
        assert!(content.contains(&format!("[pid: {served}|")), "{content}");
    }
}

/// The soft and hard "Max address space" of `/proc/PID/limits`.
fn address_space_limit(pid: i32) -> Option<(String, String)> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    let mut fields = line["Max address space".len()..].split_whitespace();
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}

/// `limit-as = 512`: the master and every process it starts may map at
/// most 512 MiB, announced with uWSGI's two lines.
#[test]
fn limit_as_caps_the_address_space_of_every_process() {
    let dir = TestDir::new().expect("temp dir");
    let (server, port) = start_http(&dir, "pid_app.py", &["--limit-as", "512"]);
    let worker = served_pid(curl(port, "/")).expect("served");
    let want = Some(("536870912".to_owned(), "536870912".to_owned()));
    assert_eq!(address_space_limit(server.pid()), want, "the master");
    assert_eq!(address_space_limit(worker), want, "a worker");
    let log = server.log();
    assert!(
        log.contains("limiting address space of processes..."),
        "{log}"
    );
    assert!(
        log.contains("your process address space limit is 536870912 bytes (512 MB)"),
        "{log}"
    );
}

/// Where descriptor 0 of `pid` points.
fn stdin_of(pid: i32) -> String {
    std::fs::read_link(format!("/proc/{pid}/fd/0"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Starts uwsgid with a pipe on stdin (the harness gives /dev/null) and
/// returns what the master and a worker have as stdin.
fn stdin_seen(extra: &[&str]) -> (String, String) {
    let dir = TestDir::new().expect("temp dir");
    let port = uwsgid_e2e::free_port().expect("a free port");
    let log = std::fs::File::create(dir.join("uwsgid.log")).expect("log");
    let mut child = std::process::Command::new(uwsgid_e2e::uwsgid_bin().expect("uwsgid"))
        .args([
            "--http-socket",
            &format!("127.0.0.1:{port}"),
            "--master",
            "--wsgi-file",
        ])
        .arg(uwsgid_e2e::app_path("pid_app.py"))
        .args(extra)
        .stdin(std::process::Stdio::piped())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .current_dir(dir.path())
        .spawn()
        .expect("uwsgid starts");
    let worker = wait_until("a worker to answer", DEFAULT_TIMEOUT, || {
        served_pid(curl(port, "/"))
    });
    let seen = worker.map(|w| (stdin_of(child.id() as i32), stdin_of(w)));
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    );
    let _ = child.wait();
    seen.unwrap_or_else(|e| panic!("{e:#}"))
}

/// uWSGI reopens stdin on /dev/null; `honour-stdin` keeps what was given.
#[test]
fn stdin_is_dev_null_unless_honour_stdin() {
    let (master, worker) = stdin_seen(&[]);
    assert_eq!(
        (master.as_str(), worker.as_str()),
        ("/dev/null", "/dev/null")
    );
    let (master, worker) = stdin_seen(&["--honour-stdin"]);
    assert!(master.starts_with("pipe:"), "{master}");
    assert!(worker.starts_with("pipe:"), "{worker}");
}

const SMALL_APP: &str = r#"
import os, subprocess, sys
def application(e, sr):
    sr("200 OK", [("Content-Type", "text/plain")])
    if e["PATH_INFO"] == "/spawn":
        return [str(subprocess.Popen(["true"]).pid).encode()]
    return [repr([sys.argv, "wsgi.file_wrapper" in e, os.getpid()]).encode()]
"#;

/// `pyargv`, `print`, `show-config`, `umask`, `wsgi-disable-file-wrapper`,
/// `reaper` and `max-requests-delta`, each as uWSGI 2.0.31 does it:
/// `sys.argv` is `['uwsgi', …]` split at whitespace, the printed and shown
/// lines come before the banner's, the umask is the master's.
#[test]
fn the_small_process_options_act_as_in_uwsgi() {
    let dir = TestDir::new().expect("temp dir");
    let app = dir.write("small_app.py", SMALL_APP).expect("app");
    let port = uwsgid_e2e::free_port().expect("a free port");
    let mut server = uwsgid_e2e::ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid")
        .args(["--http-socket", &format!("127.0.0.1:{port}"), "--master"])
        .arg("--wsgi-file")
        .arg(&app)
        .args([
            "--pyargv",
            "--foo bar 'baz qux'",
            "--print",
            "hello printed",
        ])
        .args([
            "--show-config",
            "--umask",
            "027",
            "--wsgi-disable-file-wrapper",
            "--reaper",
        ])
        .args([
            "--max-requests",
            "2",
            "--max-requests-delta",
            "3",
            "--min-worker-lifetime",
            "0",
        ])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    uwsgid_e2e::wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("ready");
    let got = curl(port, "/").run().expect("curl").text();
    assert!(
        got.starts_with("[['uwsgi', '--foo', 'bar', \"'baz\", \"qux'\"], False, "),
        "{got}"
    );
    // reaper: the child a request spawned is gone after the next request.
    let child: i32 = curl(port, "/spawn")
        .run()
        .expect("curl")
        .text()
        .parse()
        .expect("pid");
    wait_until("the app's child to be reaped", DEFAULT_TIMEOUT, || {
        curl(port, "/").run().ok()?;
        (!std::path::Path::new(&format!("/proc/{child}")).exists()).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    // max-requests-delta: worker 1 goes after 2 + 1 × 3 requests.
    wait_until("worker 1 to retire", DEFAULT_TIMEOUT, || {
        curl(port, "/").run().ok()?;
        server
            .log()
            .contains("max requests reached (5 >= 5)")
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).expect("status");
    assert!(status.lines().any(|l| l == "Umask:\t0027"), "{status}");
    let log = server.log();
    let printed = log.find("hello printed").expect("printed");
    let shown = log.find(";uWSGI instance configuration").expect("shown");
    let banner = log
        .find("your mercy for graceful operations")
        .expect("banner");
    assert!(printed < shown && shown < banner, "{log}");
    assert!(log.contains("\npyargv = --foo bar 'baz qux'\n"), "{log}");
    assert!(log.contains("\nshow-config = true\n"), "{log}");
    assert!(log.contains(";end of configuration"), "{log}");
}
