//! harakiri: a request past the limit gets its worker killed by the master,
//! with uWSGI's lines, while the other worker keeps serving.

use std::time::{Duration, Instant};

use uwsgid_e2e::{DEFAULT_TIMEOUT, curl, wait_for_log, wait_until};

use super::*;

#[test]
fn a_stuck_request_is_killed_and_the_other_worker_keeps_serving() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(
        &dir,
        "slow_app.py",
        &["--processes", "2", "--harakiri", "2", "--harakiri-verbose"],
    );
    let slow = std::thread::spawn(move || {
        let started = Instant::now();
        let result = curl(port, "/stuck?s=30")
            .timeout(Duration::from_secs(40))
            .run();
        (started.elapsed(), result)
    });
    // Meanwhile another client keeps getting answers from the other worker.
    let mut answered = 0;
    wait_until("the harakiri", DEFAULT_TIMEOUT, || {
        let response = curl(port, "/?s=0").run().expect("the other worker answers");
        assert_eq!(response.status, 200);
        answered += 1;
        server
            .log()
            .contains("HARAKIRI triggered by worker")
            .then_some(())
    })
    .expect("the stuck worker is killed");
    let (elapsed, result) = slow.join().expect("the slow client");
    assert!(result.is_err(), "the stuck request is cut: {result:?}");
    // harakiri=2: the master looks again right when the request becomes
    // overdue, so the worker dies just after 2 s, within the 3 s promised.
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(3),
        "killed after {elapsed:?}"
    );
    assert!(answered >= 2, "the other worker answered {answered} times");
    let log = server.log();
    let on = log
        .lines()
        .find(|l| l.starts_with("*** HARAKIRI ON WORKER "))
        .expect("the HARAKIRI ON WORKER line");
    assert!(on.ends_with(", try: 1, graceful: no) ***"), "{on}");
    let id: u32 = on["*** HARAKIRI ON WORKER ".len()..]
        .split(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("worker id");
    for expected in [
        "HARAKIRI: -- syscall> ".to_owned(),
        "HARAKIRI: -- wchan> ".to_owned(),
        format!("HARAKIRI !!! worker {id} status !!!"),
        "HARAKIRI [core 0] 127.0.0.1 - GET /stuck?s=30 since ".to_owned(),
        format!("HARAKIRI triggered by worker {id} core 0 !!!"),
        format!("DAMN ! worker {id} (pid: "),
    ] {
        assert!(log.contains(&expected), "{expected:?} missing from:\n{log}");
    }
    assert!(
        log.contains(" *** WARNING: you have enabled harakiri without post buffering."),
        "{log}"
    );
    wait_for_log(
        &mut server,
        &format!("Respawned uWSGI worker {id} (new pid: "),
        DEFAULT_TIMEOUT,
    )
    .expect("a new worker takes its place");
}

/// The graceful signal here is SIGWINCH (28), which a worker ignores: the
/// graceful try does nothing and the SIGKILL of the second try follows
/// `harakiri-graceful-timeout` later.
#[test]
fn a_graceful_harakiri_signals_first_then_kills() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(
        &dir,
        "slow_app.py",
        &[
            "--processes",
            "1",
            "--threads",
            "2",
            "--harakiri",
            "1",
            "--harakiri-graceful-timeout",
            "2",
            "--harakiri-graceful-signal",
            "28",
            "--post-buffering",
            "8192",
        ],
    );
    let slow = std::thread::spawn(move || {
        curl(port, "/stuck?s=30")
            .timeout(Duration::from_secs(40))
            .run()
    });
    wait_for_log(&mut server, ", try: 1, graceful: yes) ***", DEFAULT_TIMEOUT)
        .expect("the graceful try");
    wait_for_log(&mut server, ", try: 2, graceful: no) ***", DEFAULT_TIMEOUT)
        .expect("the second try");
    let _ = slow.join();
    wait_for_log(&mut server, "Respawned uWSGI worker 1", DEFAULT_TIMEOUT).expect("respawn");
    let log = server.log();
    assert!(log.contains("*** HARAKIRI ON WORKER 1 (pid: "), "{log}");
    assert!(log.contains("died, killed by signal 9"), "{log}");
    assert!(!log.contains("without post buffering"), "{log}");
    // A core of a threaded worker: the request is named with its core.
    assert!(
        log.contains("] 127.0.0.1 - GET /stuck?s=30 since "),
        "{log}"
    );
    assert_eq!(curl(port, "/").run().expect("served again").status, 200);
}

#[test]
fn a_worker_removed_by_sigttou_is_still_subject_to_harakiri() {
    let dir = TestDir::new().expect("temp dir");
    let control = dir.join("control.sock");
    let control_arg = control.display().to_string();
    let (mut server, port) = start_http(
        &dir,
        "slow_app.py",
        &[
            "--processes",
            "2",
            "--harakiri",
            "2",
            "--reload-mercy",
            "60",
            "--control",
            &control_arg,
        ],
    );
    // Two stuck requests: one on each worker (a busy worker takes no more).
    let clients: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(move || curl(port, "/stuck?s=30").run()))
        .collect();
    uwsgid_e2e::control::wait_app(&control, "slow_app", DEFAULT_TIMEOUT, |a| {
        a.workers.iter().filter(|w| w.state == "busy").count() == 2
    })
    .expect("both workers are busy");
    let removed = Instant::now();
    server
        .signal(nix::sys::signal::Signal::SIGTTOU)
        .expect("SIGTTOU");
    wait_for_log(&mut server, "worker 2 buried after", DEFAULT_TIMEOUT)
        .expect("the removed worker ends");
    assert!(
        removed.elapsed() < Duration::from_secs(10),
        "harakiri, not the 60 s mercy, ended it"
    );
    let log = server.log();
    assert!(log.contains("SIGTTOU: removing worker 2"), "{log}");
    assert!(log.contains("*** HARAKIRI ON WORKER 2 "), "{log}");
    for client in clients {
        let result = client.join().expect("client thread");
        assert!(result.is_err(), "a stuck request is cut: {result:?}");
    }
}
