//! Graceful reload end to end: SIGHUP under a load of keep-alive clients
//! (no request lost, new workers each time, the same master), reloads that
//! fail (an ini that does not resolve, an app that does not import) leaving
//! the old workers serving, new options taking effect, `reload-mercy`
//! bounding old workers, idle keep-alive connections closed cleanly, and
//! the other signals: SIGTTIN/SIGTTOU scaling, SIGUSR1 stats.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use uwsgid_e2e::{
    DEFAULT_TIMEOUT, Python, Server, ServerBuilder, TestDir, app_path, curl, free_port,
    wait_for_log, wait_http_ready, wait_until,
};

use crate::master::{count, distinct_pids, served_pid};

mod chain;
mod late_worker;
mod signals;
mod touch;

/// Reloads under load are slow on a busy 2-core machine: generous.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(90);

/// Writes `app.ini` serving `wsgi-file` on 127.0.0.1:`port` with `extra` lines.
fn write_ini(dir: &TestDir, port: u16, app: &Path, extra: &str) -> PathBuf {
    let text = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n{extra}\n",
        app.display()
    );
    dir.write("app.ini", text).expect("write app.ini")
}

/// `uwsgid --ini app.ini` in `dir`, answering on `port`.
fn start_ini(dir: &TestDir, port: u16) -> Server {
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--ini", "app.ini"])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("the app answers");
    server
}

/// Sends SIGHUP and waits until generation `generation` took over and
/// generation `old` is gone.
fn reload(server: &mut Server, generation: u64, old: u64) {
    server.signal(Signal::SIGHUP).expect("SIGHUP the master");
    let ready = format!("generation {generation} ready in");
    wait_for_log(server, &ready, RELOAD_TIMEOUT).expect("the new generation is ready");
    let gone = format!("every worker of generation {} is gone", old);
    wait_for_log(server, &gone, RELOAD_TIMEOUT).expect("the old generation finishes");
}

/// Pids of the workers of `generation` (first births only) the log announced.
/// Waits until `count` workers of `generation` have been spawned (the app
/// answers as soon as its first worker does) and returns their pids.
fn wait_generation(server: &Server, generation: u64, count: usize) -> BTreeSet<i32> {
    wait_until(
        "every worker of the generation to spawn",
        RELOAD_TIMEOUT,
        || {
            let pids = generation_pids(&server.log(), generation);
            (pids.len() >= count).then_some(pids)
        },
    )
    .expect("the workers spawn")
}

fn generation_pids(log: &str, generation: u64) -> BTreeSet<i32> {
    log.lines()
        .filter_map(|l| l.strip_prefix("spawned uWSGI worker "))
        .filter_map(|rest| {
            let (_, rest) = rest.split_once(" (pid: ")?;
            let (pid, rest) = rest.split_once(',')?;
            let gen_of = rest
                .split_once("generation: ")
                .and_then(|(_, g)| g.trim_end_matches(')').parse().ok())
                .unwrap_or(1);
            (gen_of == generation).then(|| pid.parse().ok()).flatten()
        })
        .collect()
}

/// Requests the log recorded so far.
fn served(server: &Server) -> usize {
    count(&server.log(), "GET /?s=")
}

/// Waits until `more` requests were served after now.
fn wait_served(server: &Server, more: usize) {
    let target = served(server) + more;
    wait_until("requests to be served", RELOAD_TIMEOUT, || {
        (served(server) >= target).then_some(())
    })
    .expect("the load goes on");
}

/// The load client (`reload/load_client.py`) running in a thread.
pub(crate) struct Load {
    stop: PathBuf,
    thread: JoinHandle<anyhow::Result<serde_json::Value>>,
}

impl Load {
    pub(crate) fn start(dir: &TestDir, port: u16, clients: usize) -> Load {
        let script = Python::script(include_str!("reload/load_client.py")).arg(port.to_string());
        Load::run(dir, script, clients)
    }

    /// Runs `script` (which already has its target argument) in a thread,
    /// with the stop file and the number of clients as its last arguments.
    pub(crate) fn run(dir: &TestDir, script: Python, clients: usize) -> Load {
        let stop = dir.join("stop-load");
        let script = script
            .arg(&stop)
            .arg(clients.to_string())
            .timeout(Duration::from_secs(600));
        Load {
            stop,
            thread: std::thread::spawn(move || script.run_json()),
        }
    }

    /// Stops the clients after their current request; their findings.
    pub(crate) fn finish(self) -> serde_json::Value {
        std::fs::write(&self.stop, b"").expect("write the stop file");
        self.thread
            .join()
            .expect("the load thread")
            .expect("the load client runs")
    }
}

