//! The worker's wire behaviour end to end, beyond the WSGI contract of
//! `wsgi::`: the uwsgi protocol spoken directly (no nginx), the request log
//! line, errors on a keep-alive connection, malformed requests, client
//! disconnects, socket-timeout, and the graceful stop of one worker.

use std::time::Duration;

use serde_json::Value;
use uwsgid_e2e::{DEFAULT_TIMEOUT, HttpApp, Python, TestDir, wait_for_log};

const APP: &str = "protocol_app.py";

fn start(args: &[&str]) -> HttpApp {
    HttpApp::start(APP, args).expect("uwsgid serves protocol_app.py")
}

/// Runs a `rawhttp` client script against `port` (`PORT` in the script).
fn client(port: u16, script: &str) -> Value {
    Python::script(format!(
        "import sys, json, os, time, socket, rawhttp\nPORT = int(sys.argv[1])\n{script}"
    ))
    .arg(port.to_string())
    .run_json()
    .expect("the client script")
}

/// The request log line of `GET path`, once it is written.
fn log_line(app: &mut HttpApp, path: &str) -> String {
    let marker = format!("] GET {path} => ");
    wait_for_log(&mut app.server, &marker, DEFAULT_TIMEOUT).expect("the request log line");
    app.log()
        .lines()
        .find(|l| l.contains(&marker))
        .map(str::to_owned)
        .unwrap_or_default()
}

/// The pid of worker 1, read from its request log line.
fn worker_pid(app: &mut HttpApp) -> i32 {
    assert_eq!(app.curl("/pid").run().expect("GET").status, 200);
    let line = log_line(app, "/pid");
    let pid = line
        .split("[pid: ")
        .nth(1)
        .and_then(|rest| rest.split('|').next())
        .and_then(|pid| pid.parse().ok());
    pid.unwrap_or_else(|| panic!("no pid in {line:?}"))
}

#[test]
fn uwsgi_protocol_answers_raw_http_and_skips_oversized_blocks() {
    let dir = TestDir::new().expect("temp dir");
    let (server, sock) = crate::worker_protocol_idle::start(&dir, APP, &[]);
    let out = Python::script(
        r#"
import json, socket, struct, sys
def packet(pairs):
    block = b"".join(struct.pack("<H", len(k)) + k + struct.pack("<H", len(v)) + v
                     for k, v in ((k.encode(), v.encode()) for k, v in pairs))
    return struct.pack("<BHB", 0, len(block), 0) + block
def exchange(data):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    s.sendall(data)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            return out
        out += d
oversized = exchange(struct.pack("<BHB", 0, 5000, 0) + b"x" * 5000)
body = b"name=value"
answer = exchange(packet([
    ("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/form"), ("PATH_INFO", "/form"),
    ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"), ("SERVER_NAME", "example.org"),
    ("SERVER_PORT", "80"), ("REMOTE_ADDR", "10.1.2.3"), ("REMOTE_PORT", "4242"),
    ("CONTENT_TYPE", "application/x-www-form-urlencoded"), ("CONTENT_LENGTH", str(len(body))),
    ("HTTP_CONTENT_TYPE", "application/x-www-form-urlencoded"),
    ("HTTP_CONTENT_LENGTH", str(len(body))), ("HTTP_HOST", "example.org"),
]) + body)
head, _, payload = answer.partition(b"\r\n\r\n")
# A body the app never reads is read away before the close: no reset.
big = b"u" * (1 << 20)
ignored = exchange(packet([
    ("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/ignore"), ("PATH_INFO", "/ignore"),
    ("SERVER_PROTOCOL", "HTTP/1.1"), ("CONTENT_LENGTH", str(len(big))),
]) + big)
print(json.dumps({"oversized": oversized.decode("latin-1"),
                  "ignored": ignored.split(b"\r\n")[0].decode(),
                  "status_line": head.split(b"\r\n")[0].decode(),
                  "answer": json.loads(payload)}))
"#,
    )
    .arg(&sock)
    .run_json()
    .expect("the uwsgi client");
    assert_eq!(
        out["oversized"], "",
        "an oversized block is closed unanswered"
    );
    assert_eq!(out["status_line"], "HTTP/1.1 200 OK");
    assert_eq!(out["ignored"], "HTTP/1.1 404 Not Found");
    let env = &out["answer"]["environ"];
    assert_eq!(out["answer"]["body"], "name=value");
    assert_eq!(env["SCRIPT_NAME"], "", "{env}");
    assert_eq!(env["REMOTE_ADDR"], "10.1.2.3");
    assert_eq!(env["CONTENT_LENGTH"], "10");
    assert!(env.get("HTTP_CONTENT_TYPE").is_none(), "{env}");
    assert!(env.get("HTTP_CONTENT_LENGTH").is_none(), "{env}");
    let log = server.log();
    assert!(
        log.contains("invalid request block size: 5000 (max 4096)...skip"),
        "{log}"
    );
}

