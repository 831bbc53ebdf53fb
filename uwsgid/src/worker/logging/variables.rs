//! uWSGI's request variables for `log-format` (`uwsgi_register_logchunks`
//! in uWSGI's `core/logging.c`): the name each has, and its value for one
//! request written straight into the line. A value that comes out empty is
//! written as `-`, as uWSGI does for every variable.

use std::ffi::CStr;
use std::fmt::Write as _;

use super::clock;
use super::request_log::Entry;

/// One `%(name)` of a log format, resolved once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Var {
    Uri,
    Method,
    User,
    Addr,
    Host,
    Proto,
    Uagent,
    Referer,
    Status,
    Rsize,
    Hsize,
    Size,
    Cl,
    Micros,
    Msecs,
    Secs,
    Tmsecs,
    Tmicros,
    Time,
    Ltime,
    Ftime,
    Ctime,
    Epoch,
    Pid,
    Wid,
    Switches,
    Vars,
    Core,
    Vsz,
    Rss,
    VszM,
    RssM,
    Pktsize,
    Modifier1,
    Modifier2,
    Headers,
    Werr,
    Rerr,
    Ioerr,
    /// `%(var.NAME)`: a CGI variable of the request.
    Cgi(Box<str>),
    /// `%(metric.NAME)`: uwsgid has no metrics; uWSGI gives 0 for a metric
    /// it does not know.
    Metric,
    /// Any other name is a uWSGI "logvar", set by the app through
    /// `uwsgi.set_logvar` (`logvars.rs`); `-` when the request set none.
    Logvar(Box<str>),
}

const NAMES: &[(&str, Var)] = &[
    ("uri", Var::Uri),
    ("method", Var::Method),
    ("user", Var::User),
    ("addr", Var::Addr),
    ("host", Var::Host),
    ("proto", Var::Proto),
    ("uagent", Var::Uagent),
    ("referer", Var::Referer),
    ("status", Var::Status),
    ("rsize", Var::Rsize),
    ("hsize", Var::Hsize),
    ("size", Var::Size),
    ("cl", Var::Cl),
    ("micros", Var::Micros),
    ("msecs", Var::Msecs),
    ("secs", Var::Secs),
    ("tmsecs", Var::Tmsecs),
    ("tmicros", Var::Tmicros),
    ("time", Var::Time),
    ("ltime", Var::Ltime),
    ("ftime", Var::Ftime),
    ("ctime", Var::Ctime),
    ("epoch", Var::Epoch),
    ("pid", Var::Pid),
    ("wid", Var::Wid),
    ("switches", Var::Switches),
    ("vars", Var::Vars),
    ("core", Var::Core),
    ("vsz", Var::Vsz),
    ("rss", Var::Rss),
    ("vszM", Var::VszM),
    ("rssM", Var::RssM),
    ("pktsize", Var::Pktsize),
    ("modifier1", Var::Modifier1),
    ("modifier2", Var::Modifier2),
    ("headers", Var::Headers),
    ("werr", Var::Werr),
    ("rerr", Var::Rerr),
    ("ioerr", Var::Ioerr),
];

impl Var {
    /// The variable `name` names (case-sensitive, as in uWSGI).
    pub fn from_name(name: &str) -> Var {
        if let Some((_, var)) = NAMES.iter().find(|(n, _)| *n == name) {
            return var.clone();
        }
        if let Some(cgi) = name.strip_prefix("var.") {
            return Var::Cgi(cgi.into());
        }
        if name.starts_with("metric.") {
            return Var::Metric;
        }
        Var::Logvar(name.into())
    }

    /// Whether the value needs the worker's memory figures.
    pub fn needs_memory(&self) -> bool {
        matches!(self, Var::Vsz | Var::Rss | Var::VszM | Var::RssM)
    }
}

/// What a line is formatted from, besides the request's [`Entry`].
pub struct Facts<'a> {
    pub entry: &'a Entry<'a>,
    pub pid: u32,
    pub worker_id: u32,
    /// The logged client address (`REMOTE_ADDR`, or `X-Forwarded-For`).
    pub addr: &'a str,
    /// When the request started, in microseconds since the epoch.
    pub start_micros: i64,
    /// When the line is written, in seconds since the epoch.
    pub now_secs: i64,
    /// Address space and RSS in bytes, when the format asks for them.
    pub memory: Option<(u64, u64)>,
    /// `%(ftime)`'s format (`log-format-strftime` with a `log-date` format).
    pub ftime: Option<&'a CStr>,
}

