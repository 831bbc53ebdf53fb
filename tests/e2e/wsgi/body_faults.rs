//! Request bodies that cannot be read, answered for whose fault they are:
//! a malformed chunked body or a cut-short uwsgi body is the client's (400
//! with `Connection: close`, a log line, no traceback, even when the app
//! had begun reading; a closed connection once its response began), a
//! temporary directory that fails during post-buffering is the server's
//! (500, with the error in the log).

use std::path::Path;

use serde_json::Value;
use uwsgid_e2e::{
    DEFAULT_TIMEOUT, HttpApp, Python, ServerBuilder, TestDir, app_path, free_port, wait_for_log,
};

const APP: &str = "body_app.py";

/// What the scripts share: `wait_file` polls for the app's marker file.
const PRELUDE: &str = r#"
import sys, os, json, time, socket, rawhttp
PORT = int(sys.argv[1])
def wait_file(path, deadline=30.0):
    end = time.time() + deadline
    while not os.path.exists(path):
        if time.time() > end:
            raise TimeoutError(path)
        time.sleep(0.01)
def answer(c):
    try:
        r = c.read_response()
        out = r.summary()
        out["connection"] = r.header("connection")
        out["closed"] = c.closed_by_server()
        return out
    except (EOFError, ConnectionResetError):
        return {"status": None, "closed": True}
"#;

fn client(target: impl AsRef<std::ffi::OsStr>, dir: &Path, script: &str) -> Value {
    Python::script(format!("{PRELUDE}\nDIR = sys.argv[2]\n{script}"))
        .arg(target)
        .arg(dir)
        .run_json()
        .expect("the client runs")
}

fn assert_closing_400(answer: &Value, what: &str) {
    assert_eq!(answer["status"], 400, "{what}: {answer}");
    assert_eq!(answer["connection"], "close", "{what}: {answer}");
    assert_eq!(answer["closed"], true, "{what}: {answer}");
}

