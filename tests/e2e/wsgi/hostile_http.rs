//! Requests on the edge of HTTP/1.1, spoken with a raw socket to the real
//! binary: header names with `_` (`http-header-underscores`), the RFC 9112
//! cases (`Transfer-Encoding: identity`, the characters clients put in a
//! target, a last chunk with leading zeros, `OPTIONS *`, `CONNECT`,
//! absolute- and authority-form targets), and the request-smuggling shapes,
//! each refused with 400 and a closed connection.

use serde_json::Value;
use uwsgid_e2e::{DEFAULT_TIMEOUT, HttpApp, Python, wait_for_log};

const APP: &str = "protocol_app.py";

fn start(args: &[&str]) -> HttpApp {
    let mut all = vec!["--processes", "1"];
    all.extend_from_slice(args);
    HttpApp::start(APP, &all).expect("uwsgid serves protocol_app.py")
}

/// Sends each raw request of the Python list `requests` on a connection of
/// its own; the answers as `{status, headers, body, closed}` (`closed`: the
/// server closed the connection after the answer; `status` null when it
/// closed without one).
fn exchange(port: u16, requests: &str) -> Vec<Value> {
    let out = Python::script(format!(
        r#"
import sys, json, rawhttp
PORT = int(sys.argv[1])
out = []
for raw in {requests}:
    c = rawhttp.Conn(PORT, timeout=10)
    c.send(raw)
    try:
        r = c.read_response()
        answer = r.summary()
        answer["closed"] = c.closed_by_server()
    except (EOFError, ConnectionResetError):
        answer = {{"status": None, "closed": True}}
    c.close()
    out.append(answer)
rawhttp.emit(out)
"#
    ))
    .arg(port.to_string())
    .run_json()
    .expect("the client runs");
    out.as_array().cloned().unwrap_or_default()
}

/// The answer's header `name`, if present.
fn header<'a>(answer: &'a Value, name: &str) -> Option<&'a str> {
    answer["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0] == name)
        .and_then(|h| h[1].as_str())
}

/// The environ protocol_app echoed in a 200 answer.
fn environ(answer: &Value) -> Value {
    assert_eq!(answer["status"], 200, "{answer}");
    let body = answer["body"].as_str().unwrap_or("");
    serde_json::from_str::<Value>(body).expect("protocol_app's JSON")["environ"].clone()
}

/// A refusal: `status`, `Connection: close`, and the connection closed.
fn assert_refused(answer: &Value, status: u16, what: &str) {
    assert_eq!(answer["status"], status, "{what}: {answer}");
    assert_eq!(
        header(answer, "connection"),
        Some("close"),
        "{what}: {answer}"
    );
    assert_eq!(answer["closed"], true, "{what}: the connection stays open");
}

const UNDERSCORED: &str = r#"[b"POST /u HTTP/1.1\r\nHost: x\r\nContent_Length: -1E23\r\nX_Forwarded_For: 6.6.6.6\r\nX-Forwarded-For: 1.1.1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"]"#;

#[test]
fn header_names_with_underscores_are_dropped_by_default_and_logged_once() {
    let mut app = start(&[]);
    let answers = exchange(app.port, UNDERSCORED);
    let env = environ(&answers[0]);
    assert_eq!(env["HTTP_X_FORWARDED_FOR"], "1.1.1.1", "{env}");
    assert_eq!(env["CONTENT_LENGTH"], "2", "{env}");
    assert!(env.get("HTTP_CONTENT_LENGTH").is_none(), "{env}");
    let line = "POST /u: dropped 2 request header(s) named with '_' \
                (content_length, x_forwarded_for) (http-header-underscores = drop)";
    wait_for_log(&mut app.server, line, DEFAULT_TIMEOUT).expect("the drop is logged");
    assert_eq!(app.log().matches("dropped").count(), 1, "{}", app.log());
}

#[test]
fn header_names_with_underscores_are_refused_or_kept_on_request() {
    let mut refuse = start(&["--http-header-underscores", "refuse"]);
    let answers = exchange(refuse.port, UNDERSCORED);
    assert_refused(&answers[0], 400, "refuse");
    wait_for_log(
        &mut refuse.server,
        "refused POST /u: header name with '_' (content_length) (http-header-underscores = refuse)",
        DEFAULT_TIMEOUT,
    )
    .expect("the refusal is logged");
    assert!(!refuse.log().contains("POST /u =>"), "the app was called");

    let keep = start(&["--http-header-underscores", "keep"]);
    let answers = exchange(keep.port, UNDERSCORED);
    let env = environ(&answers[0]);
    assert_eq!(
        env["HTTP_CONTENT_LENGTH"], "-1E23",
        "kept as uWSGI does: {env}"
    );
    assert!(!keep.log().contains("dropped"), "{}", keep.log());
}

