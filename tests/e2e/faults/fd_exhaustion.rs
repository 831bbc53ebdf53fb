//! The fd limit reached: uwsgid under `ulimit -n 256` (prlimit) gets 300
//! concurrent connections. Accepting fails with EMFILE for a while; the
//! workers must not spin on it nor die, and serve again once the
//! connections close.

use std::io::Write;
use std::net::TcpStream;

use uwsgid_e2e::wait_until;

use super::*;

const CONNECTIONS: usize = 300;

#[test]
fn three_hundred_connections_under_ulimit_256_neither_spin_nor_crash() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_app(
        &dir,
        &["prlimit", "--nofile=256:256", "--"],
        &["--processes", "2", "--threads", "2"],
    );
    let processes: Vec<i32> = std::iter::once(server.pid())
        .chain(server.descendants().iter().map(|p| p.pid))
        .collect();

    let mut held = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        // The kernel completes the handshake from the listen backlog even
        // when no worker can accept; a refused connect is fine too.
        if let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = conn.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
            held.push(conn);
        }
    }
    assert!(held.len() > 256, "only {} connections opened", held.len());
    let before: f64 = processes.iter().map(|&p| cpu_seconds(p)).sum();
    let window = Duration::from_secs(4);
    std::thread::sleep(window); // a measuring window, not a wait for readiness
    let used: f64 = processes.iter().map(|&p| cpu_seconds(p)).sum::<f64>() - before;
    assert!(
        used < 0.5 * window.as_secs_f64(),
        "{used:.2} CPU seconds in {window:?} while the fds were exhausted: spinning\n{}",
        server.log()
    );

    drop(held);
    wait_until(
        "an answer once the connections closed",
        DEFAULT_TIMEOUT,
        || ok(port, "/", Duration::from_secs(5)).then_some(()),
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    for _ in 0..20 {
        assert!(ok(port, "/", Duration::from_secs(10)), "{}", server.log());
    }
    server.ensure_running().expect("the master keeps running");
    assert!(
        !server.log().contains("DAMN !"),
        "no worker died:\n{}",
        server.log()
    );
}
