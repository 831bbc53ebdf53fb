//! The request-logging options (`log-format`, `log-date`, the conditions
//! `log-4xx` … `log-ioerror`, `log-x-forwarded-for`, `log-micros`), as
//! uWSGI 2.0.31 reads them. The worker compiles them once at start-up
//! (`worker/logging/`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How requests are logged, beyond `disable-logging` and `memory-report`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestLogging {
    /// `log-format` / `logformat`: uWSGI's `%(var)` format of the request
    /// line; `None` = uWSGI's default line.
    pub format: Option<String>,
    /// `log-format-strftime`: `%(ftime)` uses the `log-date` format.
    pub format_strftime: bool,
    /// `log-date` / `logdate` / `log-prefix`: uwsgid's own lines (not the
    /// request lines) start with the date and ` - `. `Some(None)` = the
    /// `ctime` date, `Some(Some(f))` = `strftime(f)`.
    pub date: Option<Option<String>>,
    /// `log-micros`: the default line gives the time in microseconds.
    pub micros: bool,
    /// `log-x-forwarded-for`: the logged address is the request's
    /// `X-Forwarded-For` header (as sent) when it has one.
    pub x_forwarded_for: bool,
    /// Requests logged even with `disable-logging`.
    pub conditions: Conditions,
    /// Who writes the log file, and its rotation.
    pub file: LogFile,
    /// What a client that went away is worth.
    pub write_errors: WriteErrors,
    /// `logger`, `req-logger`, `log-route`, `log-encoder` and their kin.
    pub loggers: Loggers,
}

/// uWSGI's logger options, as written; the master parses them at startup
/// (`master/log_master/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Loggers {
    /// `logger = [ID ]PLUGIN[:ARGS]`: every line (a named one: only
    /// through `log-route`).
    pub logger: Vec<String>,
    /// `req-logger` / `logger-req`: the request lines.
    pub req_logger: Vec<String>,
    /// `log-route = ID REGEX`.
    pub route: Vec<String>,
    /// `log-req-route = ID REGEX`.
    pub req_route: Vec<String>,
    /// `log-encoder = NAME[:ID] ARGS`.
    pub encoder: Vec<String>,
    /// `log-req-encoder = NAME[:ID] ARGS`.
    pub req_encoder: Vec<String>,
}

impl Loggers {
    /// Whether any of them is set (each implies `log-master`, as in uWSGI).
    pub fn any(&self) -> bool {
        *self != Loggers::default()
    }
}

/// The first byte of a request line a worker sends to the master when
/// `req-logger` is set, so the master can tell it from the other output
/// (uWSGI uses a second socket pair). The master removes it.
pub const REQUEST_LINE_MARK: char = '\u{1e}';

/// uWSGI's options against the noise of clients that go away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WriteErrors {
    /// `ignore-write-errors`: no line for a failed response write.
    pub ignore_write_errors: bool,
    /// `disable-write-exception`: the WSGI `write()` callable does not
    /// raise when the client is gone.
    pub disable_write_exception: bool,
}

/// The log file's options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogFile {
    /// `log-master`: the children's output goes through a socket to the
    /// master, which writes it. Implied by `log-maxsize`, as in uWSGI.
    pub master: bool,
    /// `log-maxsize`: bytes after which the `logto`/`daemonize` file is
    /// rotated; 0 = never.
    pub maxsize: u64,
    /// `log-backupname`: the rotated file's name; default
    /// `<logto>.<epoch>`.
    pub backupname: Option<PathBuf>,
    /// `log-reopen`: the log file is opened again on reload.
    pub reopen: bool,
    /// `logto2`: the log file, opened after privileges are dropped.
    pub logto2: Option<PathBuf>,
}

impl LogFile {
    /// Whether the master writes the log (`log-master`, or implied by
    /// `log-maxsize`; loggers imply it too, see `RequestLogging`).
    pub fn master_writes(&self) -> bool {
        self.master || self.maxsize > 0
    }
}

impl RequestLogging {
    /// Whether the master writes the log: `log-master`, `log-maxsize`, or
    /// any logger option.
    pub fn master_writes(&self) -> bool {
        self.file.master_writes() || self.loggers.any()
    }

    /// Whether request lines go to `req-logger`s (marked for the master).
    pub fn marks_request_lines(&self) -> bool {
        !self.loggers.req_logger.is_empty()
    }
}

/// uWSGI's conditional logging: a request that matches one of these is
/// logged even when `disable-logging` is set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conditions {
    /// `log-zero`: no body bytes.
    pub zero: bool,
    /// `log-slow`: at least this many milliseconds; 0 = off.
    pub slow_ms: u32,
    /// `log-4xx`.
    pub status_4xx: bool,
    /// `log-5xx`.
    pub status_5xx: bool,
    /// `log-big`: at least this many body bytes; 0 = off.
    pub big: u64,
    /// `log-sendfile`: the body went out through `wsgi.file_wrapper`'s
    /// sendfile path.
    pub sendfile: bool,
    /// `log-ioerror`: a read error *and* a write error (uWSGI tests both).
    pub ioerror: bool,
}

impl Conditions {
    /// Whether any condition is set.
    pub fn any(&self) -> bool {
        *self != Conditions::default()
    }
}

/// The value of `log-date`: uWSGI takes `true`, `1`, `on`, `yes` (and no
/// value) as "the ctime date"; anything else, even `false`, is a strftime
/// format (`uwsgi_opt_log_date`).
pub fn date_format(value: &str) -> Option<String> {
    let plain = value.is_empty()
        || ["true", "1", "on", "yes"]
            .iter()
            .any(|w| w.eq_ignore_ascii_case(value));
    (!plain).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_date_values_as_uwsgi_reads_them() {
        assert_eq!(date_format(""), None);
        assert_eq!(date_format("true"), None);
        assert_eq!(date_format("YES"), None);
        assert_eq!(date_format("1"), None);
        assert_eq!(date_format("%Y-%m-%d"), Some("%Y-%m-%d".into()));
        // uWSGI compares with true/1/on/yes only: `false` is a format.
        assert_eq!(date_format("false"), Some("false".into()));
    }

    #[test]
    fn conditions_any() {
        assert!(!Conditions::default().any());
        let c = Conditions {
            slow_ms: 5,
            ..Conditions::default()
        };
        assert!(c.any());
    }
}
