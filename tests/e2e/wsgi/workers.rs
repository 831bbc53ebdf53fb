//! How requests spread over worker processes: concurrent requests use every
//! worker, each worker runs one request at a time with `threads=1` (and N
//! with `threads=N`), an idle keep-alive connection holds no worker, and
//! `socket-timeout` bounds a stalled client.

use std::time::Duration;

use serde_json::Value;
use uwsgid_e2e::{HttpApp, Python};

/// Sends `count` concurrent `GET /?s=seconds`, each on its own connection,
/// optionally while an idle keep-alive connection is open; returns the
/// answers (`pid`, `start`, `end`) and whether the idle connection still
/// works afterwards.
fn concurrent_slow_requests(app: &HttpApp, count: usize, seconds: f64, idle: bool) -> Value {
    Python::script(
        r#"
import sys, json, threading, http.client, rawhttp
port, count, seconds, idle = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
keeper = None
if idle:
    keeper = rawhttp.Conn(port)
    keeper.request("GET", "/?s=0")
    first = keeper.read_response()
    assert first.status == 200 and first.header("connection") != "close", first.headers
answers = [None] * count
def fetch(i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/?s={seconds}")
    answers[i] = json.loads(conn.getresponse().read())
threads = [threading.Thread(target=fetch, args=(i,)) for i in range(count)]
for t in threads: t.start()
for t in threads: t.join()
reused = None
if idle:
    keeper.request("GET", "/?s=0")
    reused = keeper.read_response().status
rawhttp.emit({"answers": answers, "idle_reused": reused})
"#,
    )
    .arg(app.port.to_string())
    .arg(count.to_string())
    .arg(seconds.to_string())
    .arg(if idle { "1" } else { "0" })
    .timeout(Duration::from_secs(30))
    .run_json()
    .expect("the client runs")
}

fn answers(result: &Value) -> Vec<(u64, f64, f64)> {
    result["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| {
            let num = |k: &str| a[k].as_f64().unwrap_or_else(|| panic!("no {k} in {a}"));
            (a["pid"].as_u64().expect("pid"), num("start"), num("end"))
        })
        .collect()
}

