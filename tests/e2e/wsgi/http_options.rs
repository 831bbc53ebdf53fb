//! The HTTP front's options real configs set: `enable-proxy-protocol` (and
//! the router's spelling `http-enable-proxy-protocol`), `add-header`,
//! `http-timeout`, and `http-keepalive`/`http-auto-chunked` accepted for
//! what the front always does. The PROXY cases pin uWSGI 2.0.31's answers
//! (v1 sets the client's address and port, `UNKNOWN` or no header keeps the
//! peer's), except where the specification asks more (v2 is read; a
//! malformed header closes the connection).

use serde_json::{Value, json};
use uwsgid_e2e::{HttpApp, Python};

/// For each case, `REMOTE_ADDR REMOTE_PORT` as the app saw them, or
/// `closed` when the server closed without answering.
const PROXY_CLIENT: &str = r#"
import json, sys, rawhttp
port = int(sys.argv[1])
v2 = bytes.fromhex("0d0a0d0a000d0a515549540a") + bytes([0x21, 0x11, 0, 12, 9, 8, 7, 6, 5, 6, 7, 8]) \
    + (2222).to_bytes(2, "big") + (80).to_bytes(2, "big")
cases = {
    "v1": b"PROXY TCP4 1.2.3.4 5.6.7.8 1111 80\r\n",
    "v1-unknown": b"PROXY UNKNOWN\r\n",
    "v1-tcp6": b"PROXY TCP6 2001:db8::1 2001:db8::2 3333 80\r\n",
    "v2": v2,
    "none": b"",
    "malformed": b"PROXY garbage\r\n",
}
out = {}
for name, header in cases.items():
    c = rawhttp.Conn(port, timeout=10)
    c.send(header + b"GET /who HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    try:
        env = json.loads(c.read_response().body)["environ"]
        out[name] = "%s %s" % (env["REMOTE_ADDR"], env["REMOTE_PORT"])
    except (EOFError, ConnectionResetError):
        out[name] = "closed"
rawhttp.emit(out)
"#;

fn proxy_answers(option: &str) -> Value {
    let app =
        HttpApp::start("environ_app.py", &["--processes", "1", option]).expect("uwsgid serves");
    let got = Python::script(PROXY_CLIENT)
        .arg(app.port.to_string())
        .run_json()
        .unwrap_or_else(|e| panic!("{e:#}\n{}", app.log()));
    if got["malformed"] == "closed" {
        assert!(
            app.log().contains("(PROXY protocol)"),
            "the refusal is logged:\n{}",
            app.log()
        );
    }
    // The peer's port differs per connection: keep the address.
    let mut got = got;
    for case in ["v1-unknown", "none"] {
        let peer = got[case]
            .as_str()
            .unwrap_or("")
            .split(' ')
            .next()
            .unwrap_or("");
        got[case] = json!(peer);
    }
    got
}

#[test]
fn a_proxy_header_names_the_client_in_both_spellings() {
    let want = json!({
        "v1": "1.2.3.4 1111",
        "v1-unknown": "127.0.0.1",
        "v1-tcp6": "2001:db8::1 3333",
        "v2": "9.8.7.6 2222",
        "none": "127.0.0.1",
        "malformed": "closed",
    });
    for option in ["--enable-proxy-protocol", "--http-enable-proxy-protocol"] {
        assert_eq!(proxy_answers(option), want, "{option}");
    }
}

#[test]
fn add_header_is_on_every_response() {
    let app = HttpApp::start(
        "hello.py",
        &[
            "--add-header",
            "X-Frame-Options: DENY",
            "--add-header",
            "X-B: two words",
        ],
    )
    .expect("uwsgid serves");
    for path in ["/", "/other"] {
        let got = app.curl(path).run().expect("curl");
        assert_eq!(got.status, 200);
        assert_eq!(got.header("x-frame-options"), Some("DENY"), "{got:?}");
        assert_eq!(got.header("x-b"), Some("two words"), "{got:?}");
    }
}

/// Whether the server closes a connection that sent half a head, within
/// `within` seconds.
const HALF_HEAD: &str = r#"
import sys, rawhttp
c = rawhttp.Conn(int(sys.argv[1]), timeout=30)
c.send("GET / HTTP/1.1\r\nHost: x\r\n")
rawhttp.emit(c.closed_by_server(timeout=float(sys.argv[2])))
"#;

#[test]
fn http_timeout_is_the_http_fronts_timeout() {
    // socket-timeout alone (30 s) would keep the half-sent head open.
    let app = HttpApp::start(
        "hello.py",
        &["--socket-timeout", "30", "--http-timeout", "1"],
    )
    .expect("uwsgid serves");
    let closed = Python::script(HALF_HEAD)
        .arg(app.port.to_string())
        .arg("15")
        .run_json()
        .expect("the client runs");
    assert_eq!(closed, json!(true), "{}", app.log());
}

#[test]
fn keepalive_and_auto_chunked_are_accepted_without_a_warning() {
    let (resolved, stderr) = super::check_ini(
        "[uwsgi]\nhttp-socket = :9090\nmodule = app\nhttp-keepalive = 1\nhttp-auto-chunked = true\nhttp-timeout = 30\nadd-header = X-A: 1\n",
    );
    assert!(resolved, "{stderr}");
    assert!(!stderr.contains("does not implement"), "{stderr}");
}
