//! The response head: the status and headers a WSGI app gives to
//! `start_response`, the checks they pass (a three-digit status, token
//! header names, latin-1 values without line breaks), and their bytes as a
//! raw HTTP response head (what a uwsgi-protocol connection is answered
//! with).

use bytes::Bytes;

/// The status and headers the app gave to `start_response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub code: u16,
    /// The status line as given (`200 OK`).
    pub status: String,
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    /// The reason phrase (`OK`).
    pub fn reason(&self) -> &str {
        self.status.get(4..).unwrap_or("")
    }

    /// The size of the head on the wire, for the request log.
    pub fn wire_size(&self) -> usize {
        // "HTTP/1.1 " + status + CRLF, each "name: value\r\n", final CRLF.
        11 + self.status.len()
            + self
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 4)
                .sum::<usize>()
            + 2
    }

    /// A short plain-text answer of the server's own (400, 413, …) that
    /// closes the connection: the request could not be read to its end, so
    /// nothing after it can be trusted on this connection.
    pub fn closing_error(code: u16) -> (ResponseHead, Bytes) {
        let reason = hyper::StatusCode::from_u16(code)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let body = Bytes::from(reason);
        let head = ResponseHead {
            code,
            status: format!("{code} {reason}"),
            headers: vec![
                ("Content-Type".to_owned(), "text/plain".to_owned()),
                ("Content-Length".to_owned(), body.len().to_string()),
                ("Connection".to_owned(), "close".to_owned()),
            ],
        };
        (head, body)
    }

    /// The 500 answered when the app fails before sending its headers.
    pub fn internal_error() -> (ResponseHead, Bytes) {
        let body = Bytes::from_static(b"Internal Server Error");
        let head = ResponseHead {
            code: 500,
            status: "500 Internal Server Error".to_owned(),
            headers: vec![
                ("Content-Type".to_owned(), "text/plain".to_owned()),
                ("Content-Length".to_owned(), body.len().to_string()),
            ],
        };
        (head, body)
    }
}

/// A latin-1 native string back to its bytes (every char is below U+0100,
/// as [`check_header`] and [`parse_status`] ensure).
pub fn latin1_bytes(s: &str) -> std::borrow::Cow<'_, [u8]> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s.as_bytes());
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect(),
    )
}

/// Parses a WSGI status line: three digits, then a space and a reason.
pub fn parse_status(status: &str) -> Result<u16, String> {
    let digits = status
        .get(..3)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    let code = digits
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|c| (100..=999).contains(c))
        .ok_or_else(|| {
            format!("invalid status {status:?}: it must start with a three-digit code")
        })?;
    match status.as_bytes().get(3) {
        None | Some(b' ') => {}
        Some(_) => {
            return Err(format!(
                "invalid status {status:?}: the code must be followed by a space"
            ));
        }
    }
    if status.bytes().any(|b| b == b'\r' || b == b'\n') || status.chars().any(|c| c > '\u{ff}') {
        return Err(format!("invalid status {status:?}"));
    }
    Ok(code)
}

/// Checks a header as HTTP needs it: a token name, a latin-1 value without
/// control line breaks.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!("invalid header name {name:?}"));
    }
    if value
        .chars()
        .any(|c| c > '\u{ff}' || c == '\r' || c == '\n' || c == '\0')
    {
        return Err(format!("invalid value for header {name:?}: {value:?}"));
    }
    Ok(())
}

/// `<protocol> <status>\r\n` + headers + `\r\n`.
pub(crate) fn encode_head(protocol: &str, head: &ResponseHead, out: &mut Vec<u8>) {
    out.extend_from_slice(protocol.as_bytes());
    out.push(b' ');
    out.extend_from_slice(&latin1_bytes(&head.status));
    out.extend_from_slice(b"\r\n");
    for (name, value) in &head.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(&latin1_bytes(value));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status("200 OK"), Ok(200));
        assert_eq!(parse_status("404 Not Found"), Ok(404));
        assert_eq!(parse_status("599"), Ok(599));
        assert!(parse_status("20 OK").is_err());
        assert!(parse_status("2000 OK").is_err());
        assert!(parse_status("abc OK").is_err());
        assert!(parse_status("099 Low").is_err());
        assert!(parse_status("200 OK\r\nX: y").is_err());
        assert!(parse_status("").is_err());
    }

    #[test]
    fn header_checks() {
        assert!(check_header("Content-Type", "text/plain").is_ok());
        assert!(check_header("X-Latin", "caf\u{e9}").is_ok());
        assert!(check_header("Bad Name", "x").is_err());
        assert!(check_header("X", "a\r\nb").is_err());
        assert!(check_header("X", "\u{263a}").is_err());
        assert!(check_header("", "x").is_err());
    }

    #[test]
    fn head_sizes() {
        let head = ResponseHead {
            code: 200,
            status: "200 OK".into(),
            headers: vec![("A".into(), "b".into())],
        };
        assert_eq!(head.reason(), "OK");
        // "HTTP/1.1 200 OK\r\n" + "A: b\r\n" + "\r\n"
        assert_eq!(head.wire_size(), 17 + 6 + 2);
    }

    #[test]
    fn raw_http_response_head() {
        let head = ResponseHead {
            code: 200,
            status: "200 OK".into(),
            headers: vec![
                ("Content-Type".into(), "text/plain".into()),
                ("X".into(), "caf\u{e9}".into()),
            ],
        };
        let mut out = Vec::new();
        encode_head("HTTP/1.1", &head, &mut out);
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX: caf\xe9\r\n\r\n".to_vec()
        );
    }
}