/// The most requests that ran at the same moment.
fn max_overlap(intervals: &[(u64, f64, f64)]) -> usize {
    intervals
        .iter()
        .map(|(_, start, _)| {
            intervals
                .iter()
                .filter(|(_, s, e)| s <= start && start < e)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn four_slow_requests_land_on_both_of_two_workers() {
    let app = HttpApp::start("slow_app.py", &["--processes", "2"]).expect("uwsgid serves");
    let result = concurrent_slow_requests(&app, 4, 1.5, false);
    let got = answers(&result);
    let mut pids: Vec<u64> = got.iter().map(|a| a.0).collect();
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), 2, "requests did not use both workers: {got:?}");
    assert_eq!(
        max_overlap(&got),
        2,
        "two workers, one thread each: {got:?}"
    );
}

#[test]
fn an_idle_keep_alive_connection_does_not_pin_the_only_worker() {
    let app = HttpApp::start(
        "slow_app.py",
        &["--processes", "1", "--socket-timeout", "30"],
    )
    .expect("uwsgid serves");
    // While connection A idles, a request on B must be served at once (a
    // worker blocked reading A would answer it only after socket-timeout),
    // and A must still work afterwards.
    let result = Python::script(
        r#"
import sys, time, rawhttp
port = int(sys.argv[1])
a = rawhttp.Conn(port)
a.request("GET", "/?s=0")
first = a.read_response()
b = rawhttp.Conn(port, timeout=5)
started = time.monotonic()
b.request("GET", "/?s=0")
second = b.read_response()
elapsed = time.monotonic() - started
a.request("GET", "/?s=0")
third = a.read_response()
rawhttp.emit({"statuses": [first.status, second.status, third.status], "elapsed": elapsed})
"#,
    )
    .arg(app.port.to_string())
    .run_json()
    .expect("the client runs");
    assert_eq!(result["statuses"], serde_json::json!([200, 200, 200]));
    let elapsed = result["elapsed"].as_f64().expect("elapsed");
    assert!(
        elapsed < 2.0,
        "B waited {elapsed:.2}s behind the idle connection"
    );
}

#[test]
fn an_idle_keep_alive_connection_leaves_both_workers_free() {
    let app = HttpApp::start(
        "slow_app.py",
        &["--processes", "2", "--socket-timeout", "30"],
    )
    .expect("uwsgid serves");
    let result = concurrent_slow_requests(&app, 2, 1.5, true);
    let got = answers(&result);
    assert_eq!(
        max_overlap(&got),
        2,
        "the two slow requests did not run in parallel: {got:?}"
    );
    assert_eq!(
        result["idle_reused"], 200,
        "the idle connection was dropped"
    );
}

#[test]
fn four_threads_serve_four_slow_requests_at_once() {
    let app = HttpApp::start("slow_app.py", &["--processes", "1", "--threads", "4"])
        .expect("uwsgid serves");
    let result = concurrent_slow_requests(&app, 4, 1.5, false);
    let got = answers(&result);
    assert!(got.iter().all(|a| a.0 == got[0].0), "one worker: {got:?}");
    assert_eq!(
        max_overlap(&got),
        4,
        "threads=4 runs four requests at once: {got:?}"
    );
}

/// A client that stalls is bounded by `socket-timeout`, as in uWSGI: a
/// half-sent head holds the only worker at most that long and is then
/// dropped; a half-sent body the app never reads holds nothing.
#[test]
fn socket_timeout_bounds_a_stalled_client() {
    let app = HttpApp::start(
        "slow_app.py",
        &["--processes", "1", "--socket-timeout", "2"],
    )
    .expect("uwsgid serves");
    let result = Python::script(
        r#"
import sys, time, rawhttp
port = int(sys.argv[1])
def timed_get():
    b = rawhttp.Conn(port, timeout=10)
    started = time.monotonic()
    b.request("GET", "/?s=0")
    return [b.read_response().status, time.monotonic() - started]
body = rawhttp.Conn(port)
body.send("POST /?s=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nonly part")
after_body = timed_get()
head = rawhttp.Conn(port)
head.send("GET /?s=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
after_head = timed_get()
rawhttp.emit({"after_body": after_body, "after_head": after_head,
              "head_dropped": head.closed_by_server(timeout=6)})
"#,
    )
    .arg(app.port.to_string())
    .run_json()
    .expect("the client runs");
    let (body, head) = (&result["after_body"], &result["after_head"]);
    assert_eq!((&body[0], &head[0]), (&200.into(), &200.into()), "{result}");
    let seconds = |v: &Value| v[1].as_f64().expect("elapsed");
    assert!(
        seconds(body) < 1.5,
        "an unread half body held the worker: {result}"
    );
    assert!(
        seconds(head) < 4.5,
        "a half head held the worker past socket-timeout: {result}"
    );
    assert_eq!(
        result["head_dropped"], true,
        "the stalled client was not dropped: {result}"
    );
}

/// Keep-alive connections a worker already holds must not starve the ones
/// still waiting in the listen queue: with one process and one thread, 32
/// clients that each keep their connection busy all get served, in turn,
/// not one after another (uWSGI's `http11-socket` serves the first ones
/// only, until they are done).
#[test]
fn busy_keep_alive_connections_do_not_starve_new_ones() {
    let app = HttpApp::start(
        "slow_app.py",
        &[
            "--processes",
            "1",
            "--threads",
            "1",
            "--socket-timeout",
            "30",
        ],
    )
    .expect("uwsgid serves");
    let result = Python::script(
        r#"
import sys, json, time, threading, http.client, rawhttp
port, clients, per_client = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
start = threading.Barrier(clients)
report = [None] * clients
def client(i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start.wait()
    first, worst, served = None, 0.0, 0
    for _ in range(per_client):
        sent = time.monotonic()
        conn.request("GET", "/?s=0.002")
        resp = conn.getresponse()
        resp.read()
        now = time.monotonic()
        if resp.status == 200:
            served += 1
        first = first if first is not None else now
        worst = max(worst, now - sent)
    report[i] = {"served": served, "first": first, "done": time.monotonic(), "worst": worst}
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
rawhttp.emit(report)
"#,
    )
    .arg(app.port.to_string())
    .arg("32")
    .arg("40")
    .timeout(Duration::from_secs(50))
    .run_json()
    .expect("the client runs");
    let clients = result.as_array().expect("one report per client");
    let field = |c: &Value, k: &str| c[k].as_f64().unwrap_or_else(|| panic!("no {k} in {c}"));
    let served: Vec<u64> = clients
        .iter()
        .map(|c| c["served"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(served, vec![40; 32], "every client gets all its answers");
    // Fair turns: every client had its first answer before any client had
    // all of its 40.
    let last_first = clients
        .iter()
        .map(|c| field(c, "first"))
        .fold(0.0, f64::max);
    let first_done = clients
        .iter()
        .map(|c| field(c, "done"))
        .fold(f64::MAX, f64::min);
    assert!(
        last_first < first_done,
        "a client waited for its first answer until another had all of its own: {result}"
    );
    let worst = clients
        .iter()
        .map(|c| field(c, "worst"))
        .fold(0.0, f64::max);
    assert!(
        worst < 2.0,
        "a request waited {worst:.2}s (32 requests of 2 ms are ahead of it at most): {result}"
    );
}
