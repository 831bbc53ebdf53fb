//! Clients that go away while the response is written:
//! `disable-write-exception` (the WSGI `write()` callable stops raising)
//! and `ignore-write-errors` (no line for a failed write).

use std::io::{Read, Write};
use std::net::TcpStream;

use super::*;

/// Writes 400 × 64 KiB through `write()`, saying on stdout whether a write
/// raised; `/big` returns 64 MiB as an iterable.
const WRITER: &str = r#"
import time
def application(env, start_response):
    write = start_response('200 OK', [('Content-Type', 'text/plain')])
    if env['PATH_INFO'] == '/big':
        return (b'x' * 65536 for _ in range(1024))
    try:
        for _ in range(400):
            write(b'x' * 65536)
            time.sleep(0.005)
    except OSError:
        print('WRITE RAISED', flush=True)
        raise
    print('WRITE DONE', flush=True)
    return [b'']
"#;

/// A client that reads the start of the response, then closes.
fn read_a_little_and_leave(port: u16) {
    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    client
        .write_all(b"GET /w HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("send the request");
    let mut start = [0u8; 4096];
    client
        .read_exact(&mut start)
        .expect("the start of the response");
}

/// uWSGI raises `OSError` from `write()` once the client is gone, unless
/// `disable-write-exception`: then the app writes on, unaware.
#[test]
fn disable_write_exception_lets_write_go_on() {
    let raising = LogApp::start_app(WRITER, &[]);
    read_a_little_and_leave(raising.port);
    raising.server_line("WRITE RAISED");
    let quiet = LogApp::start_app(WRITER, &["--disable-write-exception"]);
    read_a_little_and_leave(quiet.port);
    quiet.server_line("WRITE DONE");
    assert!(
        !quiet.server.log().contains("WRITE RAISED"),
        "{}",
        quiet.server.log()
    );
}

/// One uwsgi-protocol request for `/big` whose client never reads: the
/// write times out after `socket-timeout`.
fn stall_a_uwsgi_response(port: u16) -> TcpStream {
    let vars: &[(&str, &str)] = &[
        ("REQUEST_METHOD", "GET"),
        ("REQUEST_URI", "/big"),
        ("PATH_INFO", "/big"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REMOTE_ADDR", "127.0.0.1"),
    ];
    let mut body = Vec::new();
    for (k, v) in vars {
        for part in [k, v] {
            body.extend_from_slice(&(part.len() as u16).to_le_bytes());
            body.extend_from_slice(part.as_bytes());
        }
    }
    let mut packet = vec![0u8];
    packet.extend_from_slice(&(body.len() as u16).to_le_bytes());
    packet.push(0);
    packet.extend_from_slice(&body);
    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    client.write_all(&packet).expect("send the request");
    client
}

/// A timed-out response write is logged (`uwsgi response write error:
/// write timed out`), unless `ignore-write-errors`; the request's own log
/// line comes either way.
#[test]
fn ignore_write_errors_silences_the_failed_write() {
    for (quiet, flag) in [(false, &[][..]), (true, &["--ignore-write-errors"][..])] {
        let uwsgi_port = free_port().expect("a free port");
        let socket = format!("127.0.0.1:{uwsgi_port}");
        let mut args = vec!["--socket", &socket, "--socket-timeout", "1"];
        args.extend_from_slice(flag);
        let app = LogApp::start_app(WRITER, &args);
        let _stalled = stall_a_uwsgi_response(uwsgi_port);
        if !quiet {
            app.server_line("uwsgi response write error: write timed out");
            continue;
        }
        // The Python thread writes the whole uwsgi response itself: a
        // failed write is logged before the request's line.
        app.server_line("GET /big => generated");
        let log = app.server.log();
        assert!(!log.contains("uwsgi response write error"), "{log}");
    }
}
