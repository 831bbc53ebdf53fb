//! The app's log: lines on stderr, which the master and every worker share.
//! A line that cannot be written (the terminal went away, a full disk) is
//! dropped: `eprintln!` would panic, and a panicking zygote or master takes
//! every worker down with it.

/// `eprintln!` that never panics.
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub(crate) use log_line;
