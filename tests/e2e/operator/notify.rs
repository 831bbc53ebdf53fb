//! The supervisor as systemd sees it: with `NOTIFY_SOCKET` set it sends
//! `READY=1` only once every app answers (one app here takes seconds to
//! import), `RELOADING=1` then `READY=1` around the reload of every app
//! on SIGHUP, `WATCHDOG=1` pings, and `STOPPING=1` on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::time::Instant;

use nix::sys::signal::Signal;

use super::*;

/// How long the slow app's import takes.
const SLOW_IMPORT: Duration = Duration::from_secs(3);

/// Reads notification datagrams until one has a line `wanted`; every
/// message read on the way is appended to `seen`.
fn wait_message(sock: &UnixDatagram, wanted: &str, seen: &mut Vec<String>) -> bool {
    let deadline = Instant::now() + APP_TIMEOUT;
    let mut buf = vec![0u8; 4096];
    while Instant::now() < deadline {
        if let Ok(n) = sock.recv(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let found = text.lines().any(|l| l == wanted);
            seen.push(text);
            if found {
                return true;
            }
        }
    }
    false
}

#[test]
fn ready_is_sent_only_once_both_apps_answer_and_stopping_on_term() {
    let dir = TestDir::new().expect("temp dir");
    let slow_source = format!(
        "import time\ntime.sleep({})\n{}",
        SLOW_IMPORT.as_secs(),
        std::fs::read_to_string(app_path("slow_app.py")).expect("slow_app.py")
    );
    let slow_file = dir.write("slow_import.py", slow_source).expect("write");
    let site1 = AppSpec::new("mysite1", 1);
    let mut site2 = AppSpec::new("mysite2", 1);
    site2.wsgi_file = slow_file;

    let notify_path = dir.join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).expect("bind the notify socket");
    notify
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    let notify_env = notify_path.display().to_string();
    let started = Instant::now();
    let mut host = Host::start_with(
        &[site1.clone(), site2.clone()],
        &[],
        &[
            ("NOTIFY_SOCKET", notify_env.as_str()),
            ("WATCHDOG_USEC", "1000000"),
        ],
        false,
    );

    let mut seen = Vec::new();
    assert!(
        wait_message(&notify, "READY=1", &mut seen),
        "no READY=1: {seen:?}\n{}",
        host.server.log()
    );
    // Both apps must answer at once, not after a wait in the backlog.
    for app in [&site1, &site2] {
        let ok = uwsgid_e2e::curl(app.port, "/")
            .timeout(Duration::from_millis(1500))
            .run()
            .is_ok_and(|r| r.status == 200);
        assert!(ok, "{} does not answer at READY=1: {seen:?}", app.name);
    }
    assert!(
        started.elapsed() >= SLOW_IMPORT,
        "READY=1 came before the slow app could have imported"
    );
    assert!(
        seen.iter()
            .any(|m| m.lines().any(|l| l.starts_with("STATUS="))),
        "STATUS= lines: {seen:?}"
    );

    assert!(
        wait_message(&notify, "WATCHDOG=1", &mut seen),
        "no WATCHDOG=1 with WatchdogSec=1: {seen:?}"
    );
    let before = host.worker_pids("mysite1");
    host.server.signal(Signal::SIGHUP).expect("SIGHUP");
    assert!(
        wait_message(&notify, "RELOADING=1", &mut seen),
        "no RELOADING=1 on SIGHUP: {seen:?}"
    );
    assert!(
        wait_message(&notify, "READY=1", &mut seen),
        "no READY=1 after the reload: {seen:?}"
    );
    let after = host.wait_running("mysite1");
    let now: BTreeSet<u32> = after.workers.iter().map(|w| w.pid).collect();
    assert!(now.is_disjoint(&before), "SIGHUP reloads every app");

    host.server.signal(Signal::SIGTERM).expect("SIGTERM");
    assert!(
        wait_message(&notify, "STOPPING=1", &mut seen),
        "no STOPPING=1: {seen:?}"
    );
    let status = host
        .server
        .wait_exit(APP_TIMEOUT)
        .expect("the supervisor exits");
    assert_eq!(status.code(), Some(0), "{}", host.server.log());
    assert!(
        !answers(site1.port) && !answers(site2.port),
        "every app stopped"
    );
}
