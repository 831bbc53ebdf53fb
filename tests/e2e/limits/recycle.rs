//! Recycling: after `max-requests`, or past `reload-on-as`/`reload-on-rss`,
//! a worker finishes what it serves, exits 0 and is replaced, and no
//! request fails; `memory-report` prefixes each request line.

use std::time::Duration;

use uwsgid_e2e::{DEFAULT_TIMEOUT, Python, curl, wait_for_log, wait_until};

use super::*;

/// Keep-alive clients on several threads. A request whose reused
/// connection the server closed before answering (it recycles and closes
/// idle keep-alive connections) is sent again on a new connection, as
/// HTTP clients and nginx do (RFC 9112 §9.3.1); any other failure, and any
/// answer other than 200, counts as failed.
const LOAD: &str = r#"
import http.client, json, sys, threading
port, threads, per = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
out = {"ok": 0, "failed": [], "pids": [], "reconnects": 0}
def worker():
    conn, used = None, False
    for _ in range(per):
        for attempt in range(3):
            if conn is None:
                conn, used = http.client.HTTPConnection("127.0.0.1", port, timeout=20), False
            try:
                conn.request("GET", "/")
                resp = conn.getresponse()
                body = resp.read().decode()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                conn.close(); conn = None
                if used:
                    with lock: out["reconnects"] += 1
                    continue
                with lock: out["failed"].append(repr(e))
                break
            except Exception as e:
                conn.close(); conn = None
                with lock: out["failed"].append(repr(e))
                break
            used = True
            with lock:
                if resp.status == 200:
                    out["ok"] += 1
                    out["pids"].append(int(body.strip().split("=")[1]))
                else:
                    out["failed"].append(resp.status)
            if resp.getheader("Connection", "").lower() == "close":
                conn.close(); conn = None
            break
ts = [threading.Thread(target=worker) for _ in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
out["pids"] = sorted(set(out["pids"]))
print(json.dumps(out))
"#;

#[test]
fn max_requests_recycles_workers_without_failing_a_request() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(
        &dir,
        "pid_app.py",
        &[
            "--processes",
            "2",
            "--max-requests",
            "50",
            "--min-worker-lifetime",
            "0",
        ],
    );
    let result = Python::script(LOAD)
        .arg(port.to_string())
        .arg("4")
        .arg("75")
        .timeout(Duration::from_secs(120))
        .run_json()
        .expect("the load client");
    let failed = result["failed"].as_array().cloned().unwrap_or_default();
    assert!(failed.is_empty(), "failed requests: {result}");
    assert_eq!(result["ok"], 300, "{result}");
    let pids: BTreeSet<i32> = result["pids"]
        .as_array()
        .expect("pids")
        .iter()
        .filter_map(|p| p.as_i64().and_then(|p| i32::try_from(p).ok()))
        .collect();
    // 300 requests at most 50 per worker: at least 6 processes served.
    assert!(pids.len() >= 6, "pids that served: {pids:?}\n{result}");
    wait_for_log(&mut server, "Respawned uWSGI worker", DEFAULT_TIMEOUT).expect("respawns");
    let log = server.log();
    let done = log
        .lines()
        .filter(|l| {
            l.starts_with("...The work of process ")
                && l.ends_with(" is done (max requests reached (50 >= 50)). Seeya!")
        })
        .count();
    assert!(done >= 4, "{done} recycles in:\n{log}");
    assert!(log.contains(" killed successfully (pid: "), "{log}");
    assert!(pids.is_subset(&born_pids(&log)), "{pids:?}");
    // A deliberate recycle is not a crash: no backoff.
    assert!(!log.contains("respawning too fast"), "{log}");
}

/// The worker's VmSize in MiB, as the app reports it.
fn vm_size_mib(port: u16) -> u64 {
    let response = curl(port, "/").run().expect("an answer");
    let json = response.json().expect("json");
    json["VmSize"].as_u64().expect("VmSize") / (1024 * 1024)
}

fn grow_until_recycled(server: &mut Server, port: u16, expected: &str) {
    let before = served_pid(curl(port, "/")).expect("a pid");
    let grown = curl(port, "/grow?mb=100")
        .run()
        .expect("the growing request");
    assert_eq!(grown.status, 200, "the request that grew is answered");
    wait_for_log(server, expected, DEFAULT_TIMEOUT).expect("the recycle line");
    wait_for_log(server, "Respawned uWSGI worker 1", DEFAULT_TIMEOUT).expect("a new worker");
    let after = wait_until("the new worker to answer", DEFAULT_TIMEOUT, || {
        served_pid(curl(port, "/")).filter(|p| *p != before)
    })
    .expect("a new pid");
    assert!(born_pids(&server.log()).contains(&after));
    let log = server.log();
    assert!(
        log.contains(&format!("...The work of process {before} is done (")),
        "{log}"
    );
}

