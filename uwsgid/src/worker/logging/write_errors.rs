//! What a worker says when a client went away while its response was being
//! written (uWSGI's `ignore-write-errors` and `disable-write-exception`).
//!
//! A reset or a closed connection is never logged (it is not news); other
//! write errors (a write that timed out) are, unless `ignore-write-errors`.
//! The WSGI `write()` callable raises `OSError` on a gone client unless
//! `disable-write-exception`. Set once per process (`init_process`), read
//! by the fronts and the `write()` callable.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::log::log_line;

static QUIET: AtomicBool = AtomicBool::new(false);
static NO_EXCEPTION: AtomicBool = AtomicBool::new(false);

/// `ignore-write-errors`, `disable-write-exception`.
pub fn configure(ignore_write_errors: bool, disable_write_exception: bool) {
    QUIET.store(ignore_write_errors, Ordering::Relaxed);
    NO_EXCEPTION.store(disable_write_exception, Ordering::Relaxed);
}

/// Logs `what: err` unless it is a client that went away, or write errors
/// are ignored.
pub fn report(what: &str, err: &io::Error) {
    if QUIET.load(Ordering::Relaxed) || is_client_gone(err) {
        return;
    }
    log_line!("{what}: {err}");
}

/// Whether `write()` raises on a client that went away.
pub fn raise_on_write() -> bool {
    !NO_EXCEPTION.load(Ordering::Relaxed)
}

fn is_client_gone(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gone_client_is_not_an_error_worth_a_line() {
        assert!(is_client_gone(&io::Error::from(io::ErrorKind::BrokenPipe)));
        assert!(is_client_gone(&io::Error::from(
            io::ErrorKind::ConnectionReset
        )));
        assert!(!is_client_gone(&io::Error::from(io::ErrorKind::TimedOut)));
    }
}