/// Appends the value of `var`, or `-` when it is empty.
pub fn write(out: &mut String, var: &Var, f: &Facts<'_>) {
    let before = out.len();
    write_value(out, var, f);
    if out.len() == before {
        out.push('-');
    }
}

fn write_value(out: &mut String, var: &Var, f: &Facts<'_>) {
    let e = f.entry;
    let cgi = |name: &str| e.head.get(name).unwrap_or("");
    let (status, headers, hsize) = e.response.map_or((0, 0, 0), |r| {
        (r.code, r.headers.len(), r.wire_size() as u64)
    });
    let micros = u64::try_from(e.elapsed.as_micros()).unwrap_or(u64::MAX);
    let start_secs = f.start_micros / 1_000_000;
    let (vsz, rss) = f.memory.unwrap_or_default();
    let _ = match var {
        Var::Uri => out.write_str(cgi("REQUEST_URI")),
        Var::Method => out.write_str(cgi("REQUEST_METHOD")),
        Var::User => out.write_str(cgi("REMOTE_USER")),
        Var::Addr => out.write_str(f.addr),
        Var::Host => out.write_str(cgi("HTTP_HOST")),
        Var::Proto => out.write_str(cgi("SERVER_PROTOCOL")),
        Var::Uagent => out.write_str(cgi("HTTP_USER_AGENT")),
        Var::Referer => out.write_str(cgi("HTTP_REFERER")),
        Var::Cgi(name) => out.write_str(cgi(name)),
        Var::Status => write!(out, "{status}"),
        Var::Rsize => write!(out, "{}", e.body_bytes),
        Var::Hsize => write!(out, "{hsize}"),
        Var::Size => write!(out, "{}", hsize + e.body_bytes),
        Var::Cl => write!(out, "{}", e.head.content_length().unwrap_or(0)),
        Var::Micros => write!(out, "{micros}"),
        Var::Msecs => write!(out, "{}", micros / 1000),
        // uWSGI's `uwsgi_float2str` is `%f`.
        Var::Secs => write!(out, "{:.6}", e.elapsed.as_secs_f64()),
        Var::Tmsecs => write!(out, "{}", f.start_micros / 1000),
        Var::Tmicros => write!(out, "{}", f.start_micros),
        Var::Time => write!(out, "{start_secs}"),
        Var::Ltime => {
            clock::push_strftime(out, clock::LTIME, start_secs);
            Ok(())
        }
        Var::Ftime => {
            clock::push_strftime(out, f.ftime.unwrap_or(clock::LTIME), start_secs);
            Ok(())
        }
        Var::Ctime => {
            clock::push_ctime(out, start_secs);
            Ok(())
        }
        Var::Epoch => write!(out, "{}", f.now_secs),
        Var::Pid => write!(out, "{}", f.pid),
        Var::Wid => write!(out, "{}", f.worker_id),
        // One greenlet switch per request, as the default line says.
        Var::Switches => write!(out, "1"),
        // uWSGI counts a name and a value as two vars.
        Var::Vars => write!(out, "{}", e.head.vars.len() * 2),
        Var::Core => write!(out, "{}", e.core),
        Var::Vsz => write!(out, "{vsz}"),
        Var::Rss => write!(out, "{rss}"),
        Var::VszM => write!(out, "{}", vsz / 1024 / 1024),
        Var::RssM => write!(out, "{}", rss / 1024 / 1024),
        Var::Pktsize => write!(out, "{}", e.head.vars_bytes()),
        Var::Modifier1 | Var::Modifier2 | Var::Metric => write!(out, "0"),
        Var::Headers => write!(out, "{headers}"),
        Var::Werr => write!(out, "{}", u8::from(e.write_error)),
        Var::Rerr => write!(out, "{}", u8::from(e.read_error)),
        Var::Ioerr => write!(out, "{}", u8::from(e.write_error) + u8::from(e.read_error)),
        Var::Logvar(name) => {
            super::logvars::write(out, name);
            Ok(())
        }
    };
}