#[test]
fn request_log_line_has_uwsgi_shape_and_worker_id() {
    let mut app = start(&["--processes", "1"]);
    assert_eq!(app.curl("/logged").run().expect("GET").status, 200);
    let line = log_line(&mut app, "/logged");
    for part in [
        "|worker: 1|app: 0|req: ",
        "] 127.0.0.1 () {",
        " vars in ",
        " bytes} [",
        "] GET /logged => generated ",
        " msecs (HTTP/1.1 200) 2 headers in ",
        " bytes (1 switches on core 0)",
    ] {
        assert!(line.contains(part), "{part:?} in {line:?}");
    }
    assert!(line.starts_with("[pid: "), "{line:?}");
    // req: N/M — both the worker's count (the readiness probe was one).
    let counts = line
        .split("|req: ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.split_once('/'));
    assert!(
        counts.is_some_and(|(n, m)| n == m && n.parse::<u64>().is_ok()),
        "{line:?}"
    );
}

#[test]
fn memory_report_prefixes_the_request_log() {
    let mut app = start(&["--processes", "1", "--memory-report"]);
    assert_eq!(app.curl("/mem").run().expect("GET").status, 200);
    let line = log_line(&mut app, "/mem");
    assert!(
        line.starts_with("{address space usage: ") && line.contains("MB} {rss usage: "),
        "{line:?}"
    );
}

#[test]
fn disable_logging_drops_request_lines_but_not_errors() {
    let app = start(&["--processes", "1", "--threads", "1", "--disable-logging"]);
    assert_eq!(app.curl("/raise").run().expect("GET").status, 500);
    assert_eq!(app.curl("/quiet").run().expect("GET").status, 200);
    // With one Python thread, the third request starts only after the
    // thread has finished (and would have logged) the first two.
    assert_eq!(app.curl("/last").run().expect("GET").status, 200);
    let log = app.log();
    assert!(log.contains("RuntimeError: protocol_app failure"), "{log}");
    assert!(!log.contains("=> generated"), "{log}");
}

#[test]
fn exception_on_a_keep_alive_connection_is_a_500_and_the_connection_serves_on() {
    let app = start(&["--processes", "1"]);
    let out = client(
        app.port,
        r#"
c = rawhttp.Conn(PORT)
c.request("GET", "/raise")
first = c.read_response()
c.request("GET", "/after")
second = c.read_response()
rawhttp.emit({"statuses": [first.status, second.status],
              "path": json.loads(second.body)["environ"]["PATH_INFO"]})
"#,
    );
    assert_eq!(out["statuses"], serde_json::json!([500, 200]));
    assert_eq!(out["path"], "/after");
    assert!(app.log().contains("RuntimeError: protocol_app failure"));
}

#[test]
fn malformed_request_is_a_400_and_the_worker_serves_on() {
    let mut app = start(&["--processes", "1"]);
    let out = client(
        app.port,
        r#"
c = rawhttp.Conn(PORT)
c.send(b"NOT AN HTTP REQUEST\r\n\r\n")
rawhttp.emit({"status": c.read_response().status})
"#,
    );
    assert_eq!(out["status"], 400);
    wait_for_log(&mut app.server, "invalid HTTP request", DEFAULT_TIMEOUT).expect("logged");
    assert_eq!(app.curl("/still").run().expect("GET").status, 200);
}

#[test]
fn client_gone_mid_response_still_closes_the_iterable() {
    let mut app = start(&["--processes", "1"]);
    client(
        app.port,
        r#"
c = rawhttp.Conn(PORT)
c.request("GET", "/stream", headers=[("Connection", "close")])
c.sock.recv(100)
c.close()
rawhttp.emit({})
"#,
    );
    wait_for_log(
        &mut app.server,
        "protocol_app: stream closed",
        DEFAULT_TIMEOUT,
    )
    .expect("close() is called when the client goes away");
    assert_eq!(app.curl("/alive").run().expect("GET").status, 200);
}

#[test]
fn stalled_request_body_times_out_and_the_worker_serves_on() {
    let app = start(&["--processes", "1", "--socket-timeout", "1"]);
    let out = client(
        app.port,
        r#"
c = rawhttp.Conn(PORT)
c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
start = time.time()
status = c.read_response().status
rawhttp.emit({"status": status, "seconds": time.time() - start})
"#,
    );
    // The body is read before the call (it is small): the client that
    // stalls is answered 408, as nginx answers it, and the app never runs.
    assert_eq!(out["status"], 408, "{out}");
    assert!(out["seconds"].as_f64().unwrap_or(99.0) < 10.0, "{out}");
    assert!(app.log().contains("timeout reading the request body"));
    assert_eq!(app.curl("/fine").run().expect("GET").status, 200);
}

#[test]
fn sighup_finishes_the_request_in_flight_with_connection_close() {
    let mut app = start(&["--processes", "1"]);
    let pid = worker_pid(&mut app);
    let out = client(
        app.port,
        &format!(
            r#"
idle = rawhttp.Conn(PORT)
idle.request("GET", "/idle")
idle.read_response()
c = rawhttp.Conn(PORT)
c.send(b"GET /sleep?1 HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(0.3)
os.kill({pid}, 1)
r = c.read_response()
rawhttp.emit({{"status": r.status, "connection": r.header("connection"),
              "closed": c.closed_by_server(), "idle_closed": idle.closed_by_server()}})
"#
        ),
    );
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["connection"], "close", "{out}");
    assert_eq!(out["closed"], true, "{out}");
    assert_eq!(out["idle_closed"], true, "{out}");
    wait_for_log(
        &mut app.server,
        &format!("Gracefully killing worker 1 (pid: {pid})..."),
        Duration::from_secs(5),
    )
    .expect("the worker logs its graceful stop");
    wait_for_log(
        &mut app.server,
        "protocol_app: atexit ran",
        Duration::from_secs(5),
    )
    .expect("a graceful stop runs the app's atexit handlers");
}

#[test]
fn a_client_that_stops_reading_frees_the_worker_after_socket_timeout() {
    let mut app = start(&["--processes", "1", "--socket-timeout", "1"]);
    let out = client(
        app.port,
        r#"
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", PORT))
s.sendall(b"GET /big?10000 HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(0.2)
start = time.time()
c = rawhttp.Conn(PORT)
c.request("GET", "/next")
status = c.read_response().status
rawhttp.emit({"status": status, "seconds": time.time() - start})
"#,
    );
    assert_eq!(out["status"], 200, "{out}");
    assert!(out["seconds"].as_f64().unwrap_or(99.0) < 10.0, "{out}");
    wait_for_log(
        &mut app.server,
        "the client stopped reading the response",
        DEFAULT_TIMEOUT,
    )
    .expect("the stalled connection is logged");
}
