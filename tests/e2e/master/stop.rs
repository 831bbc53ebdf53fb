//! Stopping: SIGTERM (graceful, within the mercy), SIGINT (at once), and a
//! SIGKILLed master; never a process left behind.

use super::*;

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
fn sigint_and_sigquit_stop_at_once_with_exit_0_and_no_process_left() {
    for signal in [Signal::SIGINT, Signal::SIGQUIT] {
        let dir = TestDir::new().expect("temp dir");
        let (server, port) = start_http(&dir, "pid_app.py", &["--processes", "2"]);
        distinct_pids(2, || curl(port, "/"));
        let log = stop_cleanly(server, signal);
        assert!(
            log.contains("...brutally killing workers..."),
            "{signal}: {log}"
        );
        assert!(log.contains("worker 1 buried after "), "{signal}: {log}");
    }
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

/// Starts `GET /?mark=…&s=SECONDS` on `port` in a thread and waits until the
/// app has begun serving it.
fn request_in_flight(
    dir: &TestDir,
    port: u16,
    seconds: u32,
) -> std::thread::JoinHandle<Option<String>> {
    let mark = dir.join("in-flight");
    let path = format!("/?mark={}&s={seconds}", mark.display());
    let request = curl(port, &path).timeout(Duration::from_secs(60));
    let handle = std::thread::spawn(move || request.run().ok().map(|r| r.text()));
    wait_until("the request to be in flight", DEFAULT_TIMEOUT, || {
        mark.exists().then_some(())
    })
    .expect("the app got the request");
    handle
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(&dir, "marked_slow_app.py", &[]);
    let in_flight = request_in_flight(&dir, port, 2);
    server.signal(Signal::SIGTERM).expect("SIGTERM");
    let answer = in_flight.join().expect("client thread");
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("done pid=")),
        "{answer:?}\n{}",
        server.log()
    );
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("exits");
    let log = server.log();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("worker 1 buried after "), "{log}");
    assert!(!log.contains("NO MERCY"), "{log}");
}

#[test]
fn sigterm_kills_what_outlives_the_mercy() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(&dir, "marked_slow_app.py", &["--reload-mercy", "1"]);
    let procs = app_processes(&server);
    let in_flight = request_in_flight(&dir, port, 60);
    let started = Instant::now();
    server.signal(Signal::SIGTERM).expect("SIGTERM");
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("exits");
    let log = server.log();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        log.contains("...gracefully killing workers (mercy: 1 seconds)..."),
        "{log}"
    );
    assert!(
        log.contains("worker 1 (pid: ")
            && log.contains("is taking too much time to die...NO MERCY !!!"),
        "{log}"
    );
    assert!(procs.iter().all(|p| !p.is_alive()), "{procs:?}");
    assert_eq!(
        in_flight.join().expect("client thread"),
        None,
        "the request was cut"
    );
}

/// `pidfile2`, `safe-pidfile` and `safe-pidfile2` hold the master's pid
/// while it runs (no temporary file left beside them); `vacuum` removes
/// them at a graceful stop.
#[test]
fn the_other_pidfiles_are_written_and_vacuumed() {
    let dir = TestDir::new().expect("temp dir");
    let names = ["p2.pid", "safe.pid", "safe2.pid"];
    let (server, _port) = start_http(
        &dir,
        "pid_app.py",
        &[
            "--pidfile2",
            "p2.pid",
            "--safe-pidfile",
            "safe.pid",
            "--safe-pidfile2",
            "safe2.pid",
            "--vacuum",
        ],
    );
    for name in names {
        let written = std::fs::read_to_string(dir.join(name)).expect("pidfile");
        assert_eq!(written, format!("{}\n", server.pid()), "{name}");
        assert!(!dir.join(&format!("{name}.tmp")).exists(), "{name}.tmp");
    }
    stop_cleanly(server, Signal::SIGTERM);
    for name in names {
        assert!(!dir.join(name).exists(), "{name} vacuumed");
    }
}
