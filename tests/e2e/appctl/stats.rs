//! uWSGI's stats server, read the way `uwsgitop` reads it: connect, read to
//! the end, parse one JSON object; every field uwsgitop uses is there with
//! the type it expects.

use uwsgid_e2e::{Curl, Python};

use super::*;

/// Reads the stats socket at argv[1] as uwsgitop does and checks the type
/// of every field uwsgitop 0.12 reads; prints what it found.
const UWSGITOP_READ: &str = r#"
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
js = b""
while True:
    data = s.recv(4096)
    if not data:
        break
    js += data
dd = json.loads(js.decode("utf8"))
wrong = []
def need(obj, key, kinds, where):
    if key not in obj or not isinstance(obj[key], kinds) or isinstance(obj[key], bool):
        wrong.append(f"{where}.{key}: {obj.get(key)!r}")
for key, kinds in [("version", str), ("listen_queue", int), ("cwd", str), ("uid", int),
                   ("gid", int), ("pid", int), ("workers", list)]:
    need(dd, key, kinds, "top")
for w in dd["workers"]:
    for key in ["id", "pid", "requests", "exceptions", "harakiri_count", "last_spawn",
                "respawn_count", "rss", "running_time", "signals", "tx", "vsz", "avg_rt"]:
        need(w, key, int, f"worker{w.get('id')}")
    need(w, "status", str, f"worker{w.get('id')}")
    for c in w.get("cores", []):
        for key in ["id", "requests", "in_request"]:
            need(c, key, int, f"worker{w.get('id')}.core")
print(json.dumps({"wrong": wrong, "stats": dd}))
"#;

#[test]
fn the_stats_server_answers_what_uwsgitop_reads() {
    let app = App::start(
        "pid_app.py",
        "processes = 2\nthreads = 2\nstats = stats.sock\nvacuum = true",
        &[],
    );
    assert_eq!(app.get("/").status, 200);
    let sock = app.dir.join("stats.sock");
    let out = Python::script(UWSGITOP_READ)
        .arg(&sock)
        .run_json()
        .expect("the stats socket answers JSON");
    assert_eq!(out["wrong"], serde_json::json!([]), "{out}");
    let stats = &out["stats"];
    assert_eq!(stats["pid"], app.server.pid());
    let workers = stats["workers"].as_array().expect("workers");
    assert_eq!(workers.len(), 2, "{stats}");
    let status = app.status();
    for (w, s) in workers.iter().zip(&status.workers) {
        assert_eq!(w["pid"], s.pid, "{stats}");
        assert_eq!(w["respawn_count"], 1, "{stats}");
        assert_eq!(w["status"], "idle", "{stats}");
        assert!(w["rss"].as_u64().unwrap_or(0) > 0, "{stats}");
        assert_eq!(w["cores"].as_array().map(Vec::len), Some(2), "{stats}");
    }
    let requests: u64 = workers.iter().filter_map(|w| w["requests"].as_u64()).sum();
    assert_eq!(requests, 1, "{stats}");
    let served = workers
        .iter()
        .find(|w| w["requests"] == 1)
        .expect("the worker that served");
    assert!(
        served["running_time"].as_u64().unwrap_or(0) > 0,
        "µs: {served}"
    );

    let mut app = app;
    app.server
        .signal(nix::sys::signal::Signal::SIGTERM)
        .expect("SIGTERM");
    app.server.wait_exit(WAIT).expect("the master exits");
    assert!(!sock.exists(), "vacuum removes the stats socket");
}

#[test]
fn stats_http_answers_over_http() {
    let port = free_port().expect("a free port");
    let app = App::start(
        "pid_app.py",
        &format!("stats = 127.0.0.1:{port}\nstats-http = true"),
        &[],
    );
    let reply = Curl::new(format!("http://127.0.0.1:{port}/"))
        .run()
        .expect("curl the stats server");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let json = reply.json().expect("JSON");
    assert_eq!(json["workers"][0]["id"], 1, "{json}");
    assert_eq!(app.status().stats, format!("127.0.0.1:{port}"));
}
