//! The status and headers of a static file, in uWSGI's order
//! (`uwsgi_real_file_serve`): `If-Modified-Since` → 304 with no headers;
//! with `honour-range`, a `Range` → 206 or 416; then `Expires` (file name,
//! PATH_INFO, REQUEST_URI rules), `Content-Type`, `Expires` (type rules),
//! `Content-Length`, `Content-Range`, `Last-Modified`. HEAD gets the
//! headers of GET and no body.

use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::time::{SystemTime, UNIX_EPOCH};

use super::expires::{Subject, http_date, parse_http_date};
use super::range::{self, Ranged};
use super::{Found, Server};
use crate::config::ExpiresOn;
use crate::protocol::request::RequestHead;
use crate::protocol::response::ResponseHead;

/// The bytes of the file to send.
pub struct Body {
    pub file: File,
    pub offset: u64,
    pub len: u64,
}

/// A static answer: the head, and the body unless HEAD, 304 or 416.
pub struct Answer {
    pub head: ResponseHead,
    pub body: Option<Body>,
}

fn head(status: &str, headers: Vec<(String, String)>) -> ResponseHead {
    ResponseHead {
        code: status.get(..3).and_then(|c| c.parse().ok()).unwrap_or(200),
        status: status.to_owned(),
        headers,
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

impl Server {
    /// The answer to `req` for the file found.
    pub fn answer(&self, found: Found, req: &RequestHead) -> Answer {
        let Found {
            file,
            size,
            mtime,
            real,
            encoded,
        } = found;
        if let Some(since) = req.get("HTTP_IF_MODIFIED_SINCE").and_then(parse_http_date)
            && mtime <= since
        {
            return Answer {
                head: head("304 Not Modified", Vec::new()),
                body: None,
            };
        }
        let ranged = match req.get("HTTP_RANGE").filter(|_| self.honour_range) {
            Some(h) if if_range_holds(req, mtime) => range::for_size(h, size),
            _ => Ranged::Whole,
        };
        let (status, from, len) = match ranged {
            Ranged::Whole => ("200 OK", 0, size),
            Ranged::Part { from, to } => ("206 Partial Content", from, to - from + 1),
            Ranged::Unsatisfiable => {
                let headers = vec![
                    ("Content-Range".to_owned(), format!("bytes */{size}")),
                    ("Content-Length".to_owned(), "0".to_owned()),
                ];
                return Answer {
                    head: head("416 Requested Range Not Satisfiable", headers),
                    body: None,
                };
            }
        };
        let mime = self.mime.lookup(real.as_os_str().as_bytes());
        let mut headers = Vec::with_capacity(8);
        // uWSGI matches the file rules against the sibling's name.
        let served = encoded.as_ref().map_or(&real, |(_, path)| path);
        if !self.expires.is_empty() {
            let subject = Subject {
                file: served.as_os_str().as_bytes(),
                path_info: req.get("PATH_INFO").unwrap_or("").as_bytes(),
                uri: req.get("REQUEST_URI").unwrap_or("").as_bytes(),
                mime,
                mtime,
                now: now(),
            };
            for on in [ExpiresOn::File, ExpiresOn::PathInfo, ExpiresOn::Uri] {
                if let Some(date) = self.expires.expires(on, &subject) {
                    headers.push(("Expires".to_owned(), date));
                }
            }
            push_encoding(&mut headers, encoded.as_ref());
            if let Some(mime) = mime {
                headers.push(("Content-Type".to_owned(), mime.to_owned()));
            }
            if let Some(date) = self.expires.expires(ExpiresOn::Type, &subject) {
                headers.push(("Expires".to_owned(), date));
            }
        } else {
            push_encoding(&mut headers, encoded.as_ref());
            if let Some(mime) = mime {
                headers.push(("Content-Type".to_owned(), mime.to_owned()));
            }
        }
        // `file-serve-mode`: the server in front sends the file.
        if let Some(name) = self.serve_mode.header() {
            let path = served.as_os_str().to_string_lossy().into_owned();
            headers.push((name.to_owned(), path));
            headers.push(("Last-Modified".to_owned(), http_date(mtime)));
            return Answer {
                head: head(status, headers),
                body: None,
            };
        }
        headers.push(("Content-Length".to_owned(), len.to_string()));
        if let Ranged::Part { from, to } = ranged {
            headers.push((
                "Content-Range".to_owned(),
                format!("bytes {from}-{to}/{size}"),
            ));
        }
        headers.push(("Last-Modified".to_owned(), http_date(mtime)));
        let body = (req.get("REQUEST_METHOD") != Some("HEAD") && len > 0).then_some(Body {
            file,
            offset: from,
            len,
        });
        Answer {
            head: head(status, headers),
            body,
        }
    }
}

/// `Content-Encoding` of a precompressed sibling, with `Vary:
/// Accept-Encoding` (which uWSGI omits) so that a shared cache never
/// gives the compressed body to a client that did not ask for it.
fn push_encoding(
    headers: &mut Vec<(String, String)>,
    encoded: Option<&(&'static str, std::path::PathBuf)>,
) {
    if let Some((encoding, _)) = encoded {
        headers.push(("Content-Encoding".to_owned(), (*encoding).to_owned()));
        headers.push(("Vary".to_owned(), "Accept-Encoding".to_owned()));
    }
}

/// `If-Range` (RFC 9110 §13.1.5): the range holds when the header is
/// absent or its date is the file's `Last-Modified`; an entity tag (this
/// server sends none) or another date asks for the whole file.
fn if_range_holds(req: &RequestHead, mtime: i64) -> bool {
    match req.get("HTTP_IF_RANGE") {
        None => true,
        Some(v) => parse_http_date(v) == Some(mtime),
    }
}
