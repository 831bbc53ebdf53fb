//! The per-request log line, in uWSGI's format with the worker id added:
//!
//! ```text
//! [pid: 4242|worker: 2|app: 0|req: 5/5] 127.0.0.1 () {34 vars in 456 bytes} [Wed Nov 25 10:40:00 2026] GET /path => generated 12 bytes in 3 msecs (HTTP/1.1 200) 2 headers in 79 bytes (1 switches on core 0)
//! ```
//!
//! `req: N/M` is uWSGI's request number of the worker / of the app; a
//! worker has no app-wide counter, so both are the worker's count. `core`
//! is the Python thread. With `memory-report` the line starts with uWSGI's
//! `{address space usage: …} {rss usage: …} `. Each line is one `write(2)`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::protocol::request::RequestHead;
use crate::protocol::response::ResponseHead;

/// What one request log line says.
pub struct Entry<'a> {
    pub head: &'a RequestHead,
    pub response: Option<&'a ResponseHead>,
    pub body_bytes: u64,
    pub elapsed: Duration,
    pub request_number: u64,
    pub core: usize,
}

/// Writes request log lines for one worker.
pub struct RequestLog {
    pid: u32,
    worker_id: u32,
    /// `/proc/self/statm`, kept open for `memory-report`.
    statm: Option<File>,
    page_size: u64,
    /// Prefix each line with the memory figures.
    pub memory_report: bool,
    /// Write no request lines (`disable-logging`).
    pub disabled: bool,
}

impl RequestLog {
    /// `read_memory`: keep `/proc/self/statm` open (`memory-report`,
    /// `reload-on-rss`, `reload-on-as`).
    pub fn new(worker_id: u32, read_memory: bool) -> RequestLog {
        // SAFETY: sysconf has no preconditions.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        RequestLog {
            pid: std::process::id(),
            worker_id,
            statm: read_memory
                .then(|| File::open("/proc/self/statm").ok())
                .flatten(),
            memory_report: false,
            disabled: false,
            page_size: u64::try_from(page_size).unwrap_or(4096),
        }
    }

    /// The log line of one request, newline included.
    pub fn line(&self, entry: &Entry<'_>) -> String {
        let mut line = String::with_capacity(256);
        if let Some((vsz, rss)) = self.memory_report.then(|| self.memory()).flatten() {
            let _ = write!(
                line,
                "{{address space usage: {vsz} bytes/{}MB}} {{rss usage: {rss} bytes/{}MB}} ",
                vsz / (1024 * 1024),
                rss / (1024 * 1024)
            );
        }
        format_line(&mut line, self.pid, self.worker_id, entry, &ctime_now());
        line.push('\n');
        line
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

/// Appends the line (without memory prefix and newline) to `out`.
pub fn format_line(out: &mut String, pid: u32, worker_id: u32, e: &Entry<'_>, date: &str) {
    let head = e.head;
    let (code, headers, header_bytes) = match e.response {
        Some(r) => (r.code, r.headers.len(), r.wire_size()),
        None => (0, 0, 0),
    };
    let _ = write!(
        out,
        "[pid: {pid}|worker: {worker_id}|app: 0|req: {n}/{n}] {addr} () {{{vars} vars in {vbytes} bytes}} [{date}] {method} {uri} => generated {body} bytes in {ms} msecs ({proto} {code}) {headers} headers in {header_bytes} bytes (1 switches on core {core})",
        n = e.request_number,
        addr = head.get("REMOTE_ADDR").unwrap_or(""),
        vars = head.vars.len(),
        vbytes = head.vars_bytes(),
        method = head.get("REQUEST_METHOD").unwrap_or(""),
        uri = head
            .get("REQUEST_URI")
            .or(head.get("PATH_INFO"))
            .unwrap_or(""),
        body = e.body_bytes,
        ms = e.elapsed.as_millis(),
        proto = head.get("SERVER_PROTOCOL").unwrap_or("HTTP/1.0"),
        core = e.core,
    );
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The local time as `ctime(3)` prints it, without the newline.
fn ctime_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let t = libc::time_t::try_from(now).unwrap_or(0);
    // SAFETY: localtime_r writes only into `tm`, which we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return String::new();
    }
    let day = DAYS
        .get(usize::try_from(tm.tm_wday).unwrap_or(0))
        .unwrap_or(&"Sun");
    let month = MONTHS
        .get(usize::try_from(tm.tm_mon).unwrap_or(0))
        .unwrap_or(&"Jan");
    format!(
        "{day} {month} {:>2} {:02}:{:02}:{:02} {}",
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tm.tm_year + 1900
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::cgi;

    #[test]
    fn line_has_uwsgi_shape_and_worker_id() {
        let head = cgi::from_uwsgi(vec![
            ("REQUEST_METHOD".into(), "GET".into()),
            ("REQUEST_URI".into(), "/path".into()),
            ("SERVER_PROTOCOL".into(), "HTTP/1.1".into()),
            ("REMOTE_ADDR".into(), "127.0.0.1".into()),
        ]);
        let response = ResponseHead {
            code: 200,
            status: "200 OK".into(),
            headers: vec![("Content-Type".into(), "text/plain".into())],
        };
        let entry = Entry {
            head: &head,
            response: Some(&response),
            body_bytes: 12,
            elapsed: Duration::from_millis(3),
            request_number: 5,
            core: 0,
        };
        let mut line = String::new();
        format_line(&mut line, 123, 2, &entry, "Wed Nov 25 10:40:00 2026");
        let vars = head.vars.len();
        let vbytes = head.vars_bytes();
        assert_eq!(
            line,
            format!(
                "[pid: 123|worker: 2|app: 0|req: 5/5] 127.0.0.1 () {{{vars} vars in {vbytes} bytes}} [Wed Nov 25 10:40:00 2026] GET /path => generated 12 bytes in 3 msecs (HTTP/1.1 200) 1 headers in 45 bytes (1 switches on core 0)"
            )
        );
    }

    #[test]
    fn ctime_has_the_right_shape() {
        let now = ctime_now();
        assert_eq!(now.len(), 24, "{now:?}");
    }

    #[test]
    fn memory_report_reads_statm() {
        let log = RequestLog::new(1, true);
        let (vsz, rss) = log.memory().unwrap_or_default();
        assert!(vsz > 0 && rss > 0 && rss <= vsz);
    }
}
