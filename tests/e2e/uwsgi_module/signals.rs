//! uWSGI signals and timers through the real binary (`signals_app.py`):
//! a `@timer(1)` fires about once a second on one worker, and still does
//! after a reload (the new generation registers it again: no doubling)
//! and a worker's respawn; `uwsgi.signal()` from a request reaches its
//! handler, `workers` every worker, `worker2` that one; a failing handler is logged and the
//! worker goes on; `signal_wait`, `signal_registered`, a red-black timer's
//! iterations, a cron, a file monitor and the ini's `timer` and
//! `touch-signal`. With and
//! without `lazy-apps` (each lazy worker registers the same timers: they
//! are kept once).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;
use uwsgid_e2e::{
    Server, ServerBuilder, TestDir, free_port, venv, wait_for_log, wait_http_ready, wait_until,
};

use super::{SLOW, get_json, markers_dir};

/// One handled signal: `KIND-WORKER_ID-PID-SEQUENCE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Handled {
    kind: String,
    worker: u32,
    pid: i32,
    seq: u64,
}

fn handled(dir: &Path, kind: &str) -> Vec<Handled> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<Handled> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let mut parts = name.splitn(4, '-');
            Some(Handled {
                kind: parts.next()?.to_string(),
                worker: parts.next()?.parse().ok()?,
                pid: parts.next()?.parse().ok()?,
                seq: parts.next()?.parse().ok()?,
            })
        })
        .filter(|h| h.kind == kind)
        .collect();
    found.sort();
    found
}

/// Waits until the markers of `kind` satisfy `done`; returns them.
fn wait_handled(dir: &Path, kind: &str, done: impl Fn(&[Handled]) -> bool) -> Vec<Handled> {
    wait_until(&format!("{kind} markers"), SLOW, || {
        let found = handled(dir, kind);
        done(&found).then_some(found)
    })
    .unwrap_or_else(|err| panic!("{err}; {kind}: {:?}", handled(dir, kind)))
}

/// Five more ticks of the 1 s timer take at least four seconds: never
/// two timers where the app registered one. Returns the new ticks.
fn ticks_at_one_per_second(dir: &Path) -> Vec<Handled> {
    let before = handled(dir, "tick");
    let start = Instant::now();
    let all = wait_handled(dir, "tick", |t| t.len() >= before.len() + 5);
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(3500),
        "5 ticks of a 1 s timer in {elapsed:?}: it fires more than once a second"
    );
    since(&before, all)
}

/// What `now` has that `before` had not.
fn since(before: &[Handled], now: Vec<Handled>) -> Vec<Handled> {
    now.into_iter().filter(|h| !before.contains(h)).collect()
}

fn start(dir: &TestDir, port: u16, lazy: bool) -> Server {
    let app = dir
        .write("signals_app.py", include_str!("signals_app.py"))
        .expect("write the app");
    let text = format!(
        "[uwsgi]\nmaster = true\nprocesses = 2\nlazy-apps = {lazy}\n\
         http-socket = 127.0.0.1:{port}\nwsgi-file = {}\nhome = {}\nenv = MARKERS={}\n\
         timer = 50 2\ntouch-signal = {} 51\n",
        app.display(),
        venv().expect("the test venv").display(),
        markers_dir(dir).display(),
        dir.join("touched").display(),
    );
    dir.write("app.ini", text).expect("write app.ini");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--ini", "app.ini"])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");
    server
}

#[test]
fn signals_and_timers_reach_their_workers() {
    signals_and_timers(false);
}

#[test]
fn signals_and_timers_with_lazy_apps() {
    signals_and_timers(true);
}