pub(crate) fn pids_of(result: &serde_json::Value) -> BTreeSet<i32> {
    result["pids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_i64())
                .map(|p| p as i32)
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that not one request failed and some were answered.
pub(crate) fn assert_no_failure(result: &serde_json::Value, log: &str) {
    let failures = result["failures"].as_array().map_or(0, Vec::len);
    assert_eq!(failures, 0, "failed requests: {result}\n{log}");
    assert!(result["ok"].as_u64().unwrap_or(0) > 50, "{result}");
}

#[test]
fn sighup_five_times_under_load_loses_no_request() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let extra = "processes = 4\nthreads = 2\nreload-mercy = 30";
    write_ini(&dir, port, &app_path("slow_app.py"), extra);
    let mut server = start_ini(&dir, port);
    let master = server.pid();
    let load = Load::start(&dir, port, 32);
    wait_served(&server, 32);
    let mut seen = wait_generation(&server, 1, 4);
    assert_eq!(seen.len(), 4, "{}", server.log());
    for generation in 2..=6 {
        reload(&mut server, generation, generation - 1);
        let fresh = generation_pids(&server.log(), generation);
        assert_eq!(fresh.len(), 4, "{}", server.log());
        assert!(fresh.is_disjoint(&seen), "new pids each time: {fresh:?}");
        seen.extend(fresh);
        wait_served(&server, 32);
    }
    let result = load.finish();
    server
        .ensure_running()
        .expect("the master is still running");
    let log = server.log();
    assert_no_failure(&result, &log);
    let took_over = format!("gracefully (RE)spawned uWSGI master process (pid: {master})");
    assert_eq!(count(&log, &took_over), 5, "{log}");
    assert_eq!(
        count(&log, "...gracefully killing workers of generation"),
        5
    );
    // Keep-alive connections to old workers ended with `Connection: close`.
    assert!(result["reconnects"].as_u64().unwrap_or(0) > 0, "{result}");
    let last = generation_pids(&log, 6);
    assert!(!pids_of(&result).is_disjoint(&last), "{result}");
    assert_eq!(count(&log, "NO MERCY"), 0, "{log}");
}

#[test]
fn a_failed_reload_leaves_the_old_workers_serving() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let good_app = std::fs::read(app_path("slow_app.py")).expect("read slow_app.py");
    let app = dir.write("app.py", &good_app).expect("write app.py");
    let extra = "processes = 2\nthreads = 2\nreload-mercy = 30";
    let good_ini = std::fs::read(write_ini(&dir, port, &app, extra)).expect("read app.ini");
    let mut server = start_ini(&dir, port);
    let old = wait_generation(&server, 1, 2);
    let load = Load::start(&dir, port, 16);
    wait_served(&server, 16);

    dir.write("app.ini", b"[uwsgi]\nprocesses = abc\n")
        .expect("break app.ini");
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    let failed = "reload failed: the configuration does not resolve";
    wait_for_log(&mut server, failed, RELOAD_TIMEOUT).expect("the failure is logged");
    wait_served(&server, 16);

    dir.write("app.ini", &good_ini).expect("restore app.ini");
    dir.write("app.py", b"raise ImportError('broken on purpose')\n")
        .expect("break app.py");
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    let failed = "reload failed: the app failed to import in the new zygote";
    wait_for_log(&mut server, failed, RELOAD_TIMEOUT).expect("the failure is logged");
    wait_served(&server, 16);

    dir.write("app.py", &good_app).expect("restore app.py");
    // Generation 2 was the zygote that failed to import.
    reload(&mut server, 3, 1);
    let result = load.finish();
    let log = server.log();
    assert_no_failure(&result, &log);
    assert!(log.contains("broken on purpose"), "the traceback: {log}");
    assert!(log.contains("the old workers keep serving"), "{log}");
    assert!(
        !log.contains("GAME OVER"),
        "a failed reload is not the end: {log}"
    );
    let new = generation_pids(&log, 3);
    assert_eq!(new.len(), 2, "{log}");
    assert_eq!(generation_pids(&log, 1), old);
    // The old workers served between the failures, the new ones after.
    assert!(!pids_of(&result).is_disjoint(&old), "{result}");
    assert!(!pids_of(&result).is_disjoint(&new), "{result}");
}

#[test]
fn a_reload_applies_the_new_processes_and_keeps_the_sockets_options() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let app = app_path("pid_app.py");
    write_ini(&dir, port, &app, "processes = 1");
    let mut server = start_ini(&dir, port);
    let first = distinct_pids(1, || curl(port, "/"));
    write_ini(&dir, port, &app, "processes = 2\nlisten = 50");
    reload(&mut server, 2, 1);
    let log = server.log();
    assert!(
        log.contains("reload: listen cannot change without a restart: keeping 100"),
        "{log}"
    );
    let second = distinct_pids(2, || curl(port, "/"));
    assert!(second.is_disjoint(&first), "{first:?} {second:?}");
    assert_eq!(second, generation_pids(&log, 2));
}

#[test]
fn reload_mercy_kills_an_old_worker_that_takes_too_long() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let extra = "processes = 1\nreload-mercy = 1\nworker-reload-mercy = 60";
    write_ini(&dir, port, &app_path("marked_slow_app.py"), extra);
    let mut server = start_ini(&dir, port);
    let mark = dir.join("started");
    let path = format!("/?s=10&mark={}", mark.display());
    let slow = std::thread::spawn(move || {
        curl(port, &path)
            .timeout(Duration::from_secs(30))
            .run()
            .ok()
            .map(|r| r.status)
    });
    wait_until("the slow request to start", DEFAULT_TIMEOUT, || {
        mark.exists().then_some(())
    })
    .expect("the slow request runs");
    let hup = Instant::now();
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    wait_for_log(&mut server, "NO MERCY !!!", DEFAULT_TIMEOUT).expect("NO MERCY");
    let took = hup.elapsed();
    wait_for_log(&mut server, "worker 1 buried after", DEFAULT_TIMEOUT).expect("buried");
    assert!(took < Duration::from_secs(6), "mercy took {took:?}");
    let new = generation_pids(&server.log(), 2);
    let answer = curl(port, "/?s=0")
        .run()
        .expect("the new generation answers");
    let pid: i32 = answer
        .text()
        .trim()
        .strip_prefix("done pid=")
        .and_then(|p| p.parse().ok())
        .expect("a pid");
    assert!(new.contains(&pid), "{pid} {new:?}");
    // The killed request's connection was closed without an answer.
    assert_ne!(slow.join().expect("the slow client"), Some(200));
}
