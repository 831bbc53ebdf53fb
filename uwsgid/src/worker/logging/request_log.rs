//! The per-request log line, in uWSGI's format with the worker id added:
//!
//! ```text
//! [pid: 4242|worker: 2|app: 0|req: 5/5] 127.0.0.1 () {34 vars in 456 bytes} [Wed Nov 25 10:40:00 2026] GET /path => generated 12 bytes in 3 msecs (HTTP/1.1 200) 2 headers in 79 bytes (1 switches on core 0)
//! ```
//!
//! `req: N/M` is uWSGI's request number of the worker / of the app; a
//! worker has no app-wide counter, so both are the worker's count. `core`
//! is the Python thread. With `memory-report` the line starts with uWSGI's
//! `{address space usage: …} {rss usage: …} `. With `log-format` the line
//! is the compiled format instead (`format.rs`); `filters.rs` decides
//! which requests get a line. Each line is one `write(2)`.

use std::ffi::CString;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use super::clock;
use super::filters::Filters;
use super::format::LogFormat;
use super::variables::Facts;
use crate::config::{AppConfig, REQUEST_LINE_MARK};
use crate::protocol::request::RequestHead;
use crate::protocol::response::ResponseHead;

/// What one request log line says.
pub struct Entry<'a> {
    pub head: &'a RequestHead,
    pub response: Option<&'a ResponseHead>,
    pub body_bytes: u64,
    pub elapsed: Duration,
    pub request_number: u64,
    /// The app that served it (`None`: no app, a static file: uWSGI's
    /// `app: -1|req: -1/N`).
    pub app: Option<crate::worker::wsgi::app::AppServed>,
    pub core: usize,
    /// The body went out through `wsgi.file_wrapper`'s sendfile path.
    pub via_sendfile: bool,
    /// Reading the request body failed (the client's fault).
    pub read_error: bool,
    /// Writing the response failed (the client went away).
    pub write_error: bool,
}

/// Writes request log lines for one worker.
pub struct RequestLog {
    pid: u32,
    worker_id: u32,
    /// `/proc/self/statm`, kept open for `memory-report`.
    statm: Option<File>,
    page_size: u64,
    /// Prefix each line with the memory figures (default line only, as in
    /// uWSGI).
    memory_report: bool,
    /// Which requests get a line (`disable-logging` and the conditions).
    filters: Filters,
    /// `log-format`, compiled; `None` = uWSGI's default line.
    format: Option<LogFormat>,
    /// `log-x-forwarded-for`.
    x_forwarded_for: bool,
    /// `log-micros`: the default line's time in microseconds.
    micros: bool,
    /// `%(ftime)`'s format.
    ftime: Option<CString>,
    /// Lines start with `REQUEST_LINE_MARK` (`req-logger`: the master
    /// sorts them out).
    mark: bool,
    /// `vhost`: the default line starts with the host.
    vhost: bool,
}

