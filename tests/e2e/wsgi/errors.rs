//! Failing apps: an exception is a 500 with its traceback in the log and the
//! worker serves on; an app that does not import stops the server with the
//! traceback in the log.

use std::time::Duration;

use serde_json::Value;
use uwsgid_e2e::{DEFAULT_TIMEOUT, HttpApp, Python, ServerBuilder, TestDir, app_path, free_port};

fn start() -> HttpApp {
    HttpApp::start("error_app.py", &["--processes", "1"]).expect("uwsgid serves the app")
}

fn pid(app: &HttpApp) -> String {
    let response = app.curl("/pid").run().expect("GET /pid");
    assert_eq!(response.status, 200);
    response.text()
}

#[test]
fn exception_is_a_500_with_a_traceback_and_the_worker_lives_on() {
    let mut app = start();
    let before = pid(&app);
    let failed = app.curl("/raise").run().expect("an answer");
    assert_eq!(failed.status, 500);
    uwsgid_e2e::wait_for_log(&mut app.server, "uwsgid-test-boom", DEFAULT_TIMEOUT)
        .expect("the exception is logged");
    let log = app.log();
    assert!(
        log.contains("Traceback (most recent call last)"),
        "no traceback:\n{log}"
    );
    assert!(
        log.contains("error_app.py"),
        "the traceback names the app's file:\n{log}"
    );
    assert_eq!(
        pid(&app),
        before,
        "the same worker answers after the exception"
    );
}

#[test]
fn exception_while_iterating_is_logged_and_the_response_is_not_complete() {
    let mut app = start();
    let before = pid(&app);
    // Headers may already be out when the body fails: then the only honest
    // answer is to cut the connection, never a clean, complete 200.
    let result = Python::script(
        r#"
import sys, rawhttp
c = rawhttp.Conn(int(sys.argv[1]))
c.request("GET", "/raise-in-iter")
try:
    r = c.read_response()
    rawhttp.emit({"status": r.status, "body": r.body.decode("latin-1")})
except (EOFError, ConnectionResetError):
    rawhttp.emit({"status": None})
"#,
    )
    .arg(app.port.to_string())
    .run_json()
    .expect("the client runs");
    let status = &result["status"];
    assert!(
        *status == Value::Null || *status == 500,
        "a body that raised was answered as complete: {result}"
    );
    uwsgid_e2e::wait_for_log(&mut app.server, "uwsgid-test-boom-in-iter", DEFAULT_TIMEOUT)
        .expect("the exception is logged");
    assert_eq!(
        pid(&app),
        before,
        "the same worker answers after the exception"
    );
}

#[test]
fn app_that_does_not_import_stops_the_server_with_the_traceback() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .arg("--http-socket")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--master", "--processes", "2", "--wsgi-file"])
        .arg(app_path("broken_app.py"))
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    let status = server
        .wait_exit(Duration::from_secs(30))
        .expect("uwsgid gives up");
    assert!(
        !status.success(),
        "a server without its app exited with {status}"
    );
    let log = server.log();
    assert!(
        log.contains("ModuleNotFoundError"),
        "no traceback in the log:\n{log}"
    );
    assert!(
        log.contains("uwsgid_no_such_module_for_tests"),
        "log:\n{log}"
    );
}

/// Requests that are not HTTP: an error answer or a closed connection, never
/// a crash; the same worker serves the next request.
#[test]
fn malformed_requests_are_refused_and_the_worker_serves_on() {
    let app = start();
    let before = pid(&app);
    let result = Python::script(
        r#"
import sys, rawhttp
port = int(sys.argv[1])
out = []
for raw in [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"]:
    c = rawhttp.Conn(port, timeout=10)
    c.send(raw)
    try:
        out.append(c.read_response().status)
    except (EOFError, ConnectionResetError):
        out.append(None)
rawhttp.emit(out)
"#,
    )
    .arg(app.port.to_string())
    .run_json()
    .expect("the client runs");
    for status in result.as_array().expect("statuses") {
        assert!(
            status.is_null() || (400..=505).contains(&status.as_u64().unwrap_or(0)),
            "a malformed request got {status}: {result}"
        );
    }
    assert_eq!(
        pid(&app),
        before,
        "the same worker answers after malformed requests"
    );
}
