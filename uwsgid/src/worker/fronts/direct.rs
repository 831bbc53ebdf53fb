//! A uwsgi-protocol response the Python thread writes to the socket itself,
//! for a request that came whole with no body (what nginx sends): the
//! request then costs one hop between threads instead of two, and the
//! runtime thread is not woken for the response. Writes are non-blocking;
//! a peer slow to read is waited for without the GIL, within
//! `socket-timeout`. A static file never goes this way: the idle thread
//! that read the request hands the connection to the runtime, which sends
//! the file (`static_files::spawn_uwsgi`), so no body holds the thread.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use pyo3::Python;
use tokio::sync::mpsc;

use super::event::{Event, event_bytes};
use crate::worker::runtime::listener::Stream;

/// The response side of one directly answered connection.
pub struct Direct {
    /// Closed (dropped) once the response is over.
    stream: Option<Stream>,
    protocol: String,
    timeout: Duration,
    /// Held until the response is over, so a graceful stop waits for it.
    _alive: mpsc::Sender<()>,
}

impl Direct {
    pub fn new(
        stream: Stream,
        protocol: String,
        timeout: Duration,
        alive: mpsc::Sender<()>,
    ) -> Direct {
        Direct {
            stream: Some(stream),
            protocol,
            timeout,
            _alive: alive,
        }
    }

    /// Writes one event; false once the peer is gone. The connection is
    /// closed after the last event (or an abort).
    pub fn send(&mut self, py: Python<'_>, event: Event) -> bool {
        let Some(stream) = self.stream.as_ref() else {
            return false;
        };
        let (data, last) = match event_bytes(&self.protocol, event) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                self.stream = None;
                return true;
            }
            Err(_) => {
                self.stream = None;
                return false;
            }
        };
        let written = write_all(py, stream, &data, self.timeout);
        if let Err(err) = &written {
            crate::worker::logging::write_errors::report("uwsgi response write error", err);
        }
        if last || written.is_err() {
            self.stream = None;
        }
        written.is_ok()
    }

    /// Closes the connection (the call is over).
    pub fn close(&mut self) {
        self.stream = None;
    }
}

fn write_all(py: Python<'_>, stream: &Stream, data: &[u8], timeout: Duration) -> io::Result<()> {
    let mut sent = 0;
    while sent < data.len() {
        match stream.write_now(&data[sent..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                py.detach(|| wait_writable(stream, timeout))?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Waits until the socket takes more data, at most `timeout`.
fn wait_writable(stream: &Stream, timeout: Duration) -> io::Result<()> {
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let mut fd = libc::pollfd {
        fd: stream.as_fd().as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, for an fd `stream` keeps open.
        match unsafe { libc::poll(&raw mut fd, 1, ms) } {
            0 => return Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out")),
            n if n > 0 => return Ok(()),
            _ => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
    }
}
