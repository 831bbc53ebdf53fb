//! The format compiler and the variables. Expected lines come from a real
//! uWSGI 2.0.31 (`http-socket`, one worker) given the same format and an
//! equivalent request; each test says which answer it pins.

use std::time::Duration;

use super::*;
use crate::protocol::cgi;
use crate::protocol::request::RequestHead;
use crate::protocol::response::ResponseHead;
use crate::worker::logging::request_log::Entry;

fn head() -> RequestHead {
    cgi::from_uwsgi(vec![
        ("REQUEST_METHOD".into(), "GET".into()),
        ("REQUEST_URI".into(), "/p?q=1".into()),
        ("SERVER_PROTOCOL".into(), "HTTP/1.1".into()),
        ("REMOTE_ADDR".into(), "127.0.0.1".into()),
        ("HTTP_HOST".into(), "127.0.0.1:9301".into()),
        ("HTTP_REFERER".into(), "http://r/".into()),
        ("HTTP_USER_AGENT".into(), "UA/1".into()),
        ("HTTP_X_TEST".into(), "xt".into()),
    ])
}

/// The response of uWSGI's probe app: `200 OK`, two headers, 12 bytes.
fn response() -> ResponseHead {
    ResponseHead {
        code: 200,
        status: "200 OK".into(),
        headers: vec![
            ("Content-Type".into(), "text/plain".into()),
            ("X-A".into(), "b".into()),
        ],
    }
}

fn render(format: &str, head: &RequestHead, micros: u64) -> String {
    let response = response();
    let entry = Entry {
        head,
        response: Some(&response),
        body_bytes: 12,
        elapsed: Duration::from_micros(micros),
        request_number: 1,
        app: None,
        core: 0,
        via_sendfile: false,
        read_error: false,
        write_error: false,
    };
    let facts = Facts {
        entry: &entry,
        pid: 123,
        worker_id: 1,
        addr: head.get("REMOTE_ADDR").unwrap_or(""),
        start_micros: 1_796_252_392_000_000,
        now_secs: 1_796_252_392,
        memory: Some((10 * 1024 * 1024, 3 * 1024 * 1024)),
        ftime: None,
    };
    let mut out = String::new();
    LogFormat::compile(format).write(&mut out, &facts);
    out
}

#[test]
fn compiles_text_and_variables_once() {
    let f = LogFormat::compile("%(addr) - [%(ltime)] \"%(method) %(uri)\" %(var.HTTP_X)");
    assert_eq!(
        f.pieces(),
        &[
            Piece::Var(Var::Addr),
            Piece::Text(" - [".into()),
            Piece::Var(Var::Ltime),
            Piece::Text("] \"".into()),
            Piece::Var(Var::Method),
            Piece::Text(" ".into()),
            Piece::Var(Var::Uri),
            Piece::Text("\" ".into()),
            Piece::Var(Var::Cgi("HTTP_X".into())),
        ]
    );
    assert!(!f.needs_memory());
    assert!(LogFormat::compile("%(rssM)").needs_memory());
}

/// uWSGI 2.0.31, `GET /p?q=1` with Referer, User-Agent and `X-Test: xt`,
/// answered 200 with two headers and 12 bytes:
/// `A|127.0.0.1|-|GET|/p?q=1|HTTP/1.1|200|65|12|53|http://r/|UA/1|127.0.0.1:9301|…|1|1|…|2|0|xt|-|-|0|…`
#[test]
fn request_variables_as_uwsgi_writes_them() {
    let line = render(
        "A|%(addr)|%(user)|%(method)|%(uri)|%(proto)|%(status)|%(size)|%(rsize)|%(hsize)|%(referer)|%(uagent)|%(host)|%(wid)|%(switches)|%(headers)|%(cl)|%(var.HTTP_X_TEST)|%(var.NOPE)|%(unknownvar)|%(core)",
        &head(),
        220,
    );
    assert_eq!(
        line,
        "A|127.0.0.1|-|GET|/p?q=1|HTTP/1.1|200|65|12|53|http://r/|UA/1|127.0.0.1:9301|1|1|2|0|xt|-|-|0"
    );
}

/// uWSGI 2.0.31: `%(msecs)|%(micros)|%(secs)` of a 220 µs request is
/// `0|220|0.000220`; `%(epoch)` and `%(time)` are seconds.
#[test]
fn durations_and_times() {
    let line = render(
        "%(msecs)|%(micros)|%(secs)|%(epoch)|%(time)|%(tmsecs)|%(tmicros)",
        &head(),
        220,
    );
    assert_eq!(
        line,
        "0|220|0.000220|1796252392|1796252392|1796252392000|1796252392000000"
    );
    let slow = render("%(msecs)", &head(), 1_234_567);
    assert_eq!(slow, "1234");
}

#[test]
fn dates_have_their_shapes() {
    let ctime = render("%(ctime)", &head(), 1);
    assert_eq!(ctime.len(), 24, "{ctime}");
    // `02/Dec/2026:22:59:52 +0000`.
    let ltime = render("%(ltime)", &head(), 1);
    assert_eq!(ltime.len(), 26, "{ltime}");
    assert_eq!(ltime.as_bytes().get(2), Some(&b'/'), "{ltime}");
    assert_eq!(
        render("%(ftime)", &head(), 1),
        ltime,
        "ftime is ltime by default"
    );
}

#[test]
fn worker_and_request_counts() {
    let head = head();
    let line = render(
        "%(pid) %(vars) %(pktsize) %(vsz) %(rssM) %(ioerr) %(metric.x)",
        &head,
        1,
    );
    assert_eq!(
        line,
        format!(
            "123 {} {} {} 3 0 0",
            head.vars.len() * 2,
            head.vars_bytes(),
            10 * 1024 * 1024
        )
    );
}

/// uWSGI 2.0.31 given `…%(core)|%|%()|%(epoch)…%(secs) end %(uri` wrote
/// `0|%|%|%|%()|1796252392|…|0.000220 end  end %(uri`: `%()` and an
/// unterminated `%(` stay text, and the text before them is written twice.
#[test]
fn malformed_formats_as_uwsgi_reads_them() {
    let line = render("%(core)|%|%()|%(pid) end %(uri", &head(), 1);
    assert_eq!(line, "0|%|%|%|%()|123 end  end %(uri");
    assert_eq!(render("100% sure", &head(), 1), "100% sure");
    assert_eq!(render("", &head(), 1), "");
    assert_eq!(render("%(", &head(), 1), "%(");
    assert_eq!(render("é%(method)ü", &head(), 1), "éGETü");
}
