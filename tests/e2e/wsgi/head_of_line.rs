//! No request waits behind another while a worker is idle: a worker whose
//! Python threads are all stuck in a slow request takes no new connection
//! (they wait in the listen queue for an idle sibling), and passes its idle
//! keep-alive connections to a sibling; its death then fails only the
//! request it was running. With every worker busy, requests queue and are
//! all served once a worker frees.

use std::time::Duration;

use serde_json::Value;
use uwsgid_e2e::{HttpApp, Python};

/// Four workers of one thread each, serving `marked_slow_app.py`.
fn four_workers() -> HttpApp {
    HttpApp::start(
        "marked_slow_app.py",
        &[
            "--processes",
            "4",
            "--threads",
            "1",
            "--socket-timeout",
            "30",
        ],
    )
    .expect("uwsgid serves")
}

fn run(app: &HttpApp, script: &str, timeout: u64) -> Value {
    Python::script(format!(
        "import sys, time, json, os, rawhttp, hol\n{script}"
    ))
    .arg(app.port.to_string())
    .arg(app.join("slow.mark"))
    .timeout(Duration::from_secs(timeout))
    .run_json()
    .expect("the client runs")
}

fn results(value: &Value) -> &Vec<Value> {
    value["results"].as_array().expect("results")
}

/// Every result is a 200 answered within `limit` seconds by a worker other
/// than `slow_pid`.
fn assert_quick_elsewhere(value: &Value, limit: f64) {
    let slow_pid = &value["slow_pid"];
    for got in results(value) {
        assert_eq!(got["status"], 200, "{got} in {value}");
        let seconds = got["seconds"].as_f64().expect("seconds");
        assert!(seconds < limit, "{seconds} s for {got} in {value}");
        assert_ne!(&got["pid"], slow_pid, "served by the stuck worker: {value}");
    }
}

#[test]
fn a_stuck_worker_takes_no_new_connection_while_siblings_are_idle() {
    let app = four_workers();
    let value = run(
        &app,
        r#"
port, mark = int(sys.argv[1]), sys.argv[2]
slow = hol.Slow(port, mark, 8)
# At least 20 requests, and as many as fit in the first 5 of the slow
# request's 8 seconds: each starts while it surely runs (a request sent
# when it ends may rightly go to the worker it frees).
until = time.monotonic() + 5
results = []
while len(results) < 20 or (time.monotonic() < until and len(results) < 2000):
    results.append(hol.fetch(port))
still_slow = slow.ended is None
slow.join()
rawhttp.emit({"slow_pid": slow.pid, "slow_status": slow.status, "results": results,
              "still_slow": still_slow})
"#,
        60,
    );
    assert_eq!(value["slow_status"], 200, "{value}");
    assert_eq!(
        value["still_slow"], true,
        "the requests outlasted the slow one: {value}"
    );
    assert!(results(&value).len() >= 20, "{value}");
    assert_quick_elsewhere(&value, 1.0);
}

#[test]
fn a_kept_alive_connection_leaves_a_stuck_worker_for_an_idle_one() {
    let app = four_workers();
    let value = run(
        &app,
        r#"
port, mark = int(sys.argv[1]), sys.argv[2]
# Two kept-alive connections served by the same worker: the slow request
# goes on the second, the first then sends its requests.
kept = rawhttp.Conn(port, timeout=60)
first = hol.fetch(port, conn=kept)
other = hol.keep_alive_on(port, first["pid"])
slow = hol.Slow(port, mark, 5, conn=other)
assert slow.pid == first["pid"], (slow.pid, first)
hol.wait_released(slow.pid, port, [kept.sock.getsockname()[1]])
results = [hol.fetch(port, conn=kept) for _ in range(20)]
still_slow = slow.ended is None
slow.join()
rawhttp.emit({"slow_pid": slow.pid, "slow_status": slow.status, "results": results,
              "still_slow": still_slow})
"#,
        60,
    );
    assert_eq!(value["slow_status"], 200, "{value}");
    assert_eq!(
        value["still_slow"], true,
        "the 20 requests outlasted the slow one: {value}"
    );
    assert_eq!(results(&value).len(), 20, "{value}");
    assert_quick_elsewhere(&value, 1.0);
}

