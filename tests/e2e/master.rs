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

/// Starts `uwsgid ARGS…` in `dir`, logging to `dir/uwsgid.log`.
fn start(dir: &TestDir, args: &[&str]) -> Server {
    ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(args)
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts")
}

/// `uwsgid --http-socket 127.0.0.1:PORT --wsgi-file tests/apps/APP ARGS…`,
/// ready to serve.
fn start_http(dir: &TestDir, app: &str, args: &[&str]) -> (Server, u16) {
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
fn served_pid(request: Curl) -> Option<i32> {
    let response = request.timeout(Duration::from_secs(5)).run().ok()?;
    response.text().trim().strip_prefix("pid=")?.parse().ok()
}

/// Polls until `n` different worker pids have answered.
fn distinct_pids(n: usize, request: impl Fn() -> Curl) -> BTreeSet<i32> {
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
fn births(log: &str) -> Vec<(u32, i32)> {
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
fn zygotes(log: &str) -> Vec<i32> {
    log.lines()
        .filter_map(|l| l.strip_prefix("spawned uWSGI zygote (pid: "))
        .filter_map(|rest| rest.split(')').next()?.parse().ok())
        .collect()
}

/// Every process of the app now: master's descendants plus those the log names.
fn app_processes(server: &Server) -> Vec<ProcId> {
    let log = server.log();
    let mut procs = server.descendants();
    let named = births(&log)
        .into_iter()
        .map(|(_, pid)| pid)
        .chain(zygotes(&log));
    procs.extend(named.filter_map(ProcId::of));
    procs
}

fn count(log: &str, pattern: &str) -> usize {
    log.matches(pattern).count()
}

/// Sends `signal` to the master and expects exit code 0, the goodbye line,
/// and no process of the app left.
fn stop_cleanly(mut server: Server, signal: Signal) -> String {
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

#[test]
fn two_workers_serve_from_the_zygote_with_uwsgi_startup_lines() {
    let dir = TestDir::new().expect("temp dir");
    let (server, port) = start_http(&dir, "pid_app.py", &["--processes", "2"]);
    let pids = distinct_pids(2, || curl(port, "/"));
    let log = server.log();
    let master = server.pid();
    assert!(!pids.contains(&master), "the master does not serve");
    assert!(
        log.contains("*** Starting uWSGI-compatible uwsgid "),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 bound to TCP address 127.0.0.1:{port} fd 3"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("spawned uWSGI master process (pid: {master})")),
        "{log}"
    );
    assert!(log.contains("spawned uWSGI worker 1 (pid: "), "{log}");
    assert!(log.contains("spawned uWSGI worker 2 (pid: "), "{log}");
    let born: BTreeSet<i32> = births(&log).into_iter().map(|(_, pid)| pid).collect();
    assert_eq!(born, pids, "the pids that served are the workers announced");
    // Forked by the zygote, adopted by the master (subreaper).
    for pid in &pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("worker stat");
        let ppid: i32 = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().nth(1)?.parse().ok())
            .expect("ppid");
        assert_eq!(ppid, master, "worker {pid} is the master's child");
    }
    assert_eq!(zygotes(&log).len(), 1, "{log}");
}

#[test]
fn a_killed_worker_is_respawned_and_the_app_keeps_serving() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(&dir, "pid_app.py", &["--processes", "2"]);
    distinct_pids(2, || curl(port, "/"));
    let (id, victim) = births(&server.log())[0];
    kill(Pid::from_raw(victim), Signal::SIGKILL).expect("kill the worker");
    let damn = format!(
        "DAMN ! worker {id} (pid: {victim}) died, killed by signal 9 :( trying respawn ..."
    );
    wait_for_log(&mut server, &damn, DEFAULT_TIMEOUT).expect("the death is logged");
    wait_for_log(
        &mut server,
        &format!("Respawned uWSGI worker {id} (new pid: "),
        DEFAULT_TIMEOUT,
    )
    .expect("the worker is respawned");
    let fresh = births(&server.log())
        .last()
        .map(|b| b.1)
        .expect("a new birth");
    assert_ne!(fresh, victim);
    let pids = distinct_pids(2, || curl(port, "/"));
    assert!(pids.contains(&fresh) && !pids.contains(&victim), "{pids:?}");
}

#[test]
fn a_broken_app_exits_22_with_its_traceback() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port").to_string();
    let file = app_path("broken_app.py");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            &format!(":{port}"),
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
    );
    let status = server
        .wait_exit(DEFAULT_TIMEOUT)
        .expect("the master gives up");
    let log = server.log();
    assert_eq!(status.code(), Some(22), "{log}");
    assert!(log.contains("Traceback"), "{log}");
    assert!(log.contains("uwsgid_no_such_module_for_tests"), "{log}");
    assert!(log.contains("*** no app loaded. GAME OVER ***"), "{log}");
    assert_eq!(
        count(&log, "spawned uWSGI zygote"),
        1,
        "no respawn of a zygote that cannot load: {log}"
    );
}

