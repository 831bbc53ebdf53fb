//! Where each line goes when loggers are configured (uWSGI's
//! `uwsgi_master_log` and `uwsgi_master_req_log`): a line matching a
//! `log-route` goes to that named logger only; otherwise to every unnamed
//! logger; with none, to the plain log. Request lines (marked by the
//! workers when `req-logger` is set) go through the request loggers,
//! `log-req-route` and `log-req-encoder` the same way. Each logger gets
//! the line through the encoders that apply to it.

use regex::bytes::Regex;

use super::encoders::{Encoder, encode_chain};
use super::loggers::{Logger, LoggerSpec};
use super::writer::LogWriter;
use crate::config::{Loggers, REQUEST_LINE_MARK};

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("{0}")]
    Logger(#[from] super::loggers::LoggerError),
    #[error("{0}")]
    Encoder(#[from] super::encoders::UnknownEncoder),
    #[error("invalid log route {0:?}: {1}")]
    Route(String, String),
}

/// `log-route = ID REGEX`.
struct Route {
    id: String,
    regex: Regex,
}

impl Route {
    fn parse(spec: &str) -> Result<Route, DispatchError> {
        let (id, pattern) = spec
            .split_once(' ')
            .ok_or_else(|| DispatchError::Route(spec.into(), "expected `ID REGEX`".into()))?;
        let regex =
            Regex::new(pattern).map_err(|e| DispatchError::Route(spec.into(), e.to_string()))?;
        Ok(Route {
            id: id.to_string(),
            regex,
        })
    }
}

/// The loggers, routes and encoders of one kind of line.
struct Channel {
    loggers: Vec<Logger>,
    routes: Vec<Route>,
    encoders: Vec<Encoder>,
}

impl Channel {
    fn build(
        loggers: &[String],
        routes: &[String],
        encoders: &[String],
        hostname: &str,
    ) -> Result<Channel, DispatchError> {
        Ok(Channel {
            loggers: loggers
                .iter()
                .map(|s| Logger::open(LoggerSpec::parse(s, hostname)?).map_err(Into::into))
                .collect::<Result<_, DispatchError>>()?,
            routes: routes
                .iter()
                .map(|s| Route::parse(s))
                .collect::<Result<_, _>>()?,
            encoders: encoders
                .iter()
                .map(|s| Encoder::parse(s))
                .collect::<Result<_, _>>()?,
        })
    }

    fn emit(&mut self, line: &[u8], main: &mut LogWriter) {
        let mut routed = false;
        for route in self.routes.iter().filter(|r| r.regex.is_match(line)) {
            let id = Some(route.id.as_str());
            if let Some(logger) = self.loggers.iter_mut().find(|l| l.id.as_deref() == id) {
                logger.write(&encode_chain(&self.encoders, id, line), main);
                routed = true;
            }
        }
        if routed {
            return;
        }
        let mut unnamed = false;
        for logger in self.loggers.iter_mut().filter(|l| l.id.is_none()) {
            logger.write(&encode_chain(&self.encoders, None, line), main);
            unnamed = true;
        }
        if !unnamed {
            main.write_whole(&encode_chain(&self.encoders, None, line));
        }
    }
}

/// The log master's lines, sorted out to the loggers.
pub struct Dispatch {
    general: Channel,
    requests: Channel,
    pending: Vec<u8>,
}

impl Dispatch {
    /// The dispatch `loggers` asks for; `None` when no logger option is set
    /// (the plain log takes everything).
    pub fn build(loggers: &Loggers, hostname: &str) -> Result<Option<Dispatch>, DispatchError> {
        if !loggers.any() {
            return Ok(None);
        }
        Ok(Some(Dispatch {
            general: Channel::build(&loggers.logger, &loggers.route, &loggers.encoder, hostname)?,
            requests: Channel::build(
                &loggers.req_logger,
                &loggers.req_route,
                &loggers.req_encoder,
                hostname,
            )?,
            pending: Vec::new(),
        }))
    }

    /// Sorts out the whole lines of `data` (after what was pending).
    pub fn take(&mut self, data: &[u8], main: &mut LogWriter) {
        self.pending.extend_from_slice(data);
        let Some(last_nl) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let rest = self.pending.split_off(last_nl + 1);
        let lines = std::mem::replace(&mut self.pending, rest);
        for line in lines.split_inclusive(|&b| b == b'\n') {
            self.line(line, main);
        }
    }

    /// What is left at the end (a last line without a newline).
    pub fn finish(&mut self, main: &mut LogWriter) {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.line(&rest, main);
        }
    }

    fn line(&mut self, line: &[u8], main: &mut LogWriter) {
        let mut mark = [0u8; 4];
        let mark = REQUEST_LINE_MARK.encode_utf8(&mut mark).as_bytes();
        match line.strip_prefix(mark) {
            Some(request) if !self.requests.loggers.is_empty() => {
                self.requests.emit(request, main);
            }
            Some(request) => self.general.emit(request, main),
            None => self.general.emit(line, main),
        }
    }
}

#[cfg(test)]
#[path = "dispatch_tests.rs"]
mod tests;
