use super::*;
use crate::config::{Conditions, RequestLogging};
use crate::protocol::cgi;
use crate::worker::wsgi::app::AppServed;

fn head() -> RequestHead {
    cgi::from_uwsgi(vec![
        ("REQUEST_METHOD".into(), "GET".into()),
        ("REQUEST_URI".into(), "/path".into()),
        ("SERVER_PROTOCOL".into(), "HTTP/1.1".into()),
        ("REMOTE_ADDR".into(), "127.0.0.1".into()),
        ("HTTP_X_FORWARDED_FOR".into(), "10.0.0.1, 10.0.0.2".into()),
    ])
}

fn ok() -> ResponseHead {
    ResponseHead {
        code: 200,
        status: "200 OK".into(),
        headers: vec![("Content-Type".into(), "text/plain".into())],
    }
}

fn entry<'a>(head: &'a RequestHead, response: &'a ResponseHead) -> Entry<'a> {
    Entry {
        head,
        response: Some(response),
        body_bytes: 12,
        elapsed: Duration::from_millis(3),
        request_number: 5,
        app: Some(AppServed {
            index: 0,
            requests: 5,
        }),
        core: 0,
        via_sendfile: false,
        read_error: false,
        write_error: false,
    }
}

fn log(logging: RequestLogging, disable: bool) -> RequestLog {
    let cfg = AppConfig {
        request_logging: logging,
        disable_logging: disable,
        ..AppConfig::default()
    };
    RequestLog::new(2, &cfg)
}

/// Pins uWSGI 2.0.31's default line for the uwsgi-protocol request
/// `GET /x` with these 5 variables (102 bytes):
/// `[pid: 1718|app: 0|req: 1/1] 1.2.3.4 () {10 vars in 102 bytes} [Wed Dec  2 23:01:20 2026] GET /x => generated 12 bytes in 0 msecs (HTTP/1.1 200) 2 headers in 53 bytes (1 switches on core 0)`
/// (a name and a value count as two vars; uwsgid adds the worker id).
#[test]
fn default_line_has_uwsgi_shape_and_worker_id() {
    let head = RequestHead {
        vars: [
            ("REQUEST_METHOD", "GET"),
            ("REQUEST_URI", "/x"),
            ("PATH_INFO", "/x"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("REMOTE_ADDR", "1.2.3.4"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.to_string()))
        .collect(),
        https: false,
    };
    let response = ResponseHead {
        code: 200,
        status: "200 OK".into(),
        headers: vec![
            ("Content-Type".into(), "text/plain".into()),
            ("X-A".into(), "b".into()),
        ],
    };
    let mut e = entry(&head, &response);
    e.elapsed = Duration::from_micros(300);
    e.request_number = 1;
    e.app = Some(AppServed {
        index: 0,
        requests: 1,
    });
    let mut line = String::new();
    let mut date = String::new();
    clock::push_ctime(&mut date, 1_796_252_480);
    let time = Time {
        start_secs: 1_796_252_480,
        micros: false,
    };
    format_line(&mut line, 1718, 1, "1.2.3.4", &e, &time);
    assert_eq!(
        line,
        format!(
            "[pid: 1718|worker: 1|app: 0|req: 1/1] 1.2.3.4 () {{10 vars in 102 bytes}} [{date}] GET /x => generated 12 bytes in 0 msecs (HTTP/1.1 200) 2 headers in 53 bytes (1 switches on core 0)"
        )
    );
}

#[test]
fn log_micros_gives_the_time_in_micros() {
    let head = head();
    let response = ok();
    let l = log(
        RequestLogging {
            micros: true,
            ..RequestLogging::default()
        },
        false,
    );
    let line = l.line(&entry(&head, &response)).unwrap_or_default();
    assert!(
        line.contains(" generated 12 bytes in 3000 micros (HTTP/1.1 200)"),
        "{line}"
    );
}

#[test]
fn x_forwarded_for_replaces_the_address_in_both_lines() {
    let head = head();
    let response = ok();
    let mut logging = RequestLogging {
        x_forwarded_for: true,
        ..RequestLogging::default()
    };
    let line = log(logging.clone(), false)
        .line(&entry(&head, &response))
        .unwrap_or_default();
    assert!(line.contains("] 10.0.0.1, 10.0.0.2 () {"), "{line}");
    logging.format = Some("%(addr)".into());
    let line = log(logging, false).line(&entry(&head, &response));
    assert_eq!(line.as_deref(), Some("10.0.0.1, 10.0.0.2\n"));
}

#[test]
fn format_line_ends_with_a_newline_and_allocates_once() {
    let head = head();
    let response = ok();
    let l = log(
        RequestLogging {
            format: Some("%(method) %(uri) %(status) %(ltime) %(ctime) %(msecs)".into()),
            ..RequestLogging::default()
        },
        false,
    );
    let line = l.line(&entry(&head, &response)).unwrap_or_default();
    assert!(line.starts_with("GET /path 200 "), "{line}");
    assert!(line.ends_with(" 3\n"), "{line}");
    assert!(line.capacity() >= line.len());
    let capacity =
        LogFormat::compile("%(method) %(uri) %(status) %(ltime) %(ctime) %(msecs)").capacity();
    assert!(line.len() <= capacity, "the first buffer fits: {line:?}");
}

#[test]
fn disable_logging_with_a_condition_logs_the_matching_requests() {
    let head = head();
    let response = ok();
    let off = log(RequestLogging::default(), true);
    assert!(off.is_off());
    assert_eq!(off.line(&entry(&head, &response)), None);
    let zero = log(
        RequestLogging {
            conditions: Conditions {
                zero: true,
                ..Conditions::default()
            },
            ..RequestLogging::default()
        },
        true,
    );
    assert!(!zero.is_off());
    assert_eq!(zero.line(&entry(&head, &response)), None);
    let mut empty = entry(&head, &response);
    empty.body_bytes = 0;
    assert!(zero.line(&empty).is_some());
}

#[test]
fn memory_report_reads_statm() {
    let cfg = AppConfig {
        memory_report: true,
        ..AppConfig::default()
    };
    let log = RequestLog::new(1, &cfg);
    let (vsz, rss) = log.memory().unwrap_or_default();
    assert!(vsz > 0 && rss > 0 && rss <= vsz);
}

/// uWSGI 2.0.31 (pinned with `--vhost --mount`): the mounted app's index
/// and its own count before the worker's, `app: 1|req: 1/2`; a static file
/// has no app, `app: -1|req: -1/N`.
#[test]
fn the_line_names_the_app_and_its_count() {
    let head = RequestHead::default();
    let response = ResponseHead {
        code: 200,
        status: "200 OK".into(),
        headers: Vec::new(),
    };
    let time = Time {
        start_secs: 0,
        micros: false,
    };
    let mut e = entry(&head, &response);
    e.request_number = 2;
    e.app = Some(AppServed {
        index: 1,
        requests: 1,
    });
    let mut line = String::new();
    format_line(&mut line, 1, 1, "a", &e, &time);
    assert!(
        line.starts_with("[pid: 1|worker: 1|app: 1|req: 1/2] "),
        "{line}"
    );
    e.app = None;
    line.clear();
    format_line(&mut line, 1, 1, "a", &e, &time);
    assert!(
        line.starts_with("[pid: 1|worker: 1|app: -1|req: -1/2] "),
        "{line}"
    );
}
