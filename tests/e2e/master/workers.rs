//! Workers: spawned from the zygote or with `lazy-apps`, respawned when they
//! die (with backoff when they keep dying), a zygote restarted, a broken app
//! giving up with exit code 22, an ini file with its warnings.

use super::*;

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
    let log = start_failing(
        &dir,
        &[
            "--http-socket",
            &format!(":{port}"),
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
        22,
    );
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

#[test]
fn an_ini_file_runs_with_its_warnings_and_sighup_reloads_it() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port");
    let file = app_path("pid_app.py");
    let ini = dir
        .write(
            "app.ini",
            format!(
                "[uwsgi]\nmaster = true\nprocesses = 2\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n\
                 no-such-option-for-tests = 1\n",
                file.display()
            ),
        )
        .expect("ini");
    let mut server = start(&dir, &["--ini", ini.to_str().expect("utf-8")]);
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("ready");
    let pids = distinct_pids(2, || curl(port, "/"));
    let log = server.log();
    assert!(
        log.contains("no-such-option-for-tests"),
        "the config warning is shown: {log}"
    );
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    let gone = "every worker of generation 1 is gone";
    wait_for_log(&mut server, gone, DEFAULT_TIMEOUT).expect("reloaded");
    let new = distinct_pids(2, || curl(port, "/"));
    assert!(new.is_disjoint(&pids), "new workers: {pids:?} then {new:?}");
    stop_cleanly(server, Signal::SIGTERM);
}

/// The names in a worker's `os.environ` and the worker's process name.
fn worker_view(port: u16) -> (String, String) {
    let response = curl(port, "/os-environ").run().expect("the app answers");
    let pid = served_pid(curl(port, "/")).expect("a worker pid");
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).expect("comm");
    (response.text(), comm.trim().to_string())
}

#[test]
fn workers_are_named_and_do_not_see_the_master_contract() {
    for lazy in [false, true] {
        let dir = TestDir::new().expect("temp dir");
        let args: &[&str] = if lazy { &["--lazy-apps"] } else { &[] };
        let (server, port) = start_http(&dir, "pid_app.py", args);
        let (names, comm) = worker_view(port);
        assert!(
            names.lines().any(|n| n == "PATH"),
            "the environment is there: {names}"
        );
        for var in [
            "UWSGID_CONFIG",
            "UWSGID_LISTEN_FDS",
            "UWSGID_MASTER_PID",
            "UWSGID_ZYGOTE_FDS",
            "UWSGID_WORKER_ID",
        ] {
            assert!(
                !names.lines().any(|n| n == var),
                "lazy={lazy}: {var} in {names}"
            );
        }
        assert_eq!(comm, "uwsgid worker 1", "lazy={lazy}");
        if !lazy {
            let zygote = zygotes(&server.log())[0];
            let comm = std::fs::read_to_string(format!("/proc/{zygote}/comm")).expect("comm");
            assert_eq!(comm.trim(), "uwsgid zygote");
        }
    }
}

/// What `ps` shows as the command of `pid`.
fn ps_args(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
    String::from_utf8_lossy(&raw)
        .split('\0')
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn ps_shows_each_processs_app_and_role_and_the_procname_options() {
    let dir = TestDir::new().expect("temp dir");
    let (server, port) = start_http(
        &dir,
        "pid_app.py",
        &["--processes", "2", "--set", "project=mysite1"],
    );
    let pids = distinct_pids(2, || curl(port, "/"));
    assert_eq!(ps_args(server.pid()), "uwsgid mysite1 master");
    assert_eq!(ps_args(zygotes(&server.log())[0]), "uwsgid mysite1 zygote");
    let titles: BTreeSet<String> = pids.iter().map(|&pid| ps_args(pid)).collect();
    let want: BTreeSet<String> = ["uwsgid mysite1 worker 1", "uwsgid mysite1 worker 2"]
        .map(String::from)
        .into();
    assert_eq!(titles, want);
    stop_cleanly(server, Signal::SIGTERM);

    // uWSGI's options: procname for workers, procname-master, and the
    // prefix and suffix around both.
    let dir = TestDir::new().expect("temp dir");
    let (server, port) = start_http(
        &dir,
        "pid_app.py",
        &[
            "--procname",
            "web",
            "--procname-master",
            "boss",
            "--procname-prefix-spaced",
            "[shop]",
            "--procname-append",
            " (v2)",
        ],
    );
    let worker = served_pid(curl(port, "/")).expect("a worker pid");
    assert_eq!(ps_args(server.pid()), "[shop] boss (v2)");
    assert_eq!(ps_args(worker), "[shop] web (v2)");
    stop_cleanly(server, Signal::SIGTERM);
}

/// The descriptor numbers `pid` has open.
fn open_fds(pid: i32) -> BTreeSet<i32> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fd dir")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

#[test]
fn children_inherit_their_sockets_and_nothing_the_master_was_given() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port");
    let file = app_path("pid_app.py");
    let uwsgid = uwsgid_e2e::uwsgid_bin().expect("uwsgid is built");
    // The master's parent leaks descriptor 50 to it.
    let launcher = r#"
import os, sys
binary, port, app = sys.argv[1:4]
fd = os.open("/dev/null", os.O_RDONLY)
os.dup2(fd, 50)
os.execv(binary, [binary, "--http-socket", "127.0.0.1:" + port, "--wsgi-file", app])
"#;
    let mut server = ServerBuilder::new("python3", dir.join("uwsgid.log"))
        .args([
            "-c",
            launcher,
            uwsgid.to_str().expect("utf-8"),
            &port.to_string(),
            file.to_str().expect("utf-8"),
        ])
        .current_dir(dir.path())
        .start()
        .expect("launcher starts");
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("ready");
    assert!(open_fds(server.pid()).contains(&50), "the master got fd 50");
    let log = server.log();
    let zygote = zygotes(&log)[0];
    // stdio, the listen socket, the two pipes to the master, the two ends
    // of the workers' hand-off pair, the uWSGI signals socket.
    assert_eq!(
        open_fds(zygote),
        BTreeSet::from([0, 1, 2, 3, 4, 5, 6, 7, 8]),
        "zygote"
    );
    let worker = births(&log)[0].1;
    assert!(!open_fds(worker).contains(&50), "worker");
}
