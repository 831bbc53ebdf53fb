//! Wall-clock dates for log lines, written straight into the line: the
//! `ctime(3)` date of uWSGI's default line and `strftime(3)` formats
//! (`%(ltime)`, through `crate::log`'s stack buffer), so no date allocates.

use std::ffi::CStr;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// `%(ltime)`: Apache's common log format date.
pub const LTIME: &CStr = c"%d/%b/%Y:%H:%M:%S %z";

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Microseconds since the epoch, now.
pub fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// The local broken-down time of `secs` since the epoch.
fn local(secs: i64) -> Option<libc::tm> {
    let t: libc::time_t = secs;
    // SAFETY: localtime_r writes only into `tm`, which we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    ok.then_some(tm)
}

/// Appends the local time as `ctime(3)` prints it, without the newline
/// (`Wed Nov 25 10:40:00 2026`).
pub fn push_ctime(out: &mut String, secs: i64) {
    let Some(tm) = local(secs) else {
        return;
    };
    let day = DAYS
        .get(usize::try_from(tm.tm_wday).unwrap_or(0))
        .unwrap_or(&"Sun");
    let month = MONTHS
        .get(usize::try_from(tm.tm_mon).unwrap_or(0))
        .unwrap_or(&"Jan");
    let _ = write!(
        out,
        "{day} {month} {:>2} {:02}:{:02}:{:02} {}",
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tm.tm_year + 1900
    );
}

/// Appends `strftime(format)` of the local time `secs` (nothing when it
/// does not fit uWSGI's 64 bytes).
pub fn push_strftime(out: &mut String, format: &CStr, secs: i64) {
    crate::log::push_strftime(out, format, secs);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_has_the_right_shape() {
        let mut s = String::new();
        push_ctime(&mut s, now_micros() / 1_000_000);
        assert_eq!(s.len(), 24, "{s:?}");
    }

    #[test]
    fn strftime_formats() {
        let mut s = String::new();
        push_strftime(&mut s, c"%Y", 0);
        assert!(s == "1970" || s == "1969", "{s:?}");
    }
}
