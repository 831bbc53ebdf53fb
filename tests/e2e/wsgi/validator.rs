//! Every kind of HTTP request against `validator_app.py` (the app inside
//! `wsgiref.validate.validator`, WSGIWarnings raised as errors): each must
//! get the right answer and leave no warning or assertion in the log.

use std::time::Duration;

use serde_json::{Value, json};
use uwsgid_e2e::{HttpApp, Python, app_path, sha256_file};

use super::assert_clean_log;

fn start() -> HttpApp {
    HttpApp::start("validator_app.py", &["--processes", "1"]).expect("uwsgid serves the app")
}

/// Runs a `rawhttp` client script against `app` (the port is `sys.argv[1]`).
fn client(app: &HttpApp, script: &str) -> Value {
    Python::script(format!(
        "import sys, json, rawhttp\nPORT = int(sys.argv[1])\n{script}"
    ))
    .arg(app.port.to_string())
    .timeout(Duration::from_secs(25))
    .run_json()
    .expect("the client script succeeds")
}

#[test]
fn get_query_and_environ() {
    let app = start();
    let response = app.curl("/some/path?a=1&b=two").run().expect("GET");
    assert_eq!(response.status, 200);
    let body = response.json().expect("JSON");
    assert_eq!(body["method"], "GET");
    assert_eq!(body["path"], "/some/path");
    assert_eq!(body["query"], "a=1&b=two");
    assert_clean_log(&app);
}

#[test]
fn head_has_headers_and_no_body() {
    let app = start();
    // HEAD then GET on one connection: a body sent for HEAD would be read
    // as the start of the GET's response and break it.
    let result = client(
        &app,
        r#"
c = rawhttp.Conn(PORT)
c.request("HEAD", "/head?x=1")
head = c.read_response(head_request=True)
c.request("GET", "/after-head")
get = c.read_response()
rawhttp.emit({"head": head.summary(), "get": json.loads(get.body)})
"#,
    );
    assert_eq!(result["head"]["status"], 200);
    assert_eq!(result["head"]["body"], "");
    assert_eq!(result["get"]["path"], "/after-head");
    assert_clean_log(&app);
}

/// Posts one body to every input-reading path; the app's length and digest
/// must match the client's.
#[test]
fn input_read_readline_readlines_and_iteration() {
    let app = start();
    let result = client(
        &app,
        r#"
import hashlib, http.client
lines = [(b"line %d " % i) + b"x" * (i % 50) + b"\n" for i in range(2000)]
body = b"".join(lines) + b"no newline at the end"
out = {}
for path in ["/read", "/read-eof", "/readline", "/readline-size", "/readlines", "/iter"]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=20)
    conn.request("POST", path, body=body, headers={"Content-Type": "text/plain"})
    response = conn.getresponse()
    out[path] = {"status": response.status, "answer": json.loads(response.read())}
    conn.close()
rawhttp.emit({"length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
              "lines": len(lines) + 1, "paths": out})
"#,
    );
    for (path, got) in result["paths"].as_object().expect("paths") {
        assert_eq!(got["status"], 200, "{path}: {got}");
        assert_eq!(got["answer"]["length"], result["length"], "{path}: {got}");
        assert_eq!(got["answer"]["sha256"], result["sha256"], "{path}: {got}");
    }
    let paths = &result["paths"];
    for path in ["/readline", "/readlines", "/iter"] {
        assert_eq!(paths[path]["answer"]["parts"], result["lines"], "{path}");
    }
    let longest = paths["/readline-size"]["answer"]["longest"]
        .as_u64()
        .expect("longest");
    assert!(
        longest <= 7,
        "readline(7) returned a line of {longest} bytes"
    );
    assert_clean_log(&app);
}

