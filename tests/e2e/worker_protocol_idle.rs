//! uwsgi-protocol connections served by the idle Python threads themselves
//! (`worker/runtime/idle.rs`), end to end on a unix socket: a request that arrives
//! slowly is handed on and still answered, a worker whose only Python
//! thread is busy leaves new connections to its idle sibling, an oversized
//! vars block is refused with uWSGI's line while the worker serves on, and
//! graceful reloads under uwsgi-protocol load lose no request.

use crate::reload::Load;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::Value;
use uwsgid_e2e::{
    DEFAULT_TIMEOUT, Python, Server, ServerBuilder, TestDir, app_path, wait_for_log, wait_until,
};

/// Reloads under load are slow on a busy 2-core machine: generous.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(90);

/// The uwsgi client every script starts with: `packet`, `get`, `exchange`.
const CLIENT: &str = r#"
import json, os, socket, struct, sys, threading, time
SOCK = sys.argv[1]
def packet(pairs):
    block = b"".join(struct.pack("<H", len(k)) + k + struct.pack("<H", len(v)) + v
                     for k, v in ((k.encode(), v.encode()) for k, v in pairs))
    return struct.pack("<BHB", 0, len(block), 0) + block
def get(path, query=""):
    uri = path + ("?" + query if query else "")
    return packet([("REQUEST_METHOD", "GET"), ("REQUEST_URI", uri), ("PATH_INFO", path),
                   ("QUERY_STRING", query), ("SERVER_PROTOCOL", "HTTP/1.1"),
                   ("SERVER_NAME", "localhost"), ("SERVER_PORT", "80"),
                   ("REMOTE_ADDR", "127.0.0.1"), ("REMOTE_PORT", "4242")])
