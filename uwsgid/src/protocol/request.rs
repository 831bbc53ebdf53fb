//! The one request type both fronts produce (HTTP and uwsgi protocol), so
//! the WSGI side never knows which protocol carried a request.

use std::borrow::Cow;

/// A CGI variable name: static for the names the fronts set themselves,
/// owned for `HTTP_*` and whatever nginx sends.
pub type VarName = Cow<'static, str>;

/// A parsed request head: the CGI variables of the environ, in order.
///
/// Values are native strings decoded as latin-1 (PEP 3333), so every byte
/// of the wire maps to one char below U+0100.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RequestHead {
    pub vars: Vec<(VarName, String)>,
    /// `wsgi.url_scheme` is `https`.
    pub https: bool,
}

impl RequestHead {
    /// The value of a CGI variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a variable, replacing an existing one.
    pub fn set(&mut self, name: &'static str, value: String) {
        match self.vars.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.vars.push((Cow::Borrowed(name), value)),
        }
    }

    /// `CONTENT_LENGTH` as a number (absent or unparsable: `None`).
    pub fn content_length(&self) -> Option<u64> {
        self.get("CONTENT_LENGTH")
            .and_then(|v| v.trim().parse().ok())
    }

    /// The size of the head as uWSGI counts it (a uwsgi vars block: two
    /// length prefixes per variable), for the request log.
    pub fn vars_bytes(&self) -> usize {
        self.vars.iter().map(|(k, v)| k.len() + v.len() + 4).sum()
    }
}
