//! `log-format`: the line a real uWSGI 2.0.31 wrote for the same request
//! and format, field for field (the pid, the times and the CGI variable
//! count, which depend on the process and the front, are left out).

use super::*;

/// uWSGI 2.0.31's variables in the order of the pinned lines below.
const FORMAT: &str = "A|%(addr)|%(user)|%(method)|%(uri)|%(proto)|%(status)|%(size)|%(rsize)|%(hsize)|%(referer)|%(uagent)|%(host)|%(wid)|%(switches)|%(headers)|%(cl)|%(var.HTTP_X_TEST)|%(var.NOPE)|%(unknownvar)|%(core)";

/// Pins uWSGI 2.0.31 (`http-socket`, the same app and format) for
/// `curl -u bob:pw -H 'Referer: http://r/' -A UA/1 -H 'X-Test: xt' /p?q=1`:
/// `A|127.0.0.1|-|GET|/p?q=1|HTTP/1.1|200|65|12|53|http://r/|UA/1|127.0.0.1:PORT|1|1|2|0|xt|-|-|0`
/// (`user` is `REMOTE_USER`, which no front sets from Basic auth; a
/// missing `var.` and an unknown name are `-`), and for a POST of 6 bytes
/// to `/404`: `A|127.0.0.1|-|POST|/404|HTTP/1.1|404|56|4|52|-|UA/1|…|1|1|1|6|-|-|-|0`.
#[test]
fn log_format_lines_match_uwsgi_for_the_same_requests() {
    let app = LogApp::start(&["--log-format", FORMAT]);
    let get = curl(app.port, "/p?q=1")
        .arg("-u")
        .arg("bob:pw")
        .header("Referer", "http://r/")
        .arg("-A")
        .arg("UA/1")
        .header("X-Test", "xt");
    assert_eq!(app.request(get), 200);
    let post = curl(app.port, "/404").arg("-A").arg("UA/1").data("abcdef");
    assert_eq!(app.request(post), 404);
    let lines = app.lines_until("A|", "|POST|");
    let port = app.port;
    let tail = &lines[lines.len().saturating_sub(2)..];
    assert_eq!(
        tail,
        [
            format!(
                "A|127.0.0.1|-|GET|/p?q=1|HTTP/1.1|200|65|12|53|http://r/|UA/1|127.0.0.1:{port}|1|1|2|0|xt|-|-|0"
            ),
            format!(
                "A|127.0.0.1|-|POST|/404|HTTP/1.1|404|56|4|52|-|UA/1|127.0.0.1:{port}|1|1|1|6|-|-|-|0"
            ),
        ],
        "{}",
        app.server.log()
    );
}

/// uWSGI 2.0.31 with `…|%(core)|%|%()|%(epoch)…%(secs) end %(uri` wrote
/// `0|%|%|%|%()|1796252392|…|0.000220 end  end %(uri`: `%()` and an
/// unterminated `%(` stay text and the text before them comes twice. The
/// times: `%(epoch)` and `%(time)` are seconds, `%(msecs)`/`%(micros)`
/// the duration, `%(ltime)` Apache's date.
#[test]
fn log_format_oddities_and_times_as_uwsgi() {
    let format =
        "B|%(core)|%|%()|%(epoch)|%(time)|%(msecs)|%(micros)|%(ltime)|%(pid)|%(wid) end %(uri";
    let app = LogApp::start(&["--log-format", format]);
    assert_eq!(app.get("/slow"), 200);
    let lines = app.lines_until("B|", "end %(uri");
    let line = lines.last().cloned().unwrap_or_default();
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(
        fields.get(..6),
        Some(&["B", "0", "%", "%", "%", "%()"][..]),
        "{line}"
    );
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (epoch, time) = (number(6).unwrap_or(0), number(7).unwrap_or(0));
    assert!(now.abs_diff(epoch) < 60 && epoch >= time, "{line}");
    let (msecs, micros) = (number(8).unwrap_or(0), number(9).unwrap_or(0));
    assert!((300..10_000).contains(&msecs), "the 300 ms sleep: {line}");
    assert_eq!(msecs, micros / 1000, "{line}");
    // `02/Dec/2026:22:59:52 +0000`.
    let ltime = fields.get(10).copied().unwrap_or("");
    assert_eq!((ltime.len(), ltime.get(2..3)), (26, Some("/")), "{line}");
    let worker_pid = number(11).unwrap_or(0);
    assert_ne!(
        worker_pid,
        app.server.pid() as u64,
        "a worker writes it: {line}"
    );
    assert_eq!(fields.get(12).copied(), Some("1 end  end %(uri"), "{line}");
}

/// A request whose app fails: the 500 uwsgid answers is logged with the
/// format too, and a format line has no `[pid: …]` default line beside it.
#[test]
fn log_format_replaces_the_default_line() {
    let app = LogApp::start(&["--log-format", "C %(method) %(uri) %(status) %(rsize)"]);
    assert_eq!(app.get("/500"), 500);
    assert_eq!(app.get("/empty"), 204);
    let lines = app.lines_until("C ", "/empty");
    assert!(lines.contains(&"C GET /500 500 3".to_string()), "{lines:?}");
    assert!(
        lines.contains(&"C GET /empty 204 0".to_string()),
        "{lines:?}"
    );
    assert!(
        !app.server.log().contains("=> generated"),
        "{}",
        app.server.log()
    );
}
