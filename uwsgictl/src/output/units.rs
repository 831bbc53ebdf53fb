//! Human units for tables: sizes as `ls -h` prints them (`5.2M`, `310M`)
//! and durations as `3h12m`. Zero means "not known" or "none" in the status
//! fields these format, so it prints as `-`.

const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];

/// Bytes in binary units: one decimal below 10 (`5.2M`), none above
/// (`21M`); `-` for 0.
pub fn size(bytes: u64) -> String {
    if bytes == 0 {
        return "-".into();
    }
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    // 9.96 would print as "10.0" with one decimal: switch before that.
    if value < 9.95 {
        format!("{value:.1}{}", UNITS[unit])
    } else {
        format!("{value:.0}{}", UNITS[unit])
    }
}

/// Whole seconds as the two largest units: `45s`, `12m34s`, `3h12m`,
/// `2d4h`.
pub fn duration(secs: u64) -> String {
    let (days, hours) = (secs / 86_400, secs / 3_600 % 24);
    let (minutes, seconds) = (secs / 60 % 60, secs % 60);
    if days > 0 {
        format!("{days}d{hours}h")
    } else if hours > 0 {
        format!("{hours}h{minutes}m")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// A request's running time: `-` when none, `350ms`, `12.3s`, then as
/// [`duration`].
pub fn millis(ms: u64) -> String {
    match ms {
        0 => "-".into(),
        1..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => duration(ms / 1000),
    }
}

/// A number that 0 means "none" for (a pid, a generation): `-` then.
pub fn or_dash(n: impl Into<u64>) -> String {
    match n.into() {
        0 => "-".into(),
        n => n.to_string(),
    }
}

/// A string that may be empty: `-` then.
pub fn text_or_dash(s: &str) -> String {
    if s.is_empty() { "-".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(0), "-");
        assert_eq!(size(512), "512B");
        assert_eq!(size(1024), "1.0K");
        assert_eq!(size(5_452_595), "5.2M");
        assert_eq!(size(21 * 1024 * 1024 + 300_000), "21M");
        assert_eq!(size(310 * 1024 * 1024), "310M");
        assert_eq!(size(10_433_331), "9.9M");
        assert_eq!(size(10_480_000), "10M");
        assert_eq!(size(3 * 1024 * 1024 * 1024 / 2), "1.5G");
        assert_eq!(size(u64::MAX), "16384P");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(754), "12m34s");
        assert_eq!(duration(3 * 3600 + 12 * 60 + 59), "3h12m");
        assert_eq!(duration(2 * 86_400 + 4 * 3600 + 5), "2d4h");
    }

    #[test]
    fn request_times() {
        assert_eq!(millis(0), "-");
        assert_eq!(millis(350), "350ms");
        assert_eq!(millis(12_345), "12.3s");
        assert_eq!(millis(61_000), "1m1s");
    }

    #[test]
    fn dashes_for_nothing() {
        assert_eq!(or_dash(0u32), "-");
        assert_eq!(or_dash(4242u32), "4242");
        assert_eq!(text_or_dash(""), "-");
        assert_eq!(text_or_dash("harakiri"), "harakiri");
    }
}
