//! SIGKILL of a worker in the middle of a request: the request it was
//! running fails at once (not after a client timeout), the master respawns
//! the worker, and the other worker serves meanwhile.

use std::time::Instant;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uwsgid_e2e::{DEFAULT_TIMEOUT, TestDir, app_path, wait_for_log, wait_http_ready, wait_until};

use super::*;

#[test]
fn a_worker_killed_mid_request_fails_only_that_request_and_is_respawned() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("the uwsgid binary")
        .args(["--master", "--processes", "2", "--http-socket"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--wsgi-file")
        .arg(app_path("marked_slow_app.py"))
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("the app answers");

    let mark = dir.join("in-flight");
    let path = format!("/?s=60&mark={}", mark.display());
    let started = Instant::now();
    let slow = std::thread::spawn(move || {
        curl(port, &path)
            .timeout(Duration::from_secs(90))
            .run()
            .map(|r| r.status)
    });
    let victim: i32 = wait_until("the slow request to start", DEFAULT_TIMEOUT, || {
        std::fs::read_to_string(&mark).ok()?.trim().parse().ok()
    })
    .expect("the request runs");
    kill(Pid::from_raw(victim), Signal::SIGKILL).expect("kill the busy worker");

    let outcome = slow.join().expect("the client thread");
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "the killed request's client waited {:?}",
        started.elapsed()
    );
    assert!(
        !matches!(outcome, Ok(200)),
        "the killed request cannot have succeeded: {outcome:?}"
    );
    wait_for_log(&mut server, "Respawned uWSGI worker", DEFAULT_TIMEOUT)
        .expect("the worker is respawned");
    for _ in 0..20 {
        assert!(ok(port, "/", Duration::from_secs(10)), "{}", server.log());
    }
    server.ensure_running().expect("the master keeps running");
}
