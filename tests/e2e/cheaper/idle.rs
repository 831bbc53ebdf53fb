//! `idle = N` as uWSGI 2.0.31 does it (its log, pinned): after more than N
//! seconds without a request, `workers have been inactive for more than N
//! seconds (NOW-LAST)` and `cheap mode enabled: waiting for socket
//! connection...`, every worker gone; the next connection brings them back
//! (`Respawned uWSGI worker 1 (new pid: P)`; `cheaper` of them with
//! adaptive workers) and is answered. `die-on-idle` stops the app, exit 0.
//! `cheap` starts in that mode: no worker until the first connection.

use uwsgid_e2e::{curl, wait_for_log};

use super::*;

#[test]
fn idle_stops_the_workers_until_a_connection_comes() {
    let mut app = App::start("processes = 2\nidle = 2");
    app.wait_workers("two workers", |n| n == 2);
    let cheap = "cheap mode enabled: waiting for socket connection...";
    wait_for_log(&mut app.server, cheap, ADAPT_TIMEOUT).expect("cheap mode");
    let log = app.server.log();
    assert!(
        log.contains("workers have been inactive for more than 2 seconds ("),
        "{log}"
    );
    app.wait_workers("no worker while cheap", |n| n == 0);
    let reply = curl(app.port, "/").run().expect("curl runs");
    assert_eq!(reply.status, 200, "the waking connection is served");
    app.wait_workers("the workers are back", |n| n == 2);
    assert!(
        app.server
            .log()
            .contains("Respawned uWSGI worker 1 (new pid: "),
        "{}",
        app.server.log()
    );
}

#[test]
fn with_cheaper_the_cheaper_count_comes_back() {
    let mut app = App::start(
        "processes = 3\ncheaper = 1\ncheaper-initial = 2\ncheaper-algo = manual\nidle = 1",
    );
    let cheap = "cheap mode enabled: waiting for socket connection...";
    wait_for_log(&mut app.server, cheap, ADAPT_TIMEOUT).expect("cheap mode");
    app.wait_workers("no worker while cheap", |n| n == 0);
    assert_eq!(curl(app.port, "/").run().expect("curl runs").status, 200);
    let back = app.wait_workers("one worker back", |n| n == 1);
    assert_eq!(back.processes, 1, "{back:?}");
}

#[test]
fn die_on_idle_stops_the_app() {
    let mut app = App::start("processes = 1\nidle = 1\ndie-on-idle = true");
    let status = app
        .server
        .wait_exit(ADAPT_TIMEOUT)
        .expect("the master exits");
    assert_eq!(status.code(), Some(0), "{}", app.server.log());
    let log = app.server.log();
    assert!(
        log.contains("workers have been inactive for more than 1 seconds ("),
        "{log}"
    );
    assert!(
        log.contains("SIGINT/SIGTERM received...killing workers..."),
        "{log}"
    );
}

#[test]
fn cheap_starts_no_worker_before_the_first_connection() {
    let mut app = App::launch("processes = 2\ncheap = true");
    wait_for_log(&mut app.server, "ready: app imported", ADAPT_TIMEOUT).expect("zygote ready");
    let waiting = wait_app(&app.control, "app", ADAPT_TIMEOUT, |_| true).expect("status");
    assert_eq!(serving(&waiting), 0, "{waiting:?}");
    let log = app.server.log();
    assert!(
        log.contains("cheap mode enabled: waiting for socket connection..."),
        "{log}"
    );
    assert!(!log.contains("spawned uWSGI worker"), "{log}");
    assert_eq!(curl(app.port, "/").run().expect("curl runs").status, 200);
    app.wait_workers("every worker after the connection", |n| n == 2);
}
