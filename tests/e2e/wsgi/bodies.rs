//! Large bodies both ways, byte for byte: a request body read whole in one
//! `read()` or in odd pieces, below, at and above the size read ahead of
//! the call (1 MiB); a response built whole, written in pieces, or sent
//! from a file by `wsgi.file_wrapper`. And what reading ahead must not
//! change: a slow upload holds no Python thread, and a client that sent
//! `Expect: 100-continue` is not asked for its body before the app answers.

use serde_json::Value;
use uwsgid_e2e::{HttpApp, Python};

const APP: &str = "bodies_app.py";

/// Runs `script` (`PORT` set, `os`, `rawhttp`, `hashlib` and
/// `http.client` imported) against `port`.
fn client(port: u16, script: &str) -> Value {
    Python::script(format!(
        "import os, sys, json, hashlib, http.client, socket, time, rawhttp\nPORT = int(sys.argv[1])\n{script}"
    ))
    .arg(port.to_string())
    .run_json()
    .expect("the client runs")
}

#[test]
fn request_bodies_arrive_byte_for_byte_at_every_size() {
    let app = HttpApp::start(APP, &["--processes", "1", "--threads", "2"]).expect("uwsgid serves");
    let out = client(
        app.port,
        r#"
import os
out = []
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
for size in [1, 65536, 1048576, 1048577, 3 * 1048576 + 7]:
    body = os.urandom(size)
    for path in ["/echo", "/pieces"]:
        c.request("POST", path, body=body)
        r = c.getresponse()
        data = r.read()
        out.append({"size": size, "path": path, "status": r.status,
                    "same": data == body, "length": len(data)})
# A chunked body: its length is not known ahead.
c.request("POST", "/echo", body=iter([b"a" * 70000, b"b" * 5]), encode_chunked=True)
r = c.getresponse()
data = r.read()
out.append({"size": 70005, "path": "chunked", "status": r.status,
            "same": data == b"a" * 70000 + b"b" * 5, "length": len(data)})
rawhttp.emit(out)
"#,
    );
    let rows = out.as_array().expect("a list");
    assert_eq!(rows.len(), 11, "{out}");
    for row in rows {
        assert_eq!(row["status"], 200, "{row}");
        assert_eq!(row["length"], row["size"], "{row}");
        assert_eq!(row["same"], true, "{row}");
    }
}

#[test]
fn responses_arrive_byte_for_byte_built_written_or_from_a_file() {
    let app = HttpApp::start(APP, &["--processes", "1"]).expect("uwsgid serves");
    let file = app.dir().join("ten.bin");
    let out = client(
        app.port,
        &format!(
            r#"
FILE = {file:?}
with open(FILE, "wb") as f:
    f.write(os.urandom(10 * 1048576 + 3))
with open(FILE, "rb") as f:
    want_file = hashlib.sha256(f.read()).hexdigest()
out = []
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
for path in ["/built?1048576", "/built?40000", "/written?2000001", "/file?" + FILE]:
    c.request("GET", path)
    r = c.getresponse()
    data = r.read()
    want = want_file if path.startswith("/file") else r.getheader("X-Sha256")
    out.append({{"path": path, "status": r.status, "length": len(data),
                 "same": hashlib.sha256(data).hexdigest() == want}})
rawhttp.emit(out)
"#,
            file = file.display().to_string()
        ),
    );
    let rows = out.as_array().expect("a list");
    let lengths = [1_048_576, 40_000, 2_000_001, 10 * 1_048_576 + 3];
    assert_eq!(rows.len(), lengths.len(), "{out}");
    for (row, length) in rows.iter().zip(lengths) {
        assert_eq!(row["status"], 200, "{row}");
        assert_eq!(row["length"], length, "{row}");
        assert_eq!(row["same"], true, "{row}");
    }
}

#[test]
fn a_slow_upload_holds_no_python_thread() {
    // One Python thread: while the first client is still sending its body,
    // a second request is answered.
    let app = HttpApp::start(APP, &["--processes", "1", "--threads", "1"]).expect("uwsgid serves");
    let out = client(
        app.port,
        r#"
slow = rawhttp.Conn(PORT, timeout=30)
slow.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + b"x" * 1000)
quick = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
started = time.time()
try:
    quick.request("GET", "/")
    r = quick.getresponse()
    quick_answer = {"status": r.status, "body": r.read().decode()}
except OSError as err:
    quick_answer = {"error": str(err)}
slow.send(b"y" * 1000)
r = slow.read_response()
rawhttp.emit({"quick": quick_answer, "slow": r.status, "length": len(r.body),
              "same": r.body == b"x" * 1000 + b"y" * 1000})
"#,
    );
    assert_eq!(
        out["quick"],
        serde_json::json!({"status": 200, "body": "ok"}),
        "{out}"
    );
    assert_eq!(out["slow"], 200, "{out}");
    assert_eq!(out["length"], 2000, "{out}");
    assert_eq!(out["same"], true, "{out}");
}

#[test]
fn a_client_that_expects_100_continue_is_answered_before_its_body_is_asked_for() {
    let app = HttpApp::start(APP, &["--processes", "1"]).expect("uwsgid serves");
    let out = client(
        app.port,
        r#"
c = rawhttp.Conn(PORT, timeout=10)
c.send(b"POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
first = c.read_head()[1]
# An app that reads the body gets it after the 100 Continue.
c = rawhttp.Conn(PORT, timeout=10)
c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
interim = c.read_head()[1]
c.send(b"hello")
r = c.read_response()
rawhttp.emit({"refused_first": first, "interim": interim, "echo": r.status,
              "body": r.body.decode()})
"#,
    );
    assert_eq!(out["refused_first"], 401, "no 100 Continue first: {out}");
    assert_eq!(out["interim"], 100, "{out}");
    assert_eq!(out["echo"], 200, "{out}");
    assert_eq!(out["body"], "hello", "{out}");
}