#[test]
fn sigterm_stops_gracefully_with_exit_0_and_no_process_left() {
    let dir = TestDir::new().expect("temp dir");
    let (server, port) = start_http(&dir, "pid_app.py", &["--processes", "2"]);
    distinct_pids(2, || curl(port, "/"));
    let log = stop_cleanly(server, Signal::SIGTERM);
    assert!(
        log.contains("...gracefully killing workers (mercy: 60 seconds)..."),
        "{log}"
    );
    assert!(log.contains("worker 1 buried after "), "{log}");
    assert!(log.contains("worker 2 buried after "), "{log}");
}

#[test]
fn sigint_stops_at_once_with_exit_0_and_no_process_left() {
    let dir = TestDir::new().expect("temp dir");
    let (server, port) = start_http(&dir, "pid_app.py", &["--processes", "2"]);
    distinct_pids(2, || curl(port, "/"));
    let log = stop_cleanly(server, Signal::SIGINT);
    assert!(log.contains("...brutally killing workers..."), "{log}");
    assert!(log.contains("worker 1 buried after "), "{log}");
}

#[test]
fn a_sigkilled_master_leaves_no_process_behind() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(&dir, "pid_app.py", &["--processes", "2"]);
    distinct_pids(2, || curl(port, "/"));
    let procs = app_processes(&server);
    server.signal(Signal::SIGKILL).expect("kill the master");
    server.wait_exit(DEFAULT_TIMEOUT).expect("the master dies");
    wait_until(
        "the zygote and workers to die with the master",
        DEFAULT_TIMEOUT,
        || procs.iter().all(|p| !p.is_alive()).then_some(()),
    )
    .expect("PR_SET_PDEATHSIG ends them");
}

#[test]
fn lazy_apps_workers_import_the_app_themselves() {
    let dir = TestDir::new().expect("temp dir");
    let (server, port) = start_http(&dir, "pid_app.py", &["--processes", "2", "--lazy-apps"]);
    let pids = distinct_pids(2, || curl(port, "/"));
    let log = server.log();
    assert!(zygotes(&log).is_empty(), "no zygote with lazy-apps: {log}");
    let born: BTreeSet<i32> = births(&log).into_iter().map(|(_, pid)| pid).collect();
    assert_eq!(born, pids);
    stop_cleanly(server, Signal::SIGTERM);
}

/// Waits for `n` occurrences of `pattern`; returns the time it took.
fn time_until_count(server: &mut Server, pattern: &str, n: usize, timeout: Duration) -> Duration {
    let started = Instant::now();
    wait_until(&format!("{n} × {pattern:?}"), timeout, || {
        (count(&server.log(), pattern) >= n).then_some(())
    })
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));
    server.ensure_running().expect("the master keeps running");
    started.elapsed()
}

/// CPU seconds (user + system) the process used so far.
fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

#[test]
fn a_lazy_app_failing_at_import_is_respawned_with_backoff() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port").to_string();
    let file = app_path("broken_app.py");
    let addr = format!("127.0.0.1:{port}");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            &addr,
            "--wsgi-file",
            file.to_str().expect("utf-8"),
            "--lazy-apps",
        ],
    );
    // Respawns wait 0, 1, 2 s: the 4th failure comes 3 s or more after the first.
    let oops = "OOPS ! failed loading app in worker 1 (pid ";
    time_until_count(&mut server, oops, 1, DEFAULT_TIMEOUT);
    let took = time_until_count(&mut server, oops, 4, DEFAULT_TIMEOUT);
    assert!(
        took >= Duration::from_millis(2900),
        "respawned too fast: {took:?}\n{}",
        server.log()
    );
    let log = server.log();
    assert!(
        log.contains("worker respawning too fast !!! i have to sleep a bit (1 seconds)..."),
        "{log}"
    );
    assert!(
        log.contains("worker respawning too fast !!! i have to sleep a bit (2 seconds)..."),
        "{log}"
    );
    assert!(cpu_seconds(server.pid()) < 1.0, "the master does not spin");
}

#[test]
fn workers_crashing_after_fork_are_respawned_with_backoff() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port").to_string();
    let file = app_path("crash_after_fork_app.py");
    let addr = format!("127.0.0.1:{port}");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            &addr,
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
    );
    let damn = "DAMN ! worker 1 (pid: ";
    time_until_count(&mut server, damn, 1, DEFAULT_TIMEOUT);
    let took = time_until_count(&mut server, damn, 4, DEFAULT_TIMEOUT);
    assert!(
        took >= Duration::from_millis(2900),
        "respawned too fast: {took:?}\n{}",
        server.log()
    );
    let log = server.log();
    assert!(
        log.contains("worker 1 (pid: ") && log.contains(") exited with code 3"),
        "{log}"
    );
    assert!(
        log.contains("worker respawning too fast !!! i have to sleep a bit (2 seconds)..."),
        "{log}"
    );
    assert_eq!(zygotes(&log).len(), 1, "the zygote itself is fine: {log}");
    assert!(cpu_seconds(server.pid()) < 1.0, "the master does not spin");
}