fn signals_and_timers(lazy: bool) {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let mut server = start(&dir, port, lazy);
    let marks = dir.join("markers");

    // The timer: about once a second, each tick on one worker.
    let ticks = ticks_at_one_per_second(&marks);
    assert!(
        ticks.iter().all(|t| t.worker == 1 || t.worker == 2),
        "{ticks:?}"
    );

    // What the module says of the table, and the targets it refuses.
    assert_eq!(
        get_json(port, "/registered"),
        json!({
            "0": "True",
            "40": "True",
            "99": "None",
            "mule": "registered",
            "spooler": "registered",
            "nowhere": "ValueError: unable to register signal: unknown target \"nowhere\"",
        })
    );

    // uwsgi.signal() from a request: the default target, one worker.
    assert_eq!(get_json(port, "/raise?40")["raised"], true);
    wait_handled(&marks, "one", |h| h.len() == 1);
    // `workers`: every worker.
    get_json(port, "/raise?41");
    let each = wait_handled(&marks, "each", |h| h.len() == 2);
    let ids: BTreeSet<u32> = each.iter().map(|h| h.worker).collect();
    assert_eq!(ids, BTreeSet::from([1, 2]), "{each:?}");

    // `worker2`: that worker alone, whichever worker raised it.
    get_json(port, "/raise?44");
    get_json(port, "/raise?44");
    let second = wait_handled(&marks, "second", |h| h.len() == 2);
    assert!(second.iter().all(|h| h.worker == 2), "{second:?}");

    // A failing handler is logged; the worker goes on handling signals.
    get_json(port, "/raise?42");
    wait_for_log(&mut server, "RuntimeError: a failing handler", SLOW).expect("the traceback");
    wait_for_log(&mut server, "error managing signal 42 on worker", SLOW).expect("uWSGI's line");
    get_json(port, "/raise?40");
    wait_handled(&marks, "one", |h| h.len() == 2);

    // signal_wait returns once the signal was handled in this worker.
    assert_eq!(
        get_json(port, "/wait"),
        json!({"returned": "b''", "received": 43})
    );

    // The red-black timer ran its three iterations, and no more; the
    // every-minute cron ran; the ini's timer raised signal 50.
    wait_handled(&marks, "rb", |h| h.len() == 3);
    wait_handled(&marks, "cron", |h| !h.is_empty());
    wait_handled(&marks, "ini", |h| !h.is_empty());
    // The file monitor: the watched file appears.
    assert!(handled(&marks, "filemon").is_empty());
    std::fs::write(dir.join("watched"), b"now").expect("write the watched file");
    wait_handled(&marks, "filemon", |h| !h.is_empty());
    // The ini's touch-signal: the file appears.
    assert!(handled(&marks, "touch").is_empty());
    std::fs::write(dir.join("touched"), b"now").expect("write the touched file");
    wait_handled(&marks, "touch", |h| h.len() == 1);

    // A worker killed outright: the timer goes on, `workers` reaches the
    // new process.
    let victim = each[0].pid;
    kill(Pid::from_raw(victim), Signal::SIGKILL).expect("kill a worker");
    wait_for_log(&mut server, "Respawned uWSGI worker", SLOW).expect("the respawn");
    ticks_at_one_per_second(&marks);
    get_json(port, "/raise?41");
    let each = since(&each, wait_handled(&marks, "each", |h| h.len() == 4));
    let pids: BTreeSet<i32> = each.iter().map(|h| h.pid).collect();
    assert_eq!(pids.len(), 2, "{each:?}");
    assert!(!pids.contains(&victim), "{each:?}");
    assert_eq!(
        handled(&marks, "rb").len(),
        3,
        "a red-black timer with 3 iterations"
    );
    // workers() counts the signals each slot handled.
    let counts = get_json(port, "/counts");
    let counts: Vec<u64> = counts
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_u64()).collect())
        .unwrap_or_default();
    assert!(
        counts.len() == 2 && counts.iter().all(|&n| n >= 2),
        "{counts:?}"
    );

    // A graceful reload: the new generation registers its timer again;
    // the timer keeps firing, once a second, in the new workers.
    let old: BTreeSet<i32> = pids;
    assert_eq!(get_json(port, "/reload")["reload"], true);
    wait_for_log(&mut server, "generation 2 ready in", SLOW).expect("generation 2 is ready");
    wait_for_log(&mut server, "every worker of generation 1 is gone", SLOW)
        .expect("generation 1 finishes");
    let after = ticks_at_one_per_second(&marks);
    assert!(after.iter().any(|t| !old.contains(&t.pid)), "{after:?}");
    let last = &after[after.len() - 1];
    assert!(
        !old.contains(&last.pid),
        "the last tick came from an old worker: {after:?}"
    );
}
