//! The conditions that log a request even with `disable-logging`, and
//! `log-x-forwarded-for`.

use super::*;

/// Pins uWSGI 2.0.31 with `disable-logging`, `log-4xx`, `log-5xx`,
/// `log-slow = 200`, `log-zero`, `log-x-forwarded-for` and the format
/// `B %(addr) %(uri) %(status) %(rsize)`, for `/`, `/404`, `/500`, `/empty`,
/// `/slow` each with `X-Forwarded-For: 10.0.0.1, 10.0.0.2`: it logged
/// `/404`, `/500`, `/empty` and `/slow`, not `/`, each with the whole
/// header as the address.
#[test]
fn disable_logging_still_logs_the_requests_a_condition_matches() {
    let app = LogApp::start(&[
        "--disable-logging",
        "--log-4xx",
        "--log-5xx",
        "--log-slow",
        "200",
        "--log-zero",
        "--log-x-forwarded-for",
        "--log-format",
        "B %(addr) %(uri) %(status) %(rsize)",
    ]);
    for path in ["/", "/404", "/500", "/empty", "/slow"] {
        let get = curl(app.port, path).header("X-Forwarded-For", "10.0.0.1, 10.0.0.2");
        app.request(get);
    }
    let lines = app.lines_until("B ", "/slow");
    assert_eq!(
        lines,
        [
            "B 10.0.0.1, 10.0.0.2 /404 404 4",
            "B 10.0.0.1, 10.0.0.2 /500 500 3",
            "B 10.0.0.1, 10.0.0.2 /empty 204 0",
            "B 10.0.0.1, 10.0.0.2 /slow 200 12",
        ],
        "{}",
        app.server.log()
    );
}

/// `log-big` alone with `disable-logging`: only bodies of at least N bytes
/// (the 12-byte hello, not the 4-byte 404); without `disable-logging` a
/// condition changes nothing: every request is logged.
#[test]
fn log_big_selects_by_body_size_and_conditions_add_nothing_when_logging() {
    let quiet = LogApp::start(&[
        "--disable-logging",
        "--log-big",
        "12",
        "--log-format",
        "D %(uri)",
    ]);
    quiet.get("/404");
    quiet.get("/big");
    // The readiness probe's `GET /` is 12 bytes too.
    let lines = quiet.lines_until("D ", "/big");
    let lines: Vec<&String> = lines.iter().filter(|l| *l != "D /").collect();
    assert_eq!(lines, ["D /big"]);
    let all = LogApp::start(&["--log-big", "12", "--log-format", "E %(uri)"]);
    all.get("/404");
    all.get("/big");
    let lines = all.lines_until("E ", "/big");
    assert!(lines.contains(&"E /404".to_string()), "{lines:?}");
}

/// `disable-logging` alone: no request line at all, the server's own lines
/// stay.
#[test]
fn disable_logging_alone_writes_no_request_line() {
    let app = LogApp::start(&["--disable-logging"]);
    for path in ["/", "/404", "/500"] {
        app.get(path);
    }
    // One worker, one thread: once the third answer is in, a line for it
    // would be written before the next request is read; a fourth request
    // answered proves the third one's line-writing is done.
    app.get("/empty");
    let log = app.server.log();
    assert!(!log.contains("=> generated"), "{log}");
    assert!(log.contains("spawned"), "{log}");
}

/// The default line with `log-x-forwarded-for`: the header as sent, in
/// place of `REMOTE_ADDR`; without the header, `REMOTE_ADDR`.
#[test]
fn log_x_forwarded_for_in_the_default_line() {
    let app = LogApp::start(&["--log-x-forwarded-for"]);
    app.request(curl(app.port, "/xff").header("X-Forwarded-For", "203.0.113.9"));
    app.get("/plain");
    let lines = app.lines_until("[pid: ", "/plain");
    let xff = lines
        .iter()
        .find(|l| l.contains(" /xff "))
        .cloned()
        .unwrap_or_default();
    assert!(xff.contains("] 203.0.113.9 () {"), "{lines:?}");
    let plain = lines.last().cloned().unwrap_or_default();
    assert!(plain.contains("] 127.0.0.1 () {"), "{lines:?}");
}

/// Pins uWSGI 2.0.31 with `log-date = %Y-%m-%d`: its own lines start with
/// the date and ` - ` (`2026-12-02 - spawned uWSGI worker 1 (pid: …)`),
/// the request lines do not. A bare `log-date` is the `ctime` date.
#[test]
fn log_date_prefixes_the_servers_lines_not_the_request_lines() {
    let app = LogApp::start(&["--log-date=%Y-%m-%d", "--log-format", "F %(uri)"]);
    app.get("/dated");
    let lines = app.lines_until("F ", "/dated");
    assert_eq!(lines.last().map(String::as_str), Some("F /dated"));
    let spawned = app.server_line("spawned uWSGI worker 1");
    let log = app.server.log();
    let (date, rest) = spawned.split_once(" - ").unwrap_or_default();
    assert!(rest.starts_with("spawned uWSGI worker 1"), "{log}");
    let parts: Vec<&str> = date.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [4, 2, 2],
        "{log}"
    );
    let ctime = LogApp::start(&["--log-date"]);
    let spawned = ctime.server_line("spawned uWSGI worker 1");
    let log = ctime.server.log();
    // `Wed Dec  2 23:00:14 2026 - spawned uWSGI worker 1 (pid: …)`.
    assert_eq!(spawned.get(24..27), Some(" - "), "{log}");
}

/// Pins uWSGI 2.0.31 with `disable-logging` and `log-sendfile = true`,
/// for `/plain` then `/file` (this app): one line, `… GET /file =>
/// generated 221 bytes in 0 msecs via sendfile() (HTTP/1.1 200) 1 headers
/// in 45 bytes …`.
#[test]
fn log_sendfile_logs_file_wrapper_responses() {
    let app = LogApp::start_app(
        r#"
def application(env, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    if env['PATH_INFO'] == '/file':
        return env['wsgi.file_wrapper'](open(__file__, 'rb'))
    return [b'plain']
"#,
        &["--disable-logging", "--log-sendfile"],
    );
    app.get("/plain");
    app.get("/file");
    let lines = app.lines_until("[pid: ", "GET /file");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains(" msecs via sendfile() (HTTP/1.1 200)"),
        "{lines:?}"
    );
}