/// A connection a stuck worker passed on, on which nothing was sent since,
/// is passed on again when the worker that took it gets stuck in turn.
#[test]
fn a_passed_connection_moves_on_again_from_a_second_stuck_worker() {
    let app = four_workers();
    let value = run(
        &app,
        r#"
port, mark = int(sys.argv[1]), sys.argv[2]
pids = hol.worker_pids(port, 4)
kept = rawhttp.Conn(port, timeout=60)
kept_port = kept.sock.getsockname()[1]
first = hol.fetch(port, conn=kept)["pid"]
slow = [hol.Slow(port, f"{mark}.1", 10, conn=hol.keep_alive_on(port, first))]
hol.wait_released(first, port, [kept_port])
second = hol.wait_for(lambda: hol.holder(pids, port, kept_port),
                      "a worker to take the passed connection")
slow.append(hol.Slow(port, f"{mark}.2", 10, conn=hol.keep_alive_on(port, second)))
hol.wait_released(second, port, [kept_port])
got = hol.fetch(port, conn=kept)
for s in slow: s.join()
rawhttp.emit({"first": first, "second": second, "got": got,
              "slow": [s.status for s in slow]})
"#,
        90,
    );
    assert_eq!(value["slow"], serde_json::json!([200, 200]), "{value}");
    assert_ne!(value["first"], value["second"], "{value}");
    let got = &value["got"];
    assert_eq!(got["status"], 200, "{value}");
    assert_ne!(got["pid"], value["first"], "{value}");
    assert_ne!(got["pid"], value["second"], "{value}");
    assert!(got["seconds"].as_f64().is_some_and(|s| s < 1.0), "{value}");
}

/// The 8 clients open a connection per request (what uWSGI was compared
/// on); idle kept-alive connections opened before the slow request, some
/// on the worker that gets it, must survive its death too.
#[test]
fn killing_a_stuck_worker_fails_only_the_request_it_runs() {
    let app = four_workers();
    let value = run(
        &app,
        r#"
import signal, threading
port, mark = int(sys.argv[1]), sys.argv[2]
kept = [rawhttp.Conn(port, timeout=60) for _ in range(8)]
for conn in kept: hol.fetch(port, conn=conn)
stop = threading.Event()
results = []
def client():
    while not stop.is_set():
        results.append(hol.fetch(port))
clients = [threading.Thread(target=client, daemon=True) for _ in range(8)]
for t in clients: t.start()
slow = hol.Slow(port, mark, 30)
# Once it holds nothing but the slow request, kill it.
hol.wait_for(lambda: hol.held(slow.pid, port) == {slow.client_port},
             "the stuck worker to hold the slow request alone",
             detail=lambda: f"slow on {slow.client_port}, the worker holds "
                            f"{sorted(hol.held(slow.pid, port))}, kept "
                            f"{[c.sock.getsockname()[1] for c in kept]}")
before = len(results)
os.kill(slow.pid, signal.SIGKILL)
killed = time.monotonic()
slow.join()
hol.wait_for(lambda: len(results) >= before + 200 and time.monotonic() > killed + 1,
             "requests after the kill")
stop.set()
for t in clients: t.join()
results += [hol.fetch(port, conn=conn) for conn in kept]
rawhttp.emit({"slow_pid": slow.pid, "slow_status": slow.status, "slow_error": slow.error,
              "results": results, "before": before})
"#,
        90,
    );
    assert!(
        value["slow_error"].is_string(),
        "the slow request survived: {value}"
    );
    let got = results(&value);
    let failed: Vec<&Value> = got.iter().filter(|r| r["status"] != 200).collect();
    assert!(failed.is_empty(), "{} failed: {failed:?}", failed.len());
    assert!(got.len() >= 200, "{value}");
}

#[test]
fn with_every_worker_busy_requests_queue_and_are_all_served() {
    let app = HttpApp::start(
        "marked_slow_app.py",
        &[
            "--processes",
            "2",
            "--threads",
            "1",
            "--socket-timeout",
            "30",
        ],
    )
    .expect("uwsgid serves");
    let value = run(
        &app,
        r#"
import threading
port, mark = int(sys.argv[1]), sys.argv[2]
# Kept-alive connections, idle on the workers while they get busy.
kept = [rawhttp.Conn(port, timeout=60) for _ in range(4)]
for conn in kept: hol.fetch(port, conn=conn)
slow = [hol.Slow(port, f"{mark}.{i}", 2) for i in range(2)]
assert slow[0].pid != slow[1].pid, "both workers busy"
busy_since = time.monotonic()
results = [None] * 12
def send(i):
    results[i] = hol.fetch(port, conn=kept[i] if i < len(kept) else None)
threads = [threading.Thread(target=send, args=(i,)) for i in range(len(results))]
for t in threads: t.start()
for t in threads: t.join()
for s in slow: s.join()
first_free = min(s.ended for s in slow)
rawhttp.emit({"results": results, "slow": [s.status for s in slow],
              "waited": [r["seconds"] for r in results], "busy_for": first_free - busy_since})
"#,
        60,
    );
    assert_eq!(value["slow"], serde_json::json!([200, 200]), "{value}");
    for got in results(&value) {
        assert_eq!(got["status"], 200, "{got} in {value}");
        // Served once a worker freed (after ~2 s), not starved behind the
        // others: the 12 quick requests take milliseconds once it does.
        let seconds = got["seconds"].as_f64().expect("seconds");
        assert!(seconds < 10.0, "{seconds} s for {got} in {value}");
    }
}