#[test]
fn a_malformed_chunked_body_is_a_400_with_connection_close() {
    let mut app = HttpApp::start(APP, &["--processes", "1"]).expect("uwsgid serves");
    let out = client(
        app.port.to_string(),
        app.dir(),
        r#"
out = []
for bad in [b"zz\r\nab\r\n0\r\n\r\n", b"ffffffffffffffffffff\r\nab\r\n0\r\n\r\n", b"2\r\nabcd\r\n0\r\n\r\n"]:
    c = rawhttp.Conn(PORT, timeout=10)
    c.send(b"POST /all HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + bad)
    out.append(answer(c))
rawhttp.emit(out)
"#,
    );
    for (answer, what) in out
        .as_array()
        .into_iter()
        .flatten()
        .zip(["zz", "overflow", "no CRLF"])
    {
        assert_closing_400(answer, what);
    }
    wait_for_log(&mut app.server, "invalid request body: ", DEFAULT_TIMEOUT).expect("logged");
    let log = app.log();
    assert!(log.contains("answered 400, connection closed"), "{log}");
    assert!(!log.contains("Traceback"), "the app is not blamed:\n{log}");
    assert!(!log.contains("(HTTP/1.1 500)"), "{log}");
    assert_eq!(app.curl("/after").run().expect("GET").status, 200);
}

#[test]
fn a_fault_found_after_the_app_began_reading_is_still_a_400() {
    let app = HttpApp::start(APP, &["--processes", "1"]).expect("uwsgid serves");
    let out = client(
        app.port.to_string(),
        app.dir(),
        r#"
out = {}
for path in ["partial", "catch"]:
    marker = os.path.join(DIR, path + ".read")
    c = rawhttp.Conn(PORT, timeout=10)
    c.send(b"POST /%s?%s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
           % (path.encode(), marker.encode()))
    wait_file(marker)
    c.send(b"zz\r\n")
    out[path] = answer(c)
# Once the response began, the fault can only close the connection.
c = rawhttp.Conn(PORT, timeout=10)
c.send(b"POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
version, status, reason, headers = c.read_head()
first = c._exact(int(c._line(), 16))
c._exact(2)
c.send(b"zz\r\n")
try:
    rest = c._chunked()
    out["stream"] = {"status": status, "first": first.decode(), "ended": True}
except (EOFError, ConnectionResetError):
    out["stream"] = {"status": status, "first": first.decode(), "ended": False}
rawhttp.emit(out)
"#,
    );
    assert_closing_400(&out["partial"], "the app's read raised");
    assert_closing_400(&out["catch"], "the app caught the error and answered 500");
    assert_eq!(out["stream"]["status"], 200, "{out}");
    assert_eq!(out["stream"]["first"], "started\n", "{out}");
    assert_eq!(
        out["stream"]["ended"], false,
        "the response is cut, not ended as if complete: {out}"
    );
    let log = app.log();
    assert!(log.contains("response aborted, connection closed"), "{log}");
    assert!(!log.contains("Traceback"), "{log}");
}

fn uwsgi_server(dir: &TestDir, args: &[&str]) -> (uwsgid_e2e::Server, std::path::PathBuf) {
    crate::worker_protocol_idle::start(dir, APP, args)
}

#[test]
fn a_cut_short_uwsgi_body_is_a_400_streamed_or_buffered() {
    for args in [&[][..], &["--post-buffering", "4"][..]] {
        let dir = TestDir::new().expect("temp dir");
        let (mut server, sock) = uwsgi_server(&dir, args);
        let out = Python::script(format!(
            "{}\n{}",
            PRELUDE.replace("PORT = int(sys.argv[1])", "SOCK = sys.argv[1]"),
            r#"
c = rawhttp.Conn.unix(SOCK, timeout=10)
c.uwsgi_request(rawhttp.uwsgi_vars("POST", "/all", body=b"x" * 100), body=b"only ten b")
# The peer stops sending but can still read the answer.
c.sock.shutdown(socket.SHUT_WR)
rawhttp.emit(answer(c))
"#
        ))
        .arg(&sock)
        .run_json()
        .expect("the client runs");
        assert_eq!(out["status"], 400, "{args:?}: {out}");
        assert_eq!(out["connection"], "close", "{args:?}: {out}");
        wait_for_log(
            &mut server,
            "the client closed the connection before the end of the request body",
            DEFAULT_TIMEOUT,
        )
        .expect("logged");
        let log = server.log();
        assert!(!log.contains("Traceback"), "{args:?}:\n{log}");
    }
}

#[test]
fn a_failing_temp_directory_while_post_buffering_is_a_500() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port");
    // Bodies over 1 KiB go to a temporary file in TMPDIR, which is missing.
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid binary")
        .env("TMPDIR", dir.join("no-such-dir"))
        .args(["--http-socket", &format!("127.0.0.1:{port}"), "--master"])
        .args(["--processes", "1", "--post-buffering", "1024"])
        .arg("--wsgi-file")
        .arg(app_path(APP))
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    uwsgid_e2e::wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("ready");
    let out = client(
        port.to_string(),
        dir.path(),
        r#"
c = rawhttp.Conn(PORT, timeout=10)
c.request("POST", "/all", body=b"y" * 4096)
small = rawhttp.Conn(PORT, timeout=10)
small.request("POST", "/all", body=b"fits in memory")
rawhttp.emit({"big": answer(c), "small": answer(small)})
"#,
    );
    assert_eq!(
        out["big"]["status"], 500,
        "a server fault, not the client's: {out}"
    );
    assert_eq!(out["small"]["status"], 200, "{out}");
    wait_for_log(
        &mut server,
        "post-buffering: cannot store the request body in a temporary file: No such file or directory",
        DEFAULT_TIMEOUT,
    )
    .expect("the error is named in the log");
}
