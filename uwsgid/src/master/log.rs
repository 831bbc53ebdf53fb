//! The master's log: lines on stderr, the app's log that workers share.
//! A line that cannot be written (the terminal went away, a full disk) is
//! dropped: `eprintln!` would panic and take the master, and with it every
//! worker, down.

/// `eprintln!` that never panics.
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub(crate) use log_line;
