//! `limit-post = N`: a request body over N bytes is refused with 413 and a
//! closed connection. A Content-Length over the limit is refused before
//! the app is called and before any of the body is read, over HTTP and over
//! the uwsgi protocol; a chunked body is read up to the limit, then
//! refused (before the call with post-buffering, else when the app reads
//! past it). A body of exactly N bytes is served.
//!
//! uWSGI 2.0.31 with `limit-post = 1000` was asked the same: it logs
//! `Invalid (too big) CONTENT_LENGTH. skip.` and closes the connection
//! without an answer (the client sees a reset when it was still sending),
//! over `http-socket` and over the uwsgi protocol, and serves exactly 1000
//! bytes; its `http-socket` does not decode chunked bodies at all. uwsgid
//! answers 413 instead of closing (docs/compatibility.md).

use serde_json::Value;
use uwsgid_e2e::{DEFAULT_TIMEOUT, HttpApp, Python, TestDir, wait_for_log};

const APP: &str = "body_app.py";

fn start(args: &[&str]) -> HttpApp {
    let mut all = vec!["--processes", "1", "--limit-post", "1000"];
    all.extend_from_slice(args);
    HttpApp::start(APP, &all).expect("uwsgid serves body_app.py")
}

/// Runs `script` (rawhttp imported, `PORT` set, `answer(c)` reading one
/// answer with `connection` and `closed`) against `target`.
fn client(target: impl AsRef<std::ffi::OsStr>, script: &str) -> Value {
    Python::script(format!(
        r#"
import sys, json, socket, rawhttp
PORT = sys.argv[1]
def answer(c):
    try:
        r = c.read_response()
        out = r.summary()
        out["connection"] = r.header("connection")
        out["closed"] = c.closed_by_server()
        return out
    except (EOFError, ConnectionResetError):
        return {{"status": None, "closed": True}}
{script}"#
    ))
    .arg(target)
    .run_json()
    .expect("the client runs")
}

fn assert_413(answer: &Value, what: &str) {
    assert_eq!(answer["status"], 413, "{what}: {answer}");
    assert_eq!(answer["connection"], "close", "{what}: {answer}");
    assert_eq!(answer["closed"], true, "{what}: {answer}");
}

#[test]
fn a_content_length_over_the_limit_is_a_413_before_the_app_is_called() {
    let mut app = start(&[]);
    let out = client(
        app.port.to_string(),
        r#"
out = {}
# Only the head: the answer comes without the body being read.
c = rawhttp.Conn(int(PORT), timeout=10)
c.send(b"POST /over HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
out["over"] = answer(c)
c = rawhttp.Conn(int(PORT), timeout=10)
c.request("POST", "/exact", body=b"e" * 1000)
out["exact"] = answer(c)
rawhttp.emit(out)
"#,
    );
    assert_413(&out["over"], "Content-Length 1001");
    assert_eq!(out["exact"]["status"], 200, "exactly the limit: {out}");
    wait_for_log(
        &mut app.server,
        "refused POST /over: CONTENT_LENGTH 1001 over limit-post (1000 bytes) (413)",
        DEFAULT_TIMEOUT,
    )
    .expect("logged");
    assert!(
        !app.log().contains("body_app: called /over"),
        "the app was called"
    );
}

#[test]
fn a_50_mb_upload_with_curl_is_a_413() {
    let app = start(&[]);
    let file = app.join("upload.bin");
    std::fs::write(&file, vec![b'u'; 50 * 1024 * 1024]).expect("write the upload");
    // curl sends `Expect: 100-continue` for a body this size: the 413 comes
    // instead of the 100, and curl sends nothing of the 50 MB.
    let resp = app
        .curl("/upload")
        .data_file(&file)
        .run()
        .expect("curl runs");
    assert_eq!(resp.status, 413, "{}", resp.text());
    assert_eq!(resp.header("connection"), Some("close"));
}

/// A chunked body of `size` bytes in 100-byte chunks, as Python source.
fn chunked(size: usize) -> String {
    format!("rawhttp.chunked([b'c' * 100] * {})", size / 100)
}

#[test]
fn a_chunked_body_past_the_limit_is_a_413_streamed_or_buffered() {
    for args in [&[][..], &["--post-buffering", "64"][..]] {
        let mut app = start(args);
        let out = client(
            app.port.to_string(),
            &format!(
                r#"
out = {{}}
for name, body in [("past", {past}), ("under", {under})]:
    c = rawhttp.Conn(int(PORT), timeout=10)
    c.send(b"POST /%s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" % name.encode() + body)
    out[name] = answer(c)
rawhttp.emit(out)
"#,
                past = chunked(1500),
                under = chunked(1000),
            ),
        );
        assert_413(&out["past"], &format!("chunked past the limit {args:?}"));
        assert_eq!(out["under"]["status"], 200, "{args:?}: {out}");
        let body: Value = serde_json::from_str(out["under"]["body"].as_str().unwrap_or(""))
            .expect("body_app's JSON");
        assert_eq!(body["length"], 1000, "{args:?}");
        wait_for_log(
            &mut app.server,
            "the request body is larger than limit-post",
            DEFAULT_TIMEOUT,
        )
        .expect("logged");
        assert!(!app.log().contains("Traceback"), "{}", app.log());
    }
}

#[test]
fn over_the_uwsgi_protocol_a_content_length_over_the_limit_is_a_413() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, sock) =
        crate::worker_protocol_idle::start(&dir, APP, &["--limit-post", "1000"]);
    let out = client(
        &sock,
        r#"
out = {}
for name, size in [("over", 1001), ("exact", 1000)]:
    c = rawhttp.Conn.unix(PORT, timeout=10)
    c.uwsgi_request(rawhttp.uwsgi_vars("POST", "/" + name, body=b"b" * size), body=b"b" * size)
    out[name] = answer(c)
rawhttp.emit(out)
"#,
    );
    assert_413(&out["over"], "uwsgi CONTENT_LENGTH 1001");
    assert_eq!(out["exact"]["status"], 200, "{out}");
    wait_for_log(
        &mut server,
        "refused POST /over: CONTENT_LENGTH 1001 over limit-post (1000 bytes) (413)",
        DEFAULT_TIMEOUT,
    )
    .expect("logged");
    assert!(
        !server.log().contains("body_app: called /over"),
        "the app was called"
    );
}