#[test]
fn rfc9112_request_targets() {
    let mut app = start(&[]);
    let answers = exchange(
        app.port,
        r#"[
b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
b"GET http://other.example:81/p%41/q?x=1 HTTP/1.1\r\nHost: ignored\r\nConnection: close\r\n\r\n",
b"GET other.example:80 HTTP/1.1\r\nHost: x\r\n\r\n",
b"CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n",
b'GET /a"b{c}|d^e\\f[g] HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
b'GET /j?q={1}|2^3`4\\5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
b'GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
b'GET /q?json={"a":1} HTTP/1.1\r\nHost: x\r\n\r\n',
b'GET /latin\xe9 HTTP/1.1\r\nHost: x\r\n\r\n',
]"#,
    );
    // OPTIONS *: asterisk-form, given to the app as uWSGI gives it.
    let env = environ(&answers[0]);
    assert_eq!(
        (&env["PATH_INFO"], &env["REQUEST_URI"]),
        (&"*".into(), &"*".into())
    );
    assert_eq!(env["REQUEST_METHOD"], "OPTIONS");
    // Absolute-form (RFC 9112 §3.2.2): the host comes from the target.
    let env = environ(&answers[1]);
    assert_eq!(env["PATH_INFO"], "/pA/q", "{env}");
    assert_eq!(env["QUERY_STRING"], "x=1", "{env}");
    assert_eq!(env["REQUEST_URI"], "/p%41/q?x=1", "{env}");
    assert_eq!(env["HTTP_HOST"], "other.example:81", "{env}");
    assert_eq!(env["SERVER_NAME"], "other.example", "{env}");
    // Authority-form belongs to CONNECT only; CONNECT is not served.
    assert_refused(&answers[2], 400, "authority-form GET");
    assert_refused(&answers[3], 405, "CONNECT");
    assert_eq!(
        header(&answers[3], "allow"),
        Some("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE")
    );
    // What browsers send raw (WHATWG URL percent-encode sets) arrives as sent.
    let env = environ(&answers[4]);
    assert_eq!(env["PATH_INFO"], "/a\"b{c}|d^e\\f[g]", "{env}");
    let env = environ(&answers[5]);
    assert_eq!(env["QUERY_STRING"], "q={1}|2^3`4\\5", "{env}");
    let env = environ(&answers[6]);
    assert_eq!(
        env["PATH_INFO"], "/caf\u{c3}\u{a9}",
        "UTF-8 bytes, latin-1 decoded: {env}"
    );
    // A raw `"` in a query and bytes that are not UTF-8 are refused by
    // hyper's URI parser (documented in docs/compatibility.md).
    assert_refused(&answers[7], 400, "a raw quote in the query");
    assert_refused(&answers[8], 400, "a latin-1 byte in the path");
    wait_for_log(
        &mut app.server,
        "refused CONNECT other.example:443",
        DEFAULT_TIMEOUT,
    )
    .expect("CONNECT is logged");
    let log = app.log();
    assert!(
        log.contains("refused GET other.example:80: authority-form"),
        "{log}"
    );
    assert!(log.contains("invalid HTTP request: invalid URI"), "{log}");
}

#[test]
fn rfc9112_transfer_codings_and_the_last_chunk() {
    let app = start(&[]);
    let out = Python::script(
        r#"
import sys, json, rawhttp
c = rawhttp.Conn(int(sys.argv[1]), timeout=10)
# A last chunk written "000" ends the body: the next request on the same
# connection is answered.
c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       b"3\r\nabc\r\n000\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
first, second = c.read_response(), c.read_response()
rawhttp.emit({"first": json.loads(first.body), "second": json.loads(second.body)})
"#,
    )
    .arg(app.port.to_string())
    .run_json()
    .expect("the client runs");
    assert_eq!(out["first"]["body"], "abc", "{out}");
    assert_eq!(out["second"]["environ"]["PATH_INFO"], "/after", "{out}");
    // identity is no transfer coding (RFC 9112 §7); chunked not last means
    // the length cannot be known: 400 and close (§6.3).
    let answers = exchange(
        app.port,
        r#"[
b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\nab",
b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\nab",
]"#,
    );
    for answer in &answers {
        assert_refused(answer, 400, "Transfer-Encoding: identity");
    }
}

/// The shapes a front proxy and a back end may frame differently: each is
/// a 400 and a closed connection, so no second request hides in a body;
/// Content-Length with Transfer-Encoding is framed by the latter alone and
/// the connection closed after the answer (RFC 9112 §6.3 allows either).
#[test]
fn request_smuggling_shapes_are_400_and_close() {
    let app = start(&[]);
    let answers = exchange(
        app.port,
        r#"[
b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
]"#,
    );
    let cl_te = &answers[0];
    assert_eq!(cl_te["status"], 200, "{cl_te}");
    assert_eq!(header(cl_te, "connection"), Some("close"), "{cl_te}");
    assert_eq!(cl_te["closed"], true, "{cl_te}");
    let env = environ(cl_te);
    assert!(
        env.get("CONTENT_LENGTH").is_none(),
        "framed by chunked: {env}"
    );
    let answers = exchange(
        app.port,
        r#"[
b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n folded: yes\r\n\r\nab",
b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nab",
b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -2\r\n\r\nab",
b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0x2\r\n\r\nab",
]"#,
    );
    let shapes = [
        "two Content-Lengths",
        "chunked, identity",
        "obs-fold",
        "signed CL",
        "negative CL",
        "hex CL",
    ];
    for (answer, shape) in answers.iter().zip(shapes) {
        assert_eq!(answer["status"], 400, "{shape}: {answer}");
        assert_eq!(answer["closed"], true, "{shape}: {answer}");
    }
    assert!(!app.log().contains("/smuggled"), "{}", app.log());
}
