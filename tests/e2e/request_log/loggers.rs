//! uWSGI's loggers: `logger` and `req-logger` splitting the server's
//! lines from the request lines, the encoders, `log-req-route`,
//! `rsyslog` over UDP to a loopback listener, and `syslog` to `/dev/log`.

use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;

use super::*;

fn file_text(app: &LogApp, name: &str) -> String {
    std::fs::read_to_string(app.path(name)).unwrap_or_default()
}

/// Waits until `name` has a line equal to `line`; returns the file.
fn wait_line(app: &LogApp, name: &str, line: &str) -> String {
    wait_until(line, DEFAULT_TIMEOUT, || {
        let text = file_text(app, name);
        text.lines().any(|l| l == line).then_some(text)
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{name}: {}", file_text(app, name)))
}

/// Pins uWSGI 2.0.31 with `logger = file:e.log`, `req-logger =
/// file:acc.log`, `log-format = A %(uri) %(status)`,
/// `log-req-encoder = json {"line":"${msg}","q":"a\"b"}`,
/// `log-req-encoder = nl`, `log-encoder = prefix [E]`, for
/// `GET /x?y="z"`: `acc.log` got `{"line":"A /x?y=\"z\" 200","q":"a\"b"}`
/// and nothing else; `e.log` got the server's lines, each starting `[E]`,
/// and no request line. (Here the quotes go percent-encoded: the JSON
/// escaping of the line itself is `encoders.rs`'s unit test.)
#[test]
fn logger_and_req_logger_split_the_log_with_their_encoders() {
    let app = LogApp::start(&[
        "--logger",
        "file:e.log",
        "--req-logger",
        "file:acc.log",
        "--log-format",
        "A %(uri) %(status)",
        "--log-req-encoder",
        r#"json {"line":"${msg}","q":"a\"b"}"#,
        "--log-req-encoder",
        "nl",
        "--log-encoder",
        "prefix [E]",
    ]);
    assert_eq!(app.get("/x?y=%22z%22"), 200);
    let access = wait_line(
        &app,
        "acc.log",
        r#"{"line":"A /x?y=%22z%22 200","q":"a\"b"}"#,
    );
    assert!(
        access.lines().all(|l| l.starts_with(r#"{"line":"A /"#)),
        "only request lines: {access}"
    );
    let errors = wait_until("the worker's line in e.log", DEFAULT_TIMEOUT, || {
        let text = file_text(&app, "e.log");
        text.contains("[E]spawned uWSGI worker 1").then_some(text)
    })
    .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(errors.lines().all(|l| l.starts_with("[E]")), "{errors}");
    assert!(!errors.contains("A /x"), "{errors}");
}

/// `log-req-route`: request lines matching the regex go to the named
/// request logger only, the others to the unnamed one.
#[test]
fn log_req_route_sends_matching_requests_to_the_named_logger() {
    let app = LogApp::start(&[
        "--req-logger",
        "slow file:slow.log",
        "--req-logger",
        "file:access.log",
        "--log-req-route",
        "slow ^R /slow",
        "--log-format",
        "R %(uri) %(status)",
    ]);
    app.get("/slow");
    app.get("/fast");
    wait_line(&app, "access.log", "R /fast 200");
    let slow = wait_line(&app, "slow.log", "R /slow 200");
    assert!(!slow.contains("/fast"), "{slow}");
    assert!(!file_text(&app, "access.log").contains("/slow"));
}

/// `rsyslog:HOST:PORT,PREFIX`: each request line is one UDP datagram
/// `<29>Mmm dd hh:mm:ss PREFIX: line` (uWSGI's rsyslog packet).
#[test]
fn rsyslog_req_logger_sends_udp_datagrams() {
    let listener = UdpSocket::bind("127.0.0.1:0").expect("a UDP port");
    listener
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("a read timeout");
    let port = listener.local_addr().expect("its address").port();
    let target = format!("rsyslog:127.0.0.1:{port},web");
    let app = LogApp::start(&["--req-logger", &target, "--log-format", "S %(uri)"]);
    app.get("/sys");
    let packet = wait_until("the datagram", DEFAULT_TIMEOUT, || {
        let mut buf = [0u8; 2048];
        let n = listener.recv(&mut buf).ok()?;
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        text.ends_with(" web: S /sys").then_some(text)
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", app.server.log()));
    assert!(packet.starts_with("<29>"), "{packet}");
    assert_eq!(
        packet.len(),
        "<29>".len() + 15 + " web: S /sys".len(),
        "{packet}"
    );
}

/// `file:logfile=PATH,maxsize=N`: the logger's file rotates as `logto`
/// does, to `PATH.<epoch>`.
#[test]
fn file_logger_with_maxsize_rotates() {
    let app = LogApp::start(&[
        "--req-logger",
        "file:logfile=access.log,maxsize=200",
        "--log-format",
        "F %(uri) ..........................................",
    ]);
    wait_until("a rotated access.log", DEFAULT_TIMEOUT, || {
        app.get("/rotate-me");
        let rotated = std::fs::read_dir(app.path("."))
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| {
                n.strip_prefix("access.log.")
                    .is_some_and(|e| e.parse::<u64>().is_ok())
            })?;
        let text = file_text(&app, &rotated);
        text.contains("triggering rotation to access.log.")
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}"));
}

/// `/dev/log` bound by the test for as long as it lives, then removed.
struct DevLog(UnixDatagram);

impl DevLog {
    const PATH: &'static str = "/dev/log";

    fn bind() -> DevLog {
        assert!(
            !std::path::Path::new(Self::PATH).exists(),
            "{} exists: a syslog daemon owns it; this test needs to receive what uwsgid sends there",
            Self::PATH
        );
        let socket = UnixDatagram::bind(Self::PATH).expect("bind /dev/log (as root)");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("a read timeout");
        DevLog(socket)
    }
}

impl Drop for DevLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(Self::PATH);
    }
}

/// `req-logger = syslog:web,local3`: each request line is a syslog message
/// with that ident and facility (local3 and info: priority 158), through the C
/// library's `syslog()` to `/dev/log`, as uWSGI's syslog logger sends it.
#[test]
fn syslog_req_logger_writes_to_dev_log() {
    let dev_log = DevLog::bind();
    let app = LogApp::start(&[
        "--req-logger",
        "syslog:web,local3",
        "--log-format",
        "Y %(uri)",
    ]);
    app.get("/to-syslog");
    let message = wait_until("the syslog message", DEFAULT_TIMEOUT, || {
        let mut buf = [0u8; 2048];
        let n = dev_log.0.recv(&mut buf).ok()?;
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        text.contains("Y /to-syslog").then_some(text)
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", app.server.log()));
    assert!(message.starts_with("<158>"), "{message}");
    assert!(message.contains(" web"), "{message}");
    assert!(
        !app.server.log().contains("Y /to-syslog"),
        "not in the main log"
    );
}

/// `logger = stdio` (the process's own output) beside a named file logger
/// with `log-route`: a line matching the route goes to the named logger
/// only, every other line to the unnamed `stdio` logger, as in uWSGI's
/// `uwsgi_master_log`.
#[test]
fn log_route_sends_matching_lines_to_a_named_logger_and_the_rest_to_stdio() {
    let app = LogApp::start(&[
        "--logger",
        "stdio",
        "--logger",
        "spawns file:spawns.log",
        "--log-route",
        "spawns ^spawned uWSGI worker",
    ]);
    app.get("/routed");
    let spawns = wait_until("the spawn line in spawns.log", DEFAULT_TIMEOUT, || {
        let text = file_text(&app, "spawns.log");
        text.contains("spawned uWSGI worker 1 (pid: ")
            .then_some(text)
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", app.server.log()));
    assert!(!spawns.contains("GET /routed"), "{spawns}");
    wait_until("the request line on stdio", DEFAULT_TIMEOUT, || {
        app.server.log().contains("GET /routed").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", app.server.log()));
    assert!(
        !app.server.log().contains("spawned uWSGI worker 1 (pid: "),
        "the routed line went to its logger only:\n{}",
        app.server.log()
    );
}
