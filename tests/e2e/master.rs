//! The app master end to end: the real `uwsgid` binary running
//! `tests/apps/*.py` (standard library only, the pyenv Python: no `home=`),
//! driven by curl, signals and `/proc`. Covers worker spawning from the
//! zygote and with `lazy-apps`, respawn and its backoff, a broken app,
//! graceful and immediate stops leaving no process behind, and the listen
//! sockets (TCP, unix with owner/mode, stale files, vacuum, pidfile,
//! systemd activation, bind errors).

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uwsgid_e2e::process::ProcId;
use uwsgid_e2e::{
    Curl, DEFAULT_TIMEOUT, Server, ServerBuilder, TestDir, app_path, curl, free_port,
};
use uwsgid_e2e::{wait_for_log, wait_http_ready, wait_until};

mod cron;
mod fifo;
mod fifo_letters;
mod hooks;
mod lazy_apps;
mod sockets;
mod stop;
mod workers;

/// Starts `uwsgid ARGS…` in `dir`, logging to `dir/uwsgid.log`.
pub(crate) fn start(dir: &TestDir, args: &[&str]) -> Server {
    ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(args)
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts")
}

/// Starts `uwsgid ARGS…` in `dir`, which must exit by itself with `code`;
/// returns its log.
pub(crate) fn start_failing(dir: &TestDir, args: &[&str], code: i32) -> String {
    let mut server = start(dir, args);
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("uwsgid exits");
    let log = server.log();
    assert_eq!(status.code(), Some(code), "{log}");
    log
}

/// `uwsgid --http-socket 127.0.0.1:PORT --wsgi-file tests/apps/APP ARGS…`,
/// ready to serve.
pub(crate) fn start_http(dir: &TestDir, app: &str, args: &[&str]) -> (Server, u16) {
    let port = free_port().expect("a free port");
    let addr = format!("127.0.0.1:{port}");
    let file = app_path(app);
    let mut all = vec![
        "--http-socket",
        &addr,
        "--wsgi-file",
        file.to_str().expect("utf-8 path"),
    ];
    all.extend_from_slice(args);
    let mut server = start(dir, &all);
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("the app answers");
    (server, port)
}

/// The pid `pid_app.py` answered with.
pub(crate) fn served_pid(request: Curl) -> Option<i32> {
    let response = request.timeout(Duration::from_secs(5)).run().ok()?;
    response.text().trim().strip_prefix("pid=")?.parse().ok()
}

/// Polls until `n` different worker pids have answered.
pub(crate) fn distinct_pids(n: usize, request: impl Fn() -> Curl) -> BTreeSet<i32> {
    let mut seen = BTreeSet::new();
    wait_until(
        &format!("{n} different workers to answer"),
        DEFAULT_TIMEOUT,
        || {
            seen.extend(served_pid(request()));
            (seen.len() >= n).then(|| seen.clone())
        },
    )
    .expect("every worker serves")
}

/// `(worker id, pid)` of every worker birth the log announced, in order.
pub(crate) fn births(log: &str) -> Vec<(u32, i32)> {
    let mut out = Vec::new();
    for line in log.lines() {
        let parsed = if let Some(rest) = line.strip_prefix("spawned uWSGI worker ") {
            rest.split_once(" (pid: ").and_then(|(id, rest)| {
                Some((id.parse().ok()?, rest.split(',').next()?.parse().ok()?))
            })
        } else if let Some(rest) = line.strip_prefix("Respawned uWSGI worker ") {
            rest.split_once(" (new pid: ").and_then(|(id, rest)| {
                Some((id.parse().ok()?, rest.trim_end_matches(')').parse().ok()?))
            })
        } else {
            None
        };
        out.extend(parsed);
    }
    out
}

/// Pids of the zygotes the log announced.
pub(crate) fn zygotes(log: &str) -> Vec<i32> {
    log.lines()
        .filter_map(|l| l.strip_prefix("spawned uWSGI zygote (pid: "))
        .filter_map(|rest| rest.split(')').next()?.parse().ok())
        .collect()
}

/// Every process of the app now: master's descendants plus those the log names.
pub(crate) fn app_processes(server: &Server) -> Vec<ProcId> {
    let log = server.log();
    let mut procs = server.descendants();
    let named = births(&log)
        .into_iter()
        .map(|(_, pid)| pid)
        .chain(zygotes(&log));
    procs.extend(named.filter_map(ProcId::of));
    procs
}

pub(crate) fn count(log: &str, pattern: &str) -> usize {
    log.matches(pattern).count()
}

/// Sends `signal` to the master and expects exit code 0, the goodbye line,
/// and no process of the app left.
pub(crate) fn stop_cleanly(mut server: Server, signal: Signal) -> String {
    let procs = app_processes(&server);
    assert!(
        procs.len() >= 2,
        "workers and zygote are running: {procs:?}"
    );
    server.signal(signal).expect("signal the master");
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("the master exits");
    let log = server.log();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        log.contains("SIGINT/SIGTERM received...killing workers..."),
        "{log}"
    );
    assert!(log.contains("goodbye to uWSGI."), "{log}");
    let left: Vec<_> = procs.iter().filter(|p| p.is_alive()).collect();
    assert!(left.is_empty(), "left running: {left:?}\n{log}");
    log
}

pub(crate) fn unix_curl(path: &Path) -> Curl {
    Curl::new("http://localhost/")
        .arg("--unix-socket")
        .arg(path)
}