#[test]
fn a_dead_zygote_is_restarted_and_forks_the_next_workers() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(&dir, "pid_app.py", &["--processes", "2"]);
    distinct_pids(2, || curl(port, "/"));
    let first = zygotes(&server.log())[0];
    kill(Pid::from_raw(first), Signal::SIGKILL).expect("kill the zygote");
    wait_for_log(
        &mut server,
        &format!("DAMN ! zygote (pid: {first}) killed by signal 9"),
        DEFAULT_TIMEOUT,
    )
    .expect("the zygote's death is logged");
    wait_until("a second zygote ready", DEFAULT_TIMEOUT, || {
        (count(&server.log(), "ready: app imported") >= 2).then_some(())
    })
    .expect("the zygote is restarted");
    // The workers outlived their zygote; one killed now comes from the new one.
    let (id, victim) = births(&server.log())[0];
    kill(Pid::from_raw(victim), Signal::SIGKILL).expect("kill a worker");
    wait_for_log(
        &mut server,
        &format!("Respawned uWSGI worker {id} (new pid: "),
        DEFAULT_TIMEOUT,
    )
    .expect("respawned from the new zygote");
    distinct_pids(2, || curl(port, "/"));
    stop_cleanly(server, Signal::SIGTERM);
}

fn unix_curl(path: &Path) -> Curl {
    Curl::new("http://localhost/")
        .arg("--unix-socket")
        .arg(path)
}

#[test]
fn unix_socket_owner_mode_pidfile_and_vacuum() {
    let dir = TestDir::new().expect("temp dir");
    let sock = dir.join("app.sock");
    let pidfile = dir.join("app.pid");
    let file = app_path("pid_app.py");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            sock.to_str().expect("utf-8"),
            "--chown-socket",
            "33:www-data",
            "--chmod-socket",
            "660",
            "--pidfile",
            pidfile.to_str().expect("utf-8"),
            "--vacuum",
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
    );
    wait_until("the unix socket to serve", DEFAULT_TIMEOUT, || {
        served_pid(unix_curl(&sock))
    })
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));
    let meta = std::fs::metadata(&sock).expect("socket exists");
    assert_eq!((meta.uid(), meta.gid()), (33, 33), "chown-socket");
    assert_eq!(meta.permissions().mode() & 0o777, 0o660, "chmod-socket");
    let written = std::fs::read_to_string(&pidfile).expect("pidfile");
    assert_eq!(written, format!("{}\n", server.pid()));
    let log = server.log();
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 bound to UNIX address {} fd 3",
            sock.display()
        )),
        "{log}"
    );
    server.ensure_running().expect("running");
    let log = stop_cleanly(server, Signal::SIGTERM);
    assert!(!sock.exists(), "vacuum removed the socket");
    assert!(!pidfile.exists(), "vacuum removed the pidfile");
    assert!(
        log.contains(&format!("VACUUM: unix socket {} removed.", sock.display())),
        "{log}"
    );
    assert!(log.contains("VACUUM: pidfile removed."), "{log}");
}

#[test]
fn a_stale_socket_file_is_replaced_but_a_live_one_is_refused() {
    let dir = TestDir::new().expect("temp dir");
    let sock = dir.join("app.sock");
    drop(std::os::unix::net::UnixListener::bind(&sock).expect("bind"));
    assert!(sock.exists(), "a stale socket file");
    let file = app_path("pid_app.py");
    let args = [
        "--http-socket",
        sock.to_str().expect("utf-8"),
        "--wsgi-file",
        file.to_str().expect("utf-8"),
    ];
    let mut server = start(&dir, &args);
    let pid = wait_until("the unix socket to serve", DEFAULT_TIMEOUT, || {
        served_pid(unix_curl(&sock))
    })
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));

    let other_dir = TestDir::new().expect("temp dir");
    let mut second = start(&other_dir, &args);
    let status = second
        .wait_exit(DEFAULT_TIMEOUT)
        .expect("the second instance gives up");
    let log = second.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("is in use by a running server"), "{log}");
    assert!(sock.exists());
    assert_eq!(
        served_pid(unix_curl(&sock)),
        Some(pid),
        "the first instance still serves"
    );
    server.ensure_running().expect("the first instance runs");
}