#[test]
fn reload_on_rss_recycles_a_worker_that_grew() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(
        &dir,
        "memory_app.py",
        &[
            "--processes",
            "1",
            "--reload-on-rss",
            "90",
            "--min-worker-lifetime",
            "0",
        ],
    );
    grow_until_recycled(&mut server, port, "reload-on-rss limit reached (");
}

#[test]
fn reload_on_as_recycles_a_worker_that_grew() {
    // The address space of an idle worker depends on the machine: measure
    // it, then set the limit 60 MiB above it.
    let probe = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(&probe, "memory_app.py", &["--processes", "1"]);
    let base = vm_size_mib(port);
    server.stop().expect("stop the probe");
    let dir = TestDir::new().expect("temp dir");
    let limit = (base + 60).to_string();
    let (mut server, port) = start_http(
        &dir,
        "memory_app.py",
        &[
            "--processes",
            "1",
            "--reload-on-as",
            &limit,
            "--min-worker-lifetime",
            "0",
        ],
    );
    grow_until_recycled(&mut server, port, "reload-on-as limit reached (");
}

#[test]
fn memory_report_prefixes_each_request_line() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(&dir, "pid_app.py", &["--memory-report"]);
    assert_eq!(curl(port, "/mem").run().expect("answer").status, 200);
    wait_for_log(&mut server, "GET /mem =>", DEFAULT_TIMEOUT).expect("the request line");
    let log = server.log();
    let line = log
        .lines()
        .find(|l| l.contains("GET /mem =>"))
        .expect("the line");
    let (prefix, rest) = line.split_once("[pid: ").expect("the request part");
    assert!(rest.contains("|worker: 1|"), "{line}");
    // {address space usage: N bytes/NMB} {rss usage: N bytes/NMB}
    let figures: Vec<(u64, u64)> = prefix
        .split("} ")
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (_, numbers) = part.split_once("usage: ").expect("usage: N");
            let (bytes, mb) = numbers.split_once(" bytes/").expect("bytes/");
            let mb = mb.strip_suffix("MB").expect("MB");
            (bytes.parse().expect("bytes"), mb.parse().expect("MiB"))
        })
        .collect();
    assert!(prefix.starts_with("{address space usage: "), "{line}");
    assert!(prefix.contains("MB} {rss usage: "), "{line}");
    assert_eq!(figures.len(), 2, "{line}");
    for (bytes, mb) in figures {
        assert!(bytes > 0, "{line}");
        assert_eq!(bytes / (1024 * 1024), mb, "{line}");
    }
}

/// `max-worker-lifetime = 2` with `max-worker-lifetime-delta = 3`: worker 1
/// is replaced after about 2 s and worker 2 after about 5 s, each with
/// uWSGI's line, as uWSGI 2.0.31 staggers them; requests keep being served.
#[test]
fn max_worker_lifetime_replaces_each_worker_in_turn() {
    let dir = TestDir::new().expect("temp dir");
    let args = [
        "--processes",
        "2",
        "--max-worker-lifetime",
        "2",
        "--min-worker-lifetime",
        "1",
        "--max-worker-lifetime-delta",
        "3",
    ];
    let (server, port) = start_http(&dir, "pid_app.py", &args);
    let first = born_pids(&server.log());
    for (id, at_least) in [(1, 2), (2, 5)] {
        let prefix = format!("worker {id} lifetime reached, it was running for ");
        let seconds: u64 = wait_until(&prefix, DEFAULT_TIMEOUT, || {
            let log = server.log();
            let rest = &log[log.find(&prefix)? + prefix.len()..];
            rest.split(' ').next()?.parse().ok()
        })
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
        assert!(seconds >= at_least, "worker {id} after {seconds} s");
    }
    wait_until("both workers replaced", DEFAULT_TIMEOUT, || {
        let now = born_pids(&server.log());
        (now.difference(&first).count() >= 2).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert!(served_pid(curl(port, "/")).is_some(), "{}", server.log());
    assert!(!server.log().contains("DAMN"), "{}", server.log());
}