#[test]
fn chunked_request_body() {
    let app = start();
    let result = client(
        &app,
        r#"
import hashlib
parts = [b"first\n", b"x" * 70000, b"\nmiddle line\n", b"y" * 5, b"last"]
whole = b"".join(parts)
out = {"length": len(whole), "sha256": hashlib.sha256(whole).hexdigest(), "paths": {}}
for path in ["/read", "/readline"]:
    c = rawhttp.Conn(PORT)
    c.send(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    c.send(rawhttp.chunked(parts))
    r = c.read_response()
    out["paths"][path] = {"status": r.status, "answer": json.loads(r.body)}
rawhttp.emit(out)
"#,
    );
    for path in ["/read", "/readline"] {
        let got = &result["paths"][path];
        assert_eq!(got["status"], 200, "{path}: {got}");
        assert_eq!(got["answer"]["length"], result["length"], "{path}");
        assert_eq!(got["answer"]["sha256"], result["sha256"], "{path}");
    }
    assert_clean_log(&app);
}

#[test]
fn expect_100_continue_comes_before_the_body() {
    let app = start();
    // The client waits for the interim response before sending the body; a
    // server that never sends it makes read_head time out and fail.
    let result = client(
        &app,
        r#"
body = b"z" * 100000
c = rawhttp.Conn(PORT, timeout=10)
c.send("POST /read HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
       f"Content-Length: {len(body)}\r\n\r\n")
interim = c.read_head()
c.send(body)
final = c.read_response()
rawhttp.emit({"interim": interim[1], "status": final.status, "answer": json.loads(final.body)})
"#,
    );
    assert_eq!(result["interim"], 100);
    assert_eq!(result["status"], 200);
    assert_eq!(result["answer"]["length"], 100_000);
    assert_clean_log(&app);
}

#[test]
fn keep_alive_and_pipelined_requests_answer_in_order() {
    let app = start();
    let result = client(
        &app,
        r#"
c = rawhttp.Conn(PORT)
sequential = []
for i in range(3):
    c.request("GET", f"/seq?i={i}")
    r = c.read_response()
    sequential.append([r.status, json.loads(r.body)["query"], r.header("connection")])
# Five requests in one write, a POST with a body in the middle.
batch = b""
for i in range(5):
    if i == 2:
        batch += b"POST /pipe?i=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
    else:
        batch += f"GET /pipe?i={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
c.send(batch)
pipelined = []
for i in range(5):
    r = c.read_response()
    answer = json.loads(r.body)
    pipelined.append([r.status, answer["query"], answer["body"]])
rawhttp.emit({"sequential": sequential, "pipelined": pipelined})
"#,
    );
    let sequential = result["sequential"].as_array().expect("array");
    for (i, got) in sequential.iter().enumerate() {
        assert_eq!(got[0], 200);
        assert_eq!(got[1], format!("i={i}"));
        assert_ne!(got[2], "close", "keep-alive was refused: {got}");
    }
    let expected: Vec<Value> = (0..5)
        .map(|i| json!([200, format!("i={i}"), if i == 2 { "body" } else { "" }]))
        .collect();
    assert_eq!(result["pipelined"], Value::Array(expected));
    assert_clean_log(&app);
}

#[test]
fn connection_close_and_http_1_0_are_honoured() {
    let app = start();
    let result = client(
        &app,
        r#"
c = rawhttp.Conn(PORT)
c.request("GET", "/close", headers=[("Connection", "close")])
r1 = c.read_response()
closed_1_1 = c.closed_by_server(timeout=5)
c = rawhttp.Conn(PORT)
c.send("GET /ten HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
r2 = c.read_response()
closed_1_0 = c.closed_by_server(timeout=5)
rawhttp.emit({"statuses": [r1.status, r2.status], "closed": [closed_1_1, closed_1_0]})
"#,
    );
    assert_eq!(result["statuses"], json!([200, 200]));
    assert_eq!(
        result["closed"],
        json!([true, true]),
        "the server kept the connection open"
    );
    assert_clean_log(&app);
}

#[test]
fn twenty_megabytes_each_way() {
    let app = start();
    const MIB: usize = 1 << 20;
    let upload = app.join("upload.bin");
    let content: Vec<u8> = (0..20 * MIB).map(|i| (i % 253) as u8).collect();
    std::fs::write(&upload, &content).expect("write the upload");
    let posted = app
        .curl("/read")
        .header("Content-Type", "application/octet-stream")
        .data_file(&upload)
        .timeout(Duration::from_secs(15))
        .run()
        .expect("POST 20 MiB");
    assert_eq!(posted.status, 200);
    let answer = posted.json().expect("JSON");
    assert_eq!(answer["length"], 20 * MIB);
    assert_eq!(answer["sha256"], sha256_file(&upload).expect("digest"));

    // 320 chunks of 64 KiB, chunk i filled with i % 251.
    let downloaded = app
        .curl("/generator?n=320&size=65536")
        .timeout(Duration::from_secs(15))
        .run()
        .expect("GET 20 MiB");
    assert_eq!(downloaded.status, 200);
    assert_eq!(downloaded.body.len(), 20 * MIB);
    let wrong = downloaded
        .body
        .chunks(65536)
        .enumerate()
        .find(|(i, chunk)| chunk.iter().any(|b| usize::from(*b) != i % 251));
    assert!(
        wrong.is_none(),
        "chunk {:?} is corrupted",
        wrong.map(|w| w.0)
    );
    assert_clean_log(&app);
}

#[test]
fn write_callable_exc_info_file_wrapper_and_close() {
    let app = start();
    let written = app.curl("/write?n=3").run().expect("write()");
    assert_eq!(written.status, 200);
    assert_eq!(written.text(), "part 0\npart 1\npart 2\n");

    let handled = app.curl("/exc_info").run().expect("exc_info");
    assert_eq!(
        handled.status, 500,
        "start_response with exc_info replaces the status"
    );
    assert_eq!(handled.text(), "recovered from exc_info\n");

    let file = app.curl("/file_wrapper").run().expect("file_wrapper");
    assert_eq!(file.status, 200);
    let source = std::fs::read(app_path("validator_app.py")).expect("read the app");
    assert!(
        file.body == source,
        "file_wrapper body differs from the file"
    );

    // processes=1: every request is counted by the same worker.
    let closes = |app: &HttpApp| {
        app.curl("/closes")
            .run()
            .expect("closes")
            .json()
            .expect("JSON")
    };
    let before = closes(&app);
    let streamed = app.curl("/generator?n=4&size=3").run().expect("generator");
    assert_eq!(
        streamed.body,
        b"\x00\x00\x00\x01\x01\x01\x02\x02\x02\x03\x03\x03"
    );
    let after = closes(&app);
    assert_eq!(before["pid"], after["pid"]);
    let count = |v: &Value| v["closes"].as_u64().expect("count");
    assert_eq!(
        count(&after),
        count(&before) + 1,
        "close() was not called once"
    );
    assert_clean_log(&app);
}

#[test]
fn wsgi_errors_reach_the_log() {
    let mut app = start();
    assert_eq!(app.curl("/errors").run().expect("errors").status, 200);
    uwsgid_e2e::wait_for_log(
        &mut app.server,
        "uwsgid-test-wsgi-errors-line",
        uwsgid_e2e::DEFAULT_TIMEOUT,
    )
    .expect("wsgi.errors is logged");
    assert_clean_log(&app);
}

#[test]
fn header_larger_than_buffer_size_is_a_4xx() {
    let app = start();
    // The default buffer-size is 4096 bytes.
    let big = "v".repeat(8000);
    let refused = app
        .curl("/big")
        .header("X-Big", &big)
        .run()
        .expect("an answer");
    assert!(
        (400..500).contains(&refused.status),
        "status {}",
        refused.status
    );
    let fine = app.curl("/after").run().expect("GET");
    assert_eq!(fine.status, 200, "the worker serves on after refusing");

    let bigger = HttpApp::start("validator_app.py", &["--buffer-size", "32768"])
        .expect("uwsgid with a larger buffer");
    let accepted = bigger
        .curl("/big")
        .header("X-Big", &big)
        .run()
        .expect("GET");
    assert_eq!(accepted.status, 200, "buffer-size raises the limit");
    assert_clean_log(&bigger);
}

#[test]
fn post_buffering_hands_the_app_the_same_body() {
    let app = HttpApp::start(
        "validator_app.py",
        &["--processes", "1", "--post-buffering", "4096"],
    )
    .expect("uwsgid serves");
    let body = app.join("body.bin");
    let content: Vec<u8> = (0..1_000_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(&body, &content).expect("write the body");
    for path in ["/read", "/read-eof", "/readline"] {
        let response = app.curl(path).data_file(&body).run().expect("POST");
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        let answer = response.json().expect("JSON");
        assert_eq!(answer["length"], content.len(), "{path}");
        assert_eq!(
            answer["sha256"],
            sha256_file(&body).expect("digest"),
            "{path}"
        );
    }
    assert_clean_log(&app);
}

/// The uwsgi protocol straight from a client (no nginx): a GET and a POST,
/// one request per connection, over a unix socket.
#[test]
fn uwsgi_protocol_on_a_unix_socket() {
    let dir = uwsgid_e2e::TestDir::new().expect("temp dir");
    let (app, socket) = super::start_on_unix_socket("validator_app.py", &dir);
    let result = Python::script(
        r#"
import sys, json, rawhttp
path = sys.argv[1]
c = rawhttp.Conn.unix(path)
c.uwsgi_request(rawhttp.uwsgi_vars("GET", "/over/uwsgi", "a=b"))
get = c.read_response()
body = b"x" * 100000
c = rawhttp.Conn.unix(path)
c.uwsgi_request(rawhttp.uwsgi_vars("POST", "/read", body=body), body)
post = c.read_response()
rawhttp.emit({"get": [get.status, json.loads(get.body)],
              "post": [post.status, json.loads(post.body)]})
"#,
    )
    .arg(&socket)
    .run_json()
    .expect("the client runs");
    assert_eq!(result["get"][0], 200, "{result}");
    assert_eq!(result["get"][1]["path"], "/over/uwsgi");
    assert_eq!(result["get"][1]["query"], "a=b");
    assert_eq!(result["post"][0], 200, "{result}");
    assert_eq!(result["post"][1]["length"], 100_000);
    assert_clean_log(&app);
}

/// PEP 3333: close() is called even when the client goes away mid-body.
#[test]
fn close_is_called_when_the_client_disconnects_mid_body() {
    let app = start();
    let result = client(
        &app,
        r#"
import time
def closes():
    c = rawhttp.Conn(PORT)
    c.request("GET", "/closes")
    return json.loads(c.read_response().body)
before = closes()
c = rawhttp.Conn(PORT)
c.request("GET", "/generator?n=100000&size=65536")  # 6 GiB: never sent whole
c.read_head()
c._exact(1 << 20)
c.close()
deadline = time.monotonic() + 15
after = closes()
while after["closes"] == before["closes"] and time.monotonic() < deadline:
    time.sleep(0.05)
    after = closes()
rawhttp.emit({"before": before, "after": after})
"#,
    );
    assert_eq!(result["before"]["pid"], result["after"]["pid"], "{result}");
    let count = |key: &str| result[key]["closes"].as_u64().expect("count");
    assert_eq!(
        count("after"),
        count("before") + 1,
        "close() after the abort: {result}"
    );
}
