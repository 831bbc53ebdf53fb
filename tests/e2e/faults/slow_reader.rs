//! A client that asks for a large response and stops reading: the write
//! timeout (`socket-timeout`) fails its connection, which frees the worker's
//! only thread for the next client instead of holding it forever.

use std::io::Write;
use std::net::TcpStream;
use std::time::Instant;

use super::*;

#[test]
fn a_client_that_stops_reading_does_not_hold_the_worker() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_app(
        &dir,
        &[],
        &[
            "--processes",
            "1",
            "--threads",
            "1",
            "--socket-timeout",
            "2",
        ],
    );
    // 256 MiB: far more than the socket buffers of both ends hold.
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stalled
        .write_all(b"GET /big?mb=256 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("send the request");

    // The one thread is busy with the stalled response until the timeout
    // frees it; without the timeout this request would never be served.
    let started = Instant::now();
    let answered = curl(port, "/").timeout(Duration::from_secs(60)).run();
    assert!(
        answered.as_ref().is_ok_and(|r| r.status == 200),
        "{answered:?} after {:?}\n{}",
        started.elapsed(),
        server.log()
    );
    for _ in 0..10 {
        assert!(ok(port, "/", Duration::from_secs(10)), "{}", server.log());
    }
    drop(stalled);
    server.ensure_running().expect("the master keeps running");
    assert!(
        !server.log().contains("DAMN !"),
        "no worker died:\n{}",
        server.log()
    );
}