impl RequestLog {
    /// The request log `cfg` asks for; keeps `/proc/self/statm` open when
    /// a line or `reload-on-rss`/`reload-on-as` needs the memory figures.
    pub fn new(worker_id: u32, cfg: &AppConfig) -> RequestLog {
        let logging = &cfg.request_logging;
        let format = logging.format.as_deref().map(LogFormat::compile);
        let read_memory = cfg.memory_report
            || cfg.reload_on_rss.is_some()
            || cfg.reload_on_as.is_some()
            || format.as_ref().is_some_and(LogFormat::needs_memory);
        let ftime = match &logging.date {
            Some(Some(f)) if logging.format_strftime => CString::new(f.as_str()).ok(),
            _ => None,
        };
        // SAFETY: sysconf has no preconditions.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        RequestLog {
            pid: std::process::id(),
            worker_id,
            statm: read_memory
                .then(|| File::open("/proc/self/statm").ok())
                .flatten(),
            memory_report: cfg.memory_report,
            filters: Filters {
                all: !cfg.disable_logging,
                conditions: logging.conditions,
            },
            format,
            x_forwarded_for: logging.x_forwarded_for,
            micros: logging.micros,
            ftime,
            mark: logging.marks_request_lines(),
            vhost: cfg.vhost,
            page_size: u64::try_from(page_size).unwrap_or(4096),
        }
    }

    /// Whether no request can ever get a line (`disable-logging` and no
    /// condition): the caller can skip gathering the entry.
    pub fn is_off(&self) -> bool {
        !self.filters.all && !self.filters.conditions.any()
    }

    /// The log line of one request, newline included; `None` when the
    /// request is not logged.
    pub fn line(&self, entry: &Entry<'_>) -> Option<String> {
        if !self.filters.wants(entry) && !super::logvars::forced() {
            return None;
        }
        let now = clock::now_micros();
        let addr = self.address(entry.head);
        let Some(format) = &self.format else {
            return Some(self.default_line(entry, addr, now));
        };
        let mut line = String::with_capacity(format.capacity());
        if self.mark {
            line.push(REQUEST_LINE_MARK);
        }
        let start_micros =
            now.saturating_sub(i64::try_from(entry.elapsed.as_micros()).unwrap_or(i64::MAX));
        let facts = Facts {
            entry,
            pid: self.pid,
            worker_id: self.worker_id,
            addr,
            start_micros,
            now_secs: now / 1_000_000,
            memory: format.needs_memory().then(|| self.memory()).flatten(),
            ftime: self.ftime.as_deref(),
        };
        format.write(&mut line, &facts);
        line.push('\n');
        Some(line)
    }

    /// uWSGI's default line.
    fn default_line(&self, entry: &Entry<'_>, addr: &str, now_micros: i64) -> String {
        let mut line = String::with_capacity(256);
        if self.mark {
            line.push(REQUEST_LINE_MARK);
        }
        if self.vhost {
            line.push_str(crate::protocol::mounts::vhost_name(entry.head));
            line.push(' ');
        }
        if let Some((vsz, rss)) = self.memory_report.then(|| self.memory()).flatten() {
            let _ = write!(
                line,
                "{{address space usage: {vsz} bytes/{}MB}} {{rss usage: {rss} bytes/{}MB}} ",
                vsz / (1024 * 1024),
                rss / (1024 * 1024)
            );
        }
        let start =
            now_micros.saturating_sub(i64::try_from(entry.elapsed.as_micros()).unwrap_or(0));
        let time = Time {
            start_secs: start / 1_000_000,
            micros: self.micros,
        };
        format_line(&mut line, self.pid, self.worker_id, addr, entry, &time);
        line.push('\n');
        line
    }

    /// The logged client address: `X-Forwarded-For` as sent with
    /// `log-x-forwarded-for` (uWSGI takes the whole header), else
    /// `REMOTE_ADDR`.
    fn address<'h>(&self, head: &'h RequestHead) -> &'h str {
        self.x_forwarded_for
            .then(|| head.get("HTTP_X_FORWARDED_FOR"))
            .flatten()
            .or(head.get("REMOTE_ADDR"))
            .unwrap_or("")
    }

    /// Writes a line in one `write(2)`; a lost log line must not fail the
    /// request. Call it without the GIL: the log may be a slow pipe.
    pub fn emit(line: &str) {
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    /// Address space and RSS in bytes, from one `pread` of statm.
    pub fn memory(&self) -> Option<(u64, u64)> {
        let statm = self.statm.as_ref()?;
        let mut buf = [0u8; 128];
        let n = statm.read_at(&mut buf, 0).ok()?;
        let text = std::str::from_utf8(&buf[..n]).ok()?;
        let mut fields = text.split_ascii_whitespace().map(|f| f.parse::<u64>().ok());
        let size = fields.next()??;
        let rss = fields.next()??;
        Some((size * self.page_size, rss * self.page_size))
    }
}

/// The date and time unit of the default line.
pub struct Time {
    /// The start of the request, seconds since the epoch (its `ctime`
    /// date is logged).
    pub start_secs: i64,
    /// `log-micros`.
    pub micros: bool,
}

/// Appends the default line (without memory prefix and newline) to `out`.
pub fn format_line(
    out: &mut String,
    pid: u32,
    worker_id: u32,
    addr: &str,
    e: &Entry<'_>,
    time: &Time,
) {
    let head = e.head;
    let (code, headers, header_bytes) = match e.response {
        Some(r) => (r.code, r.headers.len(), r.wire_size()),
        None => (0, 0, 0),
    };
    let (took, unit) = if time.micros {
        (e.elapsed.as_micros(), "micros")
    } else {
        (e.elapsed.as_millis(), "msecs")
    };
    let (app, app_requests) = e
        .app
        .map_or((-1, -1), |a| (a.index as i64, a.requests as i64));
    let _ = write!(
        out,
        "[pid: {pid}|worker: {worker_id}|app: {app}|req: {app_requests}/{n}] {addr} ({user}) {{{vars} vars in {vbytes} bytes}} [",
        n = e.request_number,
        user = head.get("REMOTE_USER").unwrap_or(""),
        vars = head.vars.len() * 2,
        vbytes = head.vars_bytes(),
    );
    clock::push_ctime(out, time.start_secs);
    let _ = write!(
        out,
        "] {method} {uri} => generated {body} bytes in {took} {unit}{via}({proto} {code}) {headers} headers in {header_bytes} bytes (1 switches on core {core})",
        method = head.get("REQUEST_METHOD").unwrap_or(""),
        uri = head
            .get("REQUEST_URI")
            .or(head.get("PATH_INFO"))
            .unwrap_or(""),
        body = e.body_bytes,
        via = if e.via_sendfile {
            " via sendfile() "
        } else {
            " "
        },
        proto = head.get("SERVER_PROTOCOL").unwrap_or("HTTP/1.0"),
        core = e.core,
    );
}

#[cfg(test)]
#[path = "request_log_tests.rs"]
mod tests;
