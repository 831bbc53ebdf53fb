//! systemd's notify protocol: a fake systemd (a datagram socket the test
//! binds, passed as NOTIFY_SOCKET) hears READY=1 once the app answers,
//! RELOADING=1 and READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM;
//! the workers never see NOTIFY_SOCKET.

use std::os::unix::net::UnixDatagram;
use std::time::Instant;

use nix::sys::signal::Signal;

use super::*;

/// The fake systemd: every message the master sends, line by line.
struct FakeSystemd {
    socket: UnixDatagram,
    heard: Vec<String>,
}

impl FakeSystemd {
    fn bind(path: &Path) -> FakeSystemd {
        let socket = UnixDatagram::bind(path).expect("bind the notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("read timeout");
        FakeSystemd {
            socket,
            heard: Vec::new(),
        }
    }

    /// Reads messages until a line equal to `line` arrives; returns the
    /// lines heard before it, or panics after `timeout`.
    fn until(&mut self, line: &str, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut before = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            let Ok(n) = self.socket.recv(&mut buf) else {
                continue;
            };
            let lines: Vec<String> = String::from_utf8_lossy(&buf[..n])
                .lines()
                .map(str::to_string)
                .collect();
            self.heard.extend(lines.iter().cloned());
            match lines.iter().position(|l| l == line) {
                Some(at) => {
                    before.extend_from_slice(&lines[..at]);
                    return before;
                }
                None => before.extend(lines),
            }
        }
        panic!("no {line} within {timeout:?}; heard {:?}", self.heard);
    }
}

#[test]
fn systemd_hears_ready_reloading_and_stopping() {
    let dir = TestDir::new().expect("temp dir");
    let notify_path = dir.join("notify.sock");
    let mut systemd = FakeSystemd::bind(&notify_path);
    let mut app = App::start(
        "pid_app.py",
        "processes = 2",
        &[("NOTIFY_SOCKET", &notify_path)],
    );
    let before = systemd.until("READY=1", WAIT);
    assert!(!before.iter().any(|l| l == "READY=1"));
    assert_eq!(
        app.get("/").status,
        200,
        "the app answers once READY=1 came"
    );
    let env = app.get("/os-environ").text();
    assert!(!env.lines().any(|l| l == "NOTIFY_SOCKET"), "{env}");

    app.server.signal(Signal::SIGHUP).expect("SIGHUP");
    let reload = systemd.until("RELOADING=1", RELOAD_TIMEOUT);
    assert!(!reload.iter().any(|l| l == "READY=1"), "{reload:?}");
    systemd.until("READY=1", RELOAD_TIMEOUT);
    assert!(
        systemd
            .heard
            .iter()
            .any(|l| l.starts_with("MONOTONIC_USEC=")),
        "{:?}",
        systemd.heard
    );
    app.wait(|a| a.state == "running" && a.generation == 2);

    app.server.signal(Signal::SIGTERM).expect("SIGTERM");
    systemd.until("STOPPING=1", WAIT);
    let status = app.server.wait_exit(WAIT).expect("the master exits");
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        systemd.heard.iter().filter(|l| *l == "READY=1").count(),
        2,
        "{:?}",
        systemd.heard
    );
}