def exchange(*parts, pause=0.0):
    """Sends the parts with `pause` seconds between them; the whole answer."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(SOCK)
    for i, part in enumerate(parts):
        if i:
            time.sleep(pause)
        s.sendall(part)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            s.close()
            return out
        out += d
def split(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode("latin-1"), body
"#;

/// `uwsgid --socket DIR/app.sock --master --wsgi-file APP` plus `args`,
/// once the socket accepts.
pub(crate) fn start(dir: &TestDir, app: &str, args: &[&str]) -> (Server, PathBuf) {
    let sock = dir.join("app.sock");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid binary")
        .args(["--socket", &sock.to_string_lossy(), "--master"])
        .args(args)
        .arg("--wsgi-file")
        .arg(app_path(app))
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_for_log(&mut server, "WSGI app 0", DEFAULT_TIMEOUT).expect("the app loads");
    wait_until("the uwsgi socket", DEFAULT_TIMEOUT, || {
        std::os::unix::net::UnixStream::connect(&sock).ok()
    })
    .expect("the socket accepts");
    (server, sock)
}

/// Runs a client script (after [`CLIENT`]) against `sock`.
fn client(sock: &Path, script: &str) -> Value {
    Python::script(format!("{CLIENT}\n{script}"))
        .arg(sock)
        .run_json()
        .expect("the uwsgi client")
}

#[test]
fn a_uwsgi_request_arriving_slowly_is_still_answered() {
    let dir = TestDir::new().expect("temp dir");
    let (server, sock) = start(&dir, "protocol_app.py", &[]);
    let out = client(
        &sock,
        r#"
body = b"0123456789"
req = packet([("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/form"), ("PATH_INFO", "/form"),
              ("SERVER_PROTOCOL", "HTTP/1.1"), ("CONTENT_LENGTH", str(len(body)))])
# The body in pieces, well past the moment a Python thread gives up waiting.
slow_body = exchange(req + body[:3], body[3:6], body[6:], pause=0.3)
# Even the packet header and the vars block in pieces.
slow_head = exchange(req[:2], req[2:30], req[30:] + body, pause=0.3)
fast = exchange(req + body)
print(json.dumps([[split(a)[0], json.loads(split(a)[1])["body"]]
                  for a in (slow_body, slow_head, fast)]))
"#,
    );
    for answer in out.as_array().expect("three answers") {
        assert_eq!(answer[0], "HTTP/1.1 200 OK", "{out}");
        assert_eq!(answer[1], "0123456789", "{out}");
    }
    let log = server.log();
    assert_eq!(log.matches("] POST /form => ").count(), 3, "{log}");
}

#[test]
fn a_busy_worker_leaves_uwsgi_connections_to_its_idle_sibling() {
    let dir = TestDir::new().expect("temp dir");
    let (server, sock) = start(&dir, "marked_slow_app.py", &["--processes", "2"]);
    let mark = dir.join("slow-started");
    let out = Python::script(format!(
        "{CLIENT}\n{}",
        r#"
mark = sys.argv[2]
slow = {}
def run_slow():
    answer = exchange(get("/", "mark=%s&s=4" % mark))
    slow["answer"], slow["end"] = split(answer)[1].decode(), time.monotonic()
t = threading.Thread(target=run_slow)
t.start()
deadline = time.monotonic() + 30
while not os.path.exists(mark) and time.monotonic() < deadline:
    time.sleep(0.01)
slow_pid = open(mark).read()
fast = []
for _ in range(20):
    begun = time.monotonic()
    status, body = split(exchange(get("/", "s=0")))
    fast.append({"status": status, "body": body.decode(), "end": time.monotonic(),
                 "seconds": time.monotonic() - begun})
t.join()
print(json.dumps({"slow_pid": slow_pid, "slow": slow["answer"], "fast": fast,
                  "all_before_slow": all(f["end"] < slow["end"] for f in fast)}))
"#
    ))
    .arg(&sock)
    .arg(&mark)
    .run_json()
    .expect("the uwsgi client");
    let slow_pid = out["slow_pid"].as_str().expect("the slow request's pid");
    assert_eq!(out["slow"], format!("done pid={slow_pid}\n"), "{out}");
    for fast in out["fast"].as_array().expect("fast answers") {
        assert_eq!(fast["status"], "HTTP/1.1 200 OK", "{out}");
        assert_ne!(
            fast["body"],
            format!("done pid={slow_pid}\n"),
            "served by the busy worker: {out}"
        );
        assert!(fast["seconds"].as_f64().unwrap_or(9.0) < 2.0, "{out}");
    }
    assert_eq!(out["all_before_slow"], true, "{out}\n{}", server.log());
}

#[test]
fn an_oversized_vars_block_is_refused_and_the_worker_serves_on() {
    let dir = TestDir::new().expect("temp dir");
    let (server, sock) = start(&dir, "protocol_app.py", &["--buffer-size", "4096"]);
    let out = client(
        &sock,
        r#"
# The header alone, and a header with its block (read whole: no reset).
answers = [exchange(struct.pack("<BHB", 0, size, 0)).decode("latin-1") for size in (5000, 65535)]
answers.append(exchange(struct.pack("<BHB", 0, 5000, 0) + b"x" * 5000).decode("latin-1"))
after = [split(exchange(get("/after")))[0] for _ in range(5)]
print(json.dumps({"refused": answers, "after": after}))
"#,
    );
    for refused in out["refused"].as_array().expect("answers") {
        assert_eq!(refused, "", "closed unanswered: {out}");
    }
    for status in out["after"].as_array().expect("statuses") {
        assert_eq!(status, "HTTP/1.1 200 OK", "{out}");
    }
    let log = server.log();
    assert_eq!(
        log.matches("invalid request block size: 5000 (max 4096)...skip")
            .count(),
        2,
        "{log}"
    );
    assert_eq!(
        log.matches("invalid request block size: 65535 (max 4096)...skip")
            .count(),
        1,
        "{log}"
    );
    assert_eq!(log.matches("] GET /after => ").count(), 5, "{log}");
    let workers = log.matches("spawned uWSGI worker").count();
    assert_eq!(workers, 1, "the worker never restarted: {log}");
}

/// Clients on new uwsgi connections, one request each, until `stop` exists:
/// JSON with the requests answered and every failure (nothing retried).
const LOAD: &str = r#"
import random
stop, n = sys.argv[2], int(sys.argv[3])
lock = threading.Lock()
result = {"ok": 0, "failures": []}
def run(seed):
    rnd = random.Random(seed)
    while not os.path.exists(stop):
        seconds = rnd.uniform(0, 0.5) if rnd.random() < 0.3 else 0
        try:
            status, body = split(exchange(get("/", "s=%.3f" % seconds)))
            if status != "HTTP/1.1 200 OK":
                raise RuntimeError("status %r: %r" % (status, body[:200]))
            json.loads(body)
            with lock:
                result["ok"] += 1
        except Exception as exc:
            with lock:
                result["failures"].append("%s: %r" % (type(exc).__name__, exc))
threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(result))
"#;

/// The uwsgi-protocol load client on `sock`, in a thread.
fn start_load(dir: &TestDir, sock: &Path, clients: usize) -> Load {
    let script = Python::script(format!("{CLIENT}\n{LOAD}")).arg(sock);
    Load::run(dir, script, clients)
}

fn served(server: &Server) -> usize {
    server.log().matches("] GET /?s=").count()
}

#[test]
fn graceful_reloads_under_uwsgi_load_lose_no_request() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, sock) = start(&dir, "slow_app.py", &["--processes", "2"]);
    let load = start_load(&dir, &sock, 6);
    for generation in 2..=4u64 {
        let target = served(&server) + 20;
        wait_until("requests to be served", RELOAD_TIMEOUT, || {
            (served(&server) >= target).then_some(())
        })
        .expect("the load goes on");
        server.signal(Signal::SIGHUP).expect("SIGHUP the master");
        let ready = format!("generation {generation} ready in");
        wait_for_log(&mut server, &ready, RELOAD_TIMEOUT).expect("the new generation is ready");
        let gone = format!("every worker of generation {} is gone", generation - 1);
        wait_for_log(&mut server, &gone, RELOAD_TIMEOUT).expect("the old generation finishes");
    }
    let target = served(&server) + 20;
    wait_until("requests after the last reload", RELOAD_TIMEOUT, || {
        (served(&server) >= target).then_some(())
    })
    .expect("the load goes on");
    let result = load.finish();
    let log = server.log();
    let failures = result["failures"].as_array().map_or(usize::MAX, Vec::len);
    assert_eq!(failures, 0, "failed requests: {result}\n{log}");
    assert!(result["ok"].as_u64().unwrap_or(0) > 80, "{result}");
}

#[test]
fn four_python_threads_serve_four_slow_uwsgi_requests_at_once() {
    let dir = TestDir::new().expect("temp dir");
    let (_server, sock) = start(&dir, "slow_app.py", &["--threads", "4"]);
    let out = client(
        &sock,
        r#"
answers = [None] * 4
def run(i):
    answers[i] = json.loads(split(exchange(get("/", "s=1.5")))[1])
threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(answers))
"#,
    );
    let answers = out.as_array().expect("four answers");
    let latest_start = answers
        .iter()
        .filter_map(|a| a["start"].as_f64())
        .fold(f64::MIN, f64::max);
    let earliest_end = answers
        .iter()
        .filter_map(|a| a["end"].as_f64())
        .fold(f64::MAX, f64::min);
    assert_eq!(answers.len(), 4, "{out}");
    assert!(latest_start < earliest_end, "the four ran at once: {out}");
}

#[test]
fn max_requests_recycles_uwsgi_workers_without_failing_a_request() {
    let dir = TestDir::new().expect("temp dir");
    let (server, sock) = start(
        &dir,
        "slow_app.py",
        &[
            "--processes",
            "2",
            "--max-requests",
            "10",
            "--min-worker-lifetime",
            "0",
        ],
    );
    let out = client(
        &sock,
        r#"
lock = threading.Lock()
result = {"ok": 0, "failed": [], "pids": set()}
def run():
    for _ in range(20):
        try:
            status, body = split(exchange(get("/", "s=0")))
            pid = json.loads(body)["pid"]
            with lock:
                result["ok"] += status == "HTTP/1.1 200 OK"
                result["pids"].add(pid)
        except Exception as exc:
            with lock:
                result["failed"].append(repr(exc))
threads = [threading.Thread(target=run) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
result["pids"] = sorted(result["pids"])
print(json.dumps(result))
"#,
    );
    assert_eq!(out["failed"], serde_json::json!([]), "{out}");
    assert_eq!(out["ok"], 80, "{out}");
    let pids = out["pids"].as_array().map_or(0, Vec::len);
    // 80 requests at most 10 per worker: at least 8 processes served.
    assert!(pids >= 8, "{out}");
    let log = server.log();
    assert!(
        log.matches("max requests reached (10 >= 10)").count() >= 6,
        "{log}"
    );
}

#[test]
fn a_lone_busy_worker_takes_waiting_uwsgi_connections_and_answers_them_after() {
    let dir = TestDir::new().expect("temp dir");
    let (_server, sock) = start(&dir, "marked_slow_app.py", &[]);
    let mark = dir.join("slow-started");
    let out = Python::script(format!(
        "{CLIENT}\n{}",
        r#"
mark = sys.argv[2]
answers = {}
def run(name, query):
    begun = time.monotonic()
    status, body = split(exchange(get("/", query)))
    answers[name] = {"status": status, "body": body.decode(), "end": time.monotonic()}
slow = threading.Thread(target=run, args=("slow", "mark=%s&s=1" % mark))
slow.start()
deadline = time.monotonic() + 30
while not os.path.exists(mark) and time.monotonic() < deadline:
    time.sleep(0.01)
fast = [threading.Thread(target=run, args=(i, "s=0")) for i in range(5)]
for t in fast:
    t.start()
for t in [slow] + fast:
    t.join()
print(json.dumps(answers))
"#
    ))
    .arg(&sock)
    .arg(&mark)
    .run_json()
    .expect("the uwsgi client");
    let answers = out.as_object().expect("answers");
    assert_eq!(answers.len(), 6, "{out}");
    for answer in answers.values() {
        assert_eq!(answer["status"], "HTTP/1.1 200 OK", "{out}");
        assert_eq!(answers["slow"]["body"], answer["body"], "one worker: {out}");
    }
}
