//! HTTP dates (`Last-Modified`, `Expires`, `If-Modified-Since`) and the
//! `static-expires*` rules, as uWSGI's `core/static.c` has them: each kind
//! of rule (file name, PATH_INFO, REQUEST_URI, content type) adds one
//! `Expires` header for its first matching rule, from now or from the
//! file's mtime.

use regex::bytes::Regex;

use crate::config::{ExpiresOn, Expiry};

/// One compiled rule.
struct Rule {
    on: ExpiresOn,
    /// `None` for [`ExpiresOn::Type`] (compared whole).
    regex: Option<Regex>,
    mime: String,
    seconds: i64,
    from_mtime: bool,
}

/// What a request and its file are matched on.
pub struct Subject<'a> {
    pub file: &'a [u8],
    pub path_info: &'a [u8],
    pub uri: &'a [u8],
    pub mime: Option<&'a str>,
    pub mtime: i64,
    pub now: i64,
}

/// The `static-expires*` rules of the configuration.
#[derive(Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    /// Compiles the rules (checked when the configuration was read; one
    /// that does not compile here is left out).
    pub fn new(config: &[Expiry]) -> Rules {
        let rules = config
            .iter()
            .filter_map(|e| {
                let regex = match e.on {
                    ExpiresOn::Type => None,
                    _ => Some(Regex::new(&e.pattern).ok()?),
                };
                Some(Rule {
                    on: e.on,
                    regex,
                    mime: e.pattern.clone(),
                    seconds: i64::try_from(e.seconds).unwrap_or(i64::MAX / 4),
                    from_mtime: e.from_mtime,
                })
            })
            .collect();
        Rules { rules }
    }

    /// The `Expires` dates for `on` (at most one), uWSGI's rule order:
    /// the from-now rules of that kind first, then its from-mtime ones.
    pub fn expires(&self, on: ExpiresOn, s: &Subject<'_>) -> Option<String> {
        let text = match on {
            ExpiresOn::File => s.file,
            ExpiresOn::PathInfo => s.path_info,
            ExpiresOn::Uri => s.uri,
            ExpiresOn::Type => s.mime?.as_bytes(),
        };
        let matches = |r: &&Rule| {
            r.on == on
                && match &r.regex {
                    Some(re) => re.is_match(text),
                    None => r.mime.as_bytes() == text,
                }
        };
        let mut kind = self.rules.iter().filter(|r| r.on == on);
        let rule = kind
            .clone()
            .filter(|r| !r.from_mtime)
            .find(matches)
            .or_else(|| kind.by_ref().filter(|r| r.from_mtime).find(matches))?;
        let base = if rule.from_mtime { s.mtime } else { s.now };
        Some(http_date(base.saturating_add(rule.seconds)))
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Unix seconds as an RFC 1123 date (`Wed, 02 Dec 2026 23:00:01 GMT`).
pub fn http_date(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let weekday = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(m - 1).unwrap_or(0)];
    format!(
        "{weekday}, {d:02} {month} {y:04} {:02}:{:02}:{:02} GMT",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// An RFC 1123 date as unix seconds; `None` for anything else (uWSGI
/// parses only this form, as `parse_http_date`).
pub fn parse_http_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 29 || b[3] != b',' || !s.ends_with(" GMT") {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| s.get(8..11) == Some(*m))?;
    let year = num(12..16)?;
    let (h, mi, sec) = (num(17..19)?, num(20..22)?, num(23..25)?);
    let month = i64::try_from(month).ok()? + 1;
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + sec)
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_796_252_401), "Wed, 02 Dec 2026 23:00:01 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        for t in [0, 951_782_400, 1_796_252_401, 4_102_444_799] {
            assert_eq!(parse_http_date(&http_date(t)), Some(t));
        }
        assert_eq!(parse_http_date("Wednesday, 02-Dec-26 23:00:01 GMT"), None);
        assert_eq!(parse_http_date("Wed, 02 Dex 2026 23:00:01 GMT"), None);
        assert_eq!(parse_http_date(""), None);
    }

    fn rule(on: ExpiresOn, pattern: &str, seconds: u64, from_mtime: bool) -> Expiry {
        Expiry {
            on,
            pattern: pattern.to_owned(),
            seconds,
            from_mtime,
        }
    }

    #[test]
    fn first_matching_rule_of_each_kind() {
        let rules = Rules::new(&[
            rule(ExpiresOn::Uri, r"\.css$", 100, false),
            rule(ExpiresOn::Uri, r"\.css", 999, false),
            rule(ExpiresOn::File, r"\.png$", 50, true),
            rule(ExpiresOn::File, r"^/srv/", 7, false),
            rule(ExpiresOn::Type, "text/css", 300, false),
        ]);
        let s = Subject {
            file: b"/srv/a.png",
            path_info: b"/s/a.png",
            uri: b"/s/a.css",
            mime: Some("text/css"),
            mtime: 1000,
            now: 2000,
        };
        assert_eq!(rules.expires(ExpiresOn::Uri, &s), Some(http_date(2100)));
        // From-now rules are tried before from-mtime ones, as in uWSGI.
        assert_eq!(rules.expires(ExpiresOn::File, &s), Some(http_date(2007)));
        assert_eq!(rules.expires(ExpiresOn::Type, &s), Some(http_date(2300)));
        assert_eq!(rules.expires(ExpiresOn::PathInfo, &s), None);
        let s = Subject {
            file: b"/other/a.png",
            mime: Some("text/plain"),
            ..s
        };
        assert_eq!(rules.expires(ExpiresOn::File, &s), Some(http_date(1050)));
        assert_eq!(rules.expires(ExpiresOn::Type, &s), None);
    }
}
