//! Each algorithm under a real load: slow requests from concurrent
//! clients grow the app to `processes` workers, never more; when they
//! stop, it shrinks back to `cheaper`; no request fails on the way.

use super::*;

/// Runs `clients` clients of `seconds`-long requests until the app has
/// `max` workers, then stops them and waits until it is back to `min`.
/// With `light`, one client of short requests runs on until the first
/// worker was removed: removing workers fails no request. Returns the log.
fn grows_and_shrinks(
    app: &App,
    (min, max): (usize, usize),
    clients: u32,
    seconds: f64,
    light: bool,
) -> String {
    app.wait_workers("the cheaper count at start", |n| n == min);
    let load = app.load(clients, seconds);
    app.wait_workers("growth under load", |n| n == max);
    let light = light.then(|| app.load(1, 0.05));
    let seen = load.stop();
    assert_eq!(seen["failed"], 0, "{seen}\nlog:\n{}", app.server.log());
    assert!(seen["ok"].as_u64().unwrap_or(0) > 0, "{seen}");
    if let Some(light) = light {
        app.wait_workers("shrinking under a light load", |n| n < max);
        let seen = light.stop();
        assert_eq!(seen["failed"], 0, "{seen}\nlog:\n{}", app.server.log());
    }
    app.wait_workers("shrinking when idle", |n| n == min);
    let log = app.server.log();
    let beyond = format!("adding worker {} ", max + 1);
    assert!(!log.contains(&beyond), "never above processes:\n{log}");
    log
}

/// `spare`, the default: every worker busy for more than
/// `cheaper-overload` cycles adds one; idle cycles remove one.
#[test]
fn spare_grows_under_load_and_shrinks_when_idle() {
    let mut app = App::start("processes = 3\ncheaper = 1\ncheaper-overload = 1");
    grows_and_shrinks(&app, (1, 3), 6, 1.0, true);
    // uWSGI's line once the worker stopped has exited.
    uwsgid_e2e::wait_for_log(&mut app.server, "uWSGI worker 2 cheaped.", ADAPT_TIMEOUT)
        .expect("worker 2 exits");
    let log = app.server.log();
    assert!(
        log.contains("cheaper: adding worker 2 (workers: 2)"),
        "{log}"
    );
    assert!(log.contains("spawned uWSGI worker 3 (pid: "), "{log}");
    assert!(
        log.contains("cheaper: removing worker 3 (workers: 2)"),
        "{log}"
    );
    assert!(
        log.contains("cheaper: removing worker 2 (workers: 1)"),
        "{log}"
    );
}

/// `backlog`: more than `cheaper-overload` connections waiting in the
/// listen queue add workers; a shorter queue removes them.
#[test]
fn backlog_follows_the_listen_queue() {
    let app =
        App::start("processes = 3\ncheaper = 1\ncheaper-algo = backlog\ncheaper-overload = 2");
    let log = grows_and_shrinks(&app, (1, 3), 8, 1.0, true);
    assert!(
        log.contains("cheaper: adding worker 3 (workers: 3)"),
        "{log}"
    );
    assert!(
        log.contains("cheaper: removing worker 2 (workers: 1)"),
        "{log}"
    );
}

/// `busyness`: over `cheaper-busyness-max` percent of the time in
/// requests adds workers with uWSGI's log lines; under the minimum for
/// `cheaper-overload` × multiplier seconds removes one.
#[test]
fn busyness_measures_time_in_requests() {
    let app = App::start(
        "processes = 3\ncheaper = 1\ncheaper-algo = busyness\ncheaper-overload = 1\n\
         cheaper-busyness-multiplier = 2",
    );
    let log = grows_and_shrinks(&app, (1, 3), 6, 0.5, false);
    assert!(
        log.contains(
            "[busyness] settings: min=25%, max=50%, overload=1, multiplier=2, respawn penalty=2"
        ),
        "{log}"
    );
    assert!(log.contains("will spawn 1 new worker(s)"), "{log}");
    assert!(log.contains("cheap one of 2 running workers"), "{log}");
}
