//! uWSGI's loggers (`logger`, `req-logger`): `[ID ]PLUGIN[:ARGS]`, where an
//! alphanumeric `ID` names the logger for `log-route`. Plugins:
//!
//! - `file:PATH`, or `file:logfile=PATH,maxsize=N,backupname=NAME` (rotated
//!   as `log-maxsize` rotates `logto`);
//! - `stdio`: the log the master would write anyway (`logto` or stderr);
//! - `syslog[:IDENT[,FACILITY]]`: the local syslog (ident `uwsgi`, facility
//!   `daemon` by default), at priority info;
//! - `rsyslog:HOST:PORT[,PREFIX[,PRIORITY]]` (or a unix datagram path):
//!   `<PRIORITY>Mmm dd hh:mm:ss PREFIX: line` over UDP, PREFIX
//!   `<hostname> uwsgi` and PRIORITY 29 by default, the line cut at 994
//!   bytes (uWSGI's 1024-byte packets).

use std::ffi::CString;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use super::writer::LogWriter;
use crate::config::LogFile;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoggerError {
    #[error("unable to find logger {0}")]
    Unknown(String),
    #[error("invalid {0} logger syntax: {1:?}")]
    Syntax(&'static str, String),
    #[error("logger {0}: {1}")]
    Open(String, String),
}

/// Where a logger writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    File {
        path: PathBuf,
        maxsize: u64,
        backupname: Option<PathBuf>,
    },
    Stdio,
    Syslog {
        ident: String,
        facility: libc::c_int,
    },
    Rsyslog {
        address: String,
        prefix: String,
        priority: u32,
    },
}

/// One `logger`/`req-logger` line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerSpec {
    pub id: Option<String>,
    pub target: Target,
}

impl LoggerSpec {
    /// Parses `[ID ]PLUGIN[:ARGS]` (uWSGI's `setup_choosen_logger`).
    pub fn parse(spec: &str, hostname: &str) -> Result<LoggerSpec, LoggerError> {
        let (id, rest) = match spec.split_once(' ') {
            Some((id, rest)) if id.chars().all(|c| c.is_ascii_alphanumeric()) => {
                (Some(id.to_string()), rest)
            }
            _ => (None, spec),
        };
        let (plugin, arg) = match rest.split_once(':') {
            Some((p, a)) => (p, Some(a).filter(|a| !a.is_empty())),
            None => (rest, None),
        };
        let target = match plugin {
            "file" => file(arg.ok_or_else(|| LoggerError::Syntax("file", spec.into()))?)?,
            "stdio" => Target::Stdio,
            "syslog" => syslog(arg),
            "rsyslog" => rsyslog(
                arg.ok_or_else(|| LoggerError::Syntax("rsyslog", spec.into()))?,
                hostname,
            ),
            other => return Err(LoggerError::Unknown(other.to_string())),
        };
        Ok(LoggerSpec { id, target })
    }
}

fn file(arg: &str) -> Result<Target, LoggerError> {
    if !arg.contains('=') {
        return Ok(Target::File {
            path: PathBuf::from(arg),
            maxsize: 0,
            backupname: None,
        });
    }
    let (mut path, mut maxsize, mut backupname) = (None, 0, None);
    for pair in arg.split(',') {
        match pair.split_once('=') {
            Some(("logfile", v)) => path = Some(PathBuf::from(v)),
            Some(("maxsize", v)) => maxsize = v.trim().parse().unwrap_or(0),
            Some(("backupname", v)) => backupname = Some(PathBuf::from(v)),
            _ => return Err(LoggerError::Syntax("file", arg.into())),
        }
    }
    let path = path.ok_or_else(|| LoggerError::Syntax("file", arg.into()))?;
    Ok(Target::File {
        path,
        maxsize,
        backupname,
    })
}

const FACILITIES: &[(&str, libc::c_int)] = &[
    ("auth", libc::LOG_AUTH),
    ("authpriv", libc::LOG_AUTHPRIV),
    ("cron", libc::LOG_CRON),
    ("daemon", libc::LOG_DAEMON),
    ("ftp", libc::LOG_FTP),
    ("kern", libc::LOG_KERN),
    ("lpr", libc::LOG_LPR),
    ("mail", libc::LOG_MAIL),
    ("news", libc::LOG_NEWS),
    ("security", libc::LOG_AUTH),
    ("syslog", libc::LOG_SYSLOG),
    ("user", libc::LOG_USER),
    ("uucp", libc::LOG_UUCP),
    ("local0", libc::LOG_LOCAL0),
    ("local1", libc::LOG_LOCAL1),
    ("local2", libc::LOG_LOCAL2),
    ("local3", libc::LOG_LOCAL3),
    ("local4", libc::LOG_LOCAL4),
    ("local5", libc::LOG_LOCAL5),
    ("local6", libc::LOG_LOCAL6),
    ("local7", libc::LOG_LOCAL7),
];