#[test]
fn several_sockets_are_served_by_every_worker() {
    let dir = TestDir::new().expect("temp dir");
    let (tcp, v6) = (free_port().expect("port"), free_port().expect("port"));
    let sock = dir.join("app.sock");
    let file = app_path("pid_app.py");
    let (tcp_addr, v6_addr) = (format!("127.0.0.1:{tcp}"), format!("[::1]:{v6}"));
    let args = [
        "--http-socket",
        &tcp_addr,
        "--http-socket",
        sock.to_str().expect("utf-8"),
        "--http-socket",
        &v6_addr,
        "--processes",
        "2",
        "--wsgi-file",
        file.to_str().expect("utf-8"),
    ];
    let mut server = start(&dir, &args);
    wait_http_ready(&mut server, tcp, DEFAULT_TIMEOUT).expect("ready");
    let log = server.log();
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 bound to TCP address {tcp_addr} fd 3"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 1 bound to UNIX address {} fd 4",
            sock.display()
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 2 bound to TCP address {v6_addr} fd 5"
        )),
        "{log}"
    );
    let want = distinct_pids(2, || curl(tcp, "/"));
    assert_eq!(distinct_pids(2, || unix_curl(&sock)), want);
    assert_eq!(
        distinct_pids(2, || Curl::new(format!("http://[::1]:{v6}/"))),
        want
    );
}

#[test]
fn a_tcp_port_in_use_is_a_clear_error() {
    let dir = TestDir::new().expect("temp dir");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let file = app_path("pid_app.py");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            &addr,
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
    );
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("exits");
    let log = server.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains(&format!(
            "probably another instance of uWSGI is running on the same address ({addr})."
        )),
        "{log}"
    );
    assert!(
        log.contains("Address already in use") || log.contains("EADDRINUSE"),
        "{log}"
    );
}

#[test]
fn a_backlog_above_somaxconn_is_refused() {
    let dir = TestDir::new().expect("temp dir");
    let max: u64 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .expect("somaxconn")
        .trim()
        .parse()
        .expect("number");
    let listen = (max + 1).to_string();
    let port = free_port().expect("port").to_string();
    let file = app_path("pid_app.py");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            &format!("127.0.0.1:{port}"),
            "--listen",
            &listen,
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
    );
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("exits");
    let log = server.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains(&format!(
            "Listen queue size is greater than the system max net.core.somaxconn ({max})."
        )),
        "{log}"
    );
}

#[test]
fn no_socket_is_a_clear_error() {
    let dir = TestDir::new().expect("temp dir");
    let file = app_path("pid_app.py");
    let mut server = start(&dir, &["--wsgi-file", file.to_str().expect("utf-8")]);
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("exits");
    let log = server.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains("The -s/--socket option is missing and stdin is not a socket."),
        "{log}"
    );
    assert!(
        log.contains("http-socket = :8080"),
        "says what to add: {log}"
    );
}

#[test]
fn systemd_activated_sockets_are_used_instead_of_binding() {
    let dir = TestDir::new().expect("temp dir");
    let sock = dir.join("activated.sock");
    let file = app_path("pid_app.py");
    let uwsgid = uwsgid_e2e::uwsgid_bin().expect("uwsgid is built");
    // What systemd does: bind, put the socket at fd 3, name our pid, exec.
    let launcher = r#"
import os, socket, sys
path, binary, app = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
os.dup2(s.fileno(), 3)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(binary, [binary, "--http-socket", path, "--wsgi-file", app])
"#;
    let mut server = ServerBuilder::new("python3", dir.join("uwsgid.log"))
        .args([
            "-c",
            launcher,
            sock.to_str().expect("utf-8"),
            uwsgid.to_str().expect("utf-8"),
            file.to_str().expect("utf-8"),
        ])
        .current_dir(dir.path())
        .start()
        .expect("launcher starts");
    let inode = wait_until("the activated socket", DEFAULT_TIMEOUT, || {
        std::fs::metadata(&sock).ok().map(|m| m.ino())
    })
    .expect("socket file");
    wait_until("the activated socket to serve", DEFAULT_TIMEOUT, || {
        served_pid(unix_curl(&sock))
    })
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));
    let log = server.log();
    assert!(
        log.contains("- SystemD socket activation detected -"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 inherited UNIX address {} fd 3",
            sock.display()
        )),
        "{log}"
    );
    assert_eq!(
        std::fs::metadata(&sock).map(|m| m.ino()).ok(),
        Some(inode),
        "not re-bound"
    );
    server.ensure_running().expect("running");
    let worker = births(&log)[0].1;
    let environ = std::fs::read(format!("/proc/{worker}/environ")).expect("worker environ");
    assert!(
        !String::from_utf8_lossy(&environ).contains("LISTEN_PID="),
        "children do not inherit LISTEN_*"
    );
}
