//! The app's log: lines on stderr, which the master, the zygote and every
//! worker share.
//!
//! Each line goes out in one `write(2)`: stderr is unbuffered, so
//! `writeln!` would issue a write per formatted piece, and lines from
//! different processes would interleave mid-line. A line that cannot be
//! written (the terminal went away, a full disk) is dropped: `eprintln!`
//! would panic, and a panicking zygote or master takes every worker down.
//! With `log-date` each line starts with the date (`set_date`).

/// `eprintln!` that writes the whole line at once and never panics.
macro_rules! log_line {
    ($($arg:tt)*) => {{
        $crate::log::write_line(::std::format_args!($($arg)*))
    }};
}

pub(crate) use log_line;

/// `log-date`'s strftime format, once set (`set_date`).
static DATE: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();

/// `ctime(3)`'s date as a strftime format (the C locale's `%a`, `%b`).
const CTIME: &str = "%a %b %e %H:%M:%S %Y";

/// `log-date`: every later line starts with the date and ` - ` (uWSGI's
/// `uwsgi_log`); `None` = the `ctime` date. The request log's lines are not
/// prefixed (uWSGI writes them apart). Set once per process.
pub(crate) fn set_date(format: Option<&str>) {
    if let Ok(format) = std::ffi::CString::new(format.unwrap_or(CTIME)) {
        let _ = DATE.set(format);
    }
}

/// Formats `args` plus a newline and writes it in one call.
pub(crate) fn write_line(args: std::fmt::Arguments<'_>) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let mut line = String::with_capacity(128);
    if let Some(format) = DATE.get() {
        push_strftime(&mut line, format, now_secs());
        line.push_str(" - ");
    }
    let _ = line.write_fmt(args);
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Seconds since the epoch, now.
fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Appends `strftime(format)` of the local time `secs` through uWSGI's
/// 64-byte buffer: a longer date is empty, as there. Allocates nothing.
pub(crate) fn push_strftime(out: &mut String, format: &std::ffi::CStr, secs: i64) {
    // time_t is 64 bits on every target uwsgid builds for.
    let t: libc::time_t = secs;
    // SAFETY: localtime_r writes only into `tm`, which we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm).is_null() } {
        return;
    }
    let mut buf = [0u8; 64];
    // SAFETY: the buffer and its length match; `format` is NUL-terminated
    // and `tm` is initialised.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), format.as_ptr(), &tm) };
    if let Some(bytes) = buf.get(..n) {
        out.push_str(&String::from_utf8_lossy(bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_format_matches_ctime() {
        let mut ours = String::new();
        let secs = 1_796_252_392;
        push_strftime(
            &mut ours,
            &std::ffi::CString::new(CTIME).unwrap_or_default(),
            secs,
        );
        let t = libc::time_t::try_from(secs).unwrap_or(0);
        let mut buf = [0 as libc::c_char; 32];
        // SAFETY: ctime_r needs 26 bytes; the buffer has 32.
        let p = unsafe { libc::ctime_r(&t, buf.as_mut_ptr()) };
        assert!(!p.is_null());
        // SAFETY: ctime_r wrote a NUL-terminated string.
        let theirs = unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy();
        assert_eq!(ours, theirs.trim_end());
    }

    #[test]
    fn strftime_keeps_uwsgis_64_bytes() {
        let mut long = String::new();
        push_strftime(&mut long, c"%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y", 0);
        assert_eq!(long, "");
    }
}