fn syslog(arg: Option<&str>) -> Target {
    let (ident, facility) = match arg.and_then(|a| a.split_once(',')) {
        Some((ident, name)) => {
            let facility = FACILITIES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(libc::LOG_DAEMON, |(_, f)| *f);
            (ident, facility)
        }
        None => (arg.unwrap_or("uwsgi"), libc::LOG_DAEMON),
    };
    Target::Syslog {
        ident: ident.to_string(),
        facility,
    }
}

fn rsyslog(arg: &str, hostname: &str) -> Target {
    let mut parts = arg.splitn(3, ',');
    let address = parts.next().unwrap_or_default().to_string();
    let prefix = parts
        .next()
        .map_or_else(|| format!("{hostname} uwsgi"), str::to_string);
    let priority = parts.next().and_then(|p| p.parse().ok()).unwrap_or(29);
    Target::Rsyslog {
        address,
        prefix,
        priority,
    }
}

/// An open logger.
pub struct Logger {
    pub id: Option<String>,
    sink: Sink,
}

enum Sink {
    File(Box<LogWriter>),
    Stdio,
    Syslog,
    Udp(UdpSocket, String, u32),
    Unix(UnixDatagram, PathBuf, String, u32),
}

/// uWSGI's rsyslog message size: 1024-byte packets less 30.
const RSYSLOG_MSG: usize = 994;

impl Logger {
    /// Opens `spec`'s target.
    pub fn open(spec: LoggerSpec) -> Result<Logger, LoggerError> {
        let name = spec.id.clone().unwrap_or_default();
        let fail = |e: std::io::Error| LoggerError::Open(name.clone(), e.to_string());
        let sink = match spec.target {
            Target::File {
                path,
                maxsize,
                backupname,
            } => {
                let file = super::open_append(&path).map_err(fail)?;
                let options = LogFile {
                    maxsize,
                    backupname,
                    ..LogFile::default()
                };
                Sink::File(Box::new(LogWriter::new(file, Some(path), &options)))
            }
            Target::Stdio => Sink::Stdio,
            Target::Syslog { ident, facility } => {
                // openlog keeps the pointer: the ident lives as long as
                // the process (one per logger, made once).
                let ident = CString::new(ident).unwrap_or_default();
                // SAFETY: the leaked string outlives every syslog call.
                unsafe { libc::openlog(Box::leak(Box::new(ident)).as_ptr(), 0, facility) };
                Sink::Syslog
            }
            Target::Rsyslog {
                address,
                prefix,
                priority,
            } => {
                if address.starts_with('/') {
                    let socket = UnixDatagram::unbound().map_err(fail)?;
                    Sink::Unix(socket, PathBuf::from(address), prefix, priority)
                } else {
                    let socket = UdpSocket::bind(("0.0.0.0", 0)).map_err(fail)?;
                    let with_port = if address.contains(':') {
                        address
                    } else {
                        format!("{address}:514")
                    };
                    socket.connect(&with_port).map_err(fail)?;
                    Sink::Udp(socket, prefix, priority)
                }
            }
        };
        Ok(Logger { id: spec.id, sink })
    }

    /// Writes one (encoded) line; `stdio` goes to `main`. Errors lose the
    /// line, never the log thread.
    pub fn write(&mut self, line: &[u8], main: &mut LogWriter) {
        match &mut self.sink {
            Sink::File(writer) => writer.write_whole(line),
            Sink::Stdio => main.write_whole(line),
            Sink::Syslog => {
                let text = line.strip_suffix(b"\n").unwrap_or(line);
                let text = CString::new(text.to_vec()).unwrap_or_default();
                // SAFETY: "%s" with one NUL-terminated string.
                unsafe { libc::syslog(libc::LOG_INFO, c"%s".as_ptr(), text.as_ptr()) };
            }
            Sink::Udp(socket, prefix, priority) => {
                let _ = socket.send(&rsyslog_packet(line, prefix, *priority));
            }
            Sink::Unix(socket, path, prefix, priority) => {
                let _ = socket.send_to(&rsyslog_packet(line, prefix, *priority), &*path);
            }
        }
    }
}

/// `<PRIORITY>Mmm dd hh:mm:ss PREFIX: line` (uWSGI's rsyslog packet).
pub fn rsyslog_packet(line: &[u8], prefix: &str, priority: u32) -> Vec<u8> {
    let text = line.strip_suffix(b"\n").unwrap_or(line);
    let text = text.get(..RSYSLOG_MSG).unwrap_or(text);
    let mut date = String::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    crate::log::push_strftime(&mut date, c"%b %e %H:%M:%S", now);
    let mut packet = format!("<{priority}>{date} {prefix}: ").into_bytes();
    packet.extend_from_slice(text);
    packet
}

#[cfg(test)]
#[path = "loggers_tests.rs"]
mod tests;
