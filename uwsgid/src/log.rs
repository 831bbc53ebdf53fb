//! The app's log: lines on stderr, which the master, the zygote and every
//! worker share.
//!
//! Each line goes out in one `write(2)`: stderr is unbuffered, so
//! `writeln!` would issue a write per formatted piece, and lines from
//! different processes would interleave mid-line. A line that cannot be
//! written (the terminal went away, a full disk) is dropped: `eprintln!`
//! would panic, and a panicking zygote or master takes every worker down.

/// `eprintln!` that writes the whole line at once and never panics.
macro_rules! log_line {
    ($($arg:tt)*) => {{
        $crate::log::write_line(::std::format_args!($($arg)*))
    }};
}

pub(crate) use log_line;

/// Formats `args` plus a newline and writes it in one call.
pub(crate) fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut line = args.to_string();
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
