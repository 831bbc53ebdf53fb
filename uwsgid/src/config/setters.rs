//! uWSGI's value setters (`core/uwsgi.c` `uwsgi_opt_*`), reproduced exactly:
//! how `"True"`, `"2 # workers"`, `"-1"` or a bare `--flag` become values.
//! Errors are the reason only; the caller adds file, line and option.

/// `uwsgi_opt_true`: true unless the value is `false`, `off`, `no`
/// (case-insensitive) or `0`; the empty string and a bare flag are true.
pub fn parse_bool(value: &str, flag: bool) -> bool {
    if flag {
        return true;
    }
    !(value.eq_ignore_ascii_case("false")
        || value.eq_ignore_ascii_case("off")
        || value.eq_ignore_ascii_case("no")
        || value == "0")
}

/// The leading decimal number of `value`, as C's `strtol` reads it: leading
/// whitespace, an optional sign, digits; `None` if no digit follows.
/// Saturates instead of overflowing.
fn leading_number(value: &str) -> (Option<i128>, bool) {
    let s = value.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = digits.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return (None, false);
    }
    let n = digits[..end].bytes().fold(0i128, |acc, d| {
        (acc * 10 + i128::from(d - b'0')).min(i128::from(u64::MAX) + 1)
    });
    let whole = end == digits.len() && s.len() == value.len();
    (Some(if neg { -n } else { n }), whole)
}

/// A number parsed from a value that was not entirely numeric.
#[derive(Debug, PartialEq, Eq)]
pub struct Lenient<T> {
    pub value: T,
    /// The value had text besides the number (uWSGI 2.1 warns
    /// `non-numeric value "…" for option "…" - using N !`).
    pub non_numeric: bool,
}

/// `uwsgi_opt_set_int` (2.0, `atoi`): the leading number, 0 when there is
/// none (`"true"` → 0), 1 for a bare flag; negative numbers are refused.
pub fn parse_int(value: &str, flag: bool) -> Result<Lenient<u32>, String> {
    // atoi's int: anything larger is clamped to INT_MAX.
    leading_count(value, flag, "must be > 0", |n| {
        u32::try_from(n.min(i128::from(i32::MAX))).unwrap_or(u32::MAX)
    })
}

/// `uwsgi_opt_set_64bit` (`strtoul`): the leading number, 0 when there is
/// none, 1 for a bare flag. A negative number is refused (strtoul would wrap
/// it to a huge value, which is never what was meant).
pub fn parse_u64(value: &str, flag: bool) -> Result<Lenient<u64>, String> {
    leading_count(value, flag, "must not be negative", |n| {
        u64::try_from(n).unwrap_or(u64::MAX)
    })
}

/// What the integer setters share: 1 for a bare flag, else the leading
/// number (0 when there is none), refused with `negative` when below 0,
/// then narrowed by `fit`.
fn leading_count<T>(
    value: &str,
    flag: bool,
    negative: &str,
    fit: impl FnOnce(i128) -> T,
) -> Result<Lenient<T>, String> {
    if flag {
        return Ok(Lenient {
            value: fit(1),
            non_numeric: false,
        });
    }
    let (n, whole) = leading_number(value);
    let n = n.unwrap_or(0);
    if n < 0 {
        return Err(negative.to_string());
    }
    Ok(Lenient {
        value: fit(n),
        non_numeric: !whole,
    })
}

/// `uwsgi_opt_set_megabytes`: MiB, returned as (MiB, bytes).
pub fn parse_mib(value: &str, flag: bool) -> Result<Lenient<(u64, u64)>, String> {
    if flag {
        return Err("expected a size in megabytes".to_string());
    }
    let n = parse_u64(value, false)?;
    Ok(Lenient {
        value: (n.value, n.value.saturating_mul(1024 * 1024)),
        non_numeric: n.non_numeric,
    })
}

/// `chmod-socket`: exactly three octal digits (`664`), or `1` or no value on
/// the command line for 666. `0660` and an empty ini value are refused, as
/// uWSGI refuses them (`invalid chmod value`).
pub fn parse_chmod(value: &str, flag: bool) -> Result<u32, String> {
    if flag || value == "1" {
        return Ok(0o666);
    }
    let b = value.as_bytes();
    if b.len() != 3 || !b.iter().all(|d| (b'0'..=b'7').contains(d)) {
        return Err("expected three octal digits such as 664".to_string());
    }
    Ok(b.iter().fold(0, |acc, d| (acc << 3) + u32::from(d - b'0')))
}

/// `mount = MOUNTPOINT=APP`: split at the first `=`; uWSGI refuses a value
/// without one ("invalid mountpoint").
pub fn parse_mount(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((mountpoint, app)) if !app.is_empty() => Ok((mountpoint.to_string(), app.to_string())),
        _ => Err(
            "expected MOUNTPOINT=APP, e.g. /blog=blog/wsgi.py (uWSGI: invalid mountpoint)"
                .to_string(),
        ),
    }
}

/// `env = KEY=VALUE`.
pub fn parse_env(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err("expected KEY=VALUE".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_true_unless_false_off_no_zero() {
        for v in ["", "true", "True", "yes", "1", "nope", "on", "false # x"] {
            assert!(parse_bool(v, false), "{v:?}");
        }
        for v in ["false", "FALSE", "off", "Off", "no", "NO", "0"] {
            assert!(!parse_bool(v, false), "{v:?}");
        }
        assert!(parse_bool("", true));
    }

    #[test]
    fn ints_follow_atoi() {
        assert_eq!(
            parse_int("2", false),
            Ok(Lenient {
                value: 2,
                non_numeric: false
            })
        );
        assert_eq!(
            parse_int("2 # workers", false),
            Ok(Lenient {
                value: 2,
                non_numeric: true
            })
        );
        assert_eq!(
            parse_int("true", false),
            Ok(Lenient {
                value: 0,
                non_numeric: true
            })
        );
        assert_eq!(parse_int("  7", false).map(|l| l.value), Ok(7));
        assert_eq!(parse_int("", true).map(|l| l.value), Ok(1));
        assert_eq!(
            parse_int("99999999999", false).map(|l| l.value),
            Ok(i32::MAX as u32)
        );
        assert_eq!(parse_int("-1", false), Err("must be > 0".to_string()));
    }

    #[test]
    fn u64_and_megabytes() {
        assert_eq!(parse_u64("65536", false).map(|l| l.value), Ok(65536));
        assert_eq!(parse_u64("5000x", false).map(|l| l.value), Ok(5000));
        assert!(parse_u64("-5", false).is_err());
        assert_eq!(
            parse_mib("1024", false).map(|l| l.value),
            Ok((1024, 1024 * 1024 * 1024))
        );
        assert!(parse_mib("", true).is_err());
    }

    #[test]
    fn chmod_is_three_octal_digits() {
        assert_eq!(parse_chmod("664", false), Ok(0o664));
        assert_eq!(parse_chmod("1", false), Ok(0o666));
        assert_eq!(parse_chmod("", true), Ok(0o666));
        for bad in ["0660", "", "66", "888", "abc", "6644"] {
            assert!(parse_chmod(bad, false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn env_needs_key_equals_value() {
        assert_eq!(parse_env("A=b=c"), Ok(("A".into(), "b=c".into())));
        assert_eq!(
            parse_env("http_proxy="),
            Ok(("http_proxy".into(), String::new()))
        );
        assert!(parse_env("NOEQ").is_err());
        assert!(parse_env("=x").is_err());
    }
}
