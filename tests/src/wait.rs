//! Polling with a deadline: the only way the tests wait for anything.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::process::Server;

/// How often conditions are polled.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Calls `cond` until it returns `Some`, at most `timeout`; the error names
/// `what` was awaited.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut cond: impl FnMut() -> Option<T>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = cond() {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Waits until the server's log contains `pattern`; fails early (with the
/// log) if the server exits first.
pub fn wait_for_log(server: &mut Server, pattern: &str, timeout: Duration) -> Result<()> {
    let what = format!("{pattern:?} in the log {}", server.log_path().display());
    let found = wait_until(&what, timeout, || {
        if server.log().contains(pattern) {
            return Some(Ok(()));
        }
        server.ensure_running().err().map(Err)
    });
    match found {
        Ok(result) => result,
        Err(err) => bail!("{err}; log:\n{}", server.log()),
    }
}

/// Waits until an HTTP request to `127.0.0.1:port` gets a response (any
/// status), i.e. a worker is accepting; fails early (with the log) if the
/// server exits first.
pub fn wait_http_ready(server: &mut Server, port: u16, timeout: Duration) -> Result<()> {
    let what = format!("an HTTP answer on 127.0.0.1:{port}");
    let ready = wait_until(&what, timeout, || {
        if let Err(err) = server.ensure_running() {
            return Some(Err(err));
        }
        http_answers(port).then_some(Ok(()))
    });
    match ready {
        Ok(result) => result,
        Err(err) => bail!("{err}; log:\n{}", server.log()),
    }
}

/// One `GET /` that must start an HTTP response within a second.
fn http_answers(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .is_err()
        || stream.write_all(request).is_err()
    {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}
