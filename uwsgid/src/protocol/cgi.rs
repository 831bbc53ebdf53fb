//! Pure CGI-variable builders: from an HTTP request head (the HTTP front)
//! and from a uwsgi vars block (the uwsgi front, i.e. what nginx sends),
//! both normalised to the PEP 3333 environ rules.

use std::borrow::Cow;

use hyper::http::request::Parts;
use hyper::http::{HeaderMap, Version};

use super::request::{RequestHead, VarName};
use super::uwsgi::latin1;

/// What the connection knows about both ends, computed once per accept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnInfo {
    pub remote_addr: String,
    pub remote_port: String,
    /// The listener's own host, used when the request has no `Host`.
    pub server_name: String,
    pub server_port: String,
}

/// The CGI variables of an HTTP request (`http-socket`), and the names of
/// the headers left out because they contain `_` (none when
/// `keep_underscored`).
///
/// An absolute-form target (`GET http://host/path`, RFC 9112 §3.2.2) gives
/// `PATH_INFO` and `REQUEST_URI` from its path and query, and `HTTP_HOST`
/// and `SERVER_NAME` from its authority: the `Host` header is ignored then,
/// as the RFC requires of an origin server.
pub fn from_http(
    parts: &Parts,
    conn: &ConnInfo,
    keep_underscored: bool,
) -> (RequestHead, Vec<String>) {
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let authority = parts.uri.authority().map(|a| a.as_str());
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    let mut vars: Vec<(VarName, String)> = Vec::with_capacity(16 + parts.headers.keys_len());
    vars.push(("REQUEST_METHOD".into(), parts.method.as_str().to_owned()));
    // hyper hands the target over as UTF-8 text; PEP 3333 wants its bytes
    // as latin-1 (as uWSGI gives them): `/café` sent raw is `/cafÃ©`.
    vars.push(("REQUEST_URI".into(), native(target)));
    vars.push(("PATH_INFO".into(), decode_path(path)));
    vars.push(("QUERY_STRING".into(), native(query)));
    vars.push((
        "SERVER_PROTOCOL".into(),
        version_str(parts.version).to_owned(),
    ));
    vars.push(("SCRIPT_NAME".into(), String::new()));
    let host = match authority {
        Some(a) => Some(a.to_owned()),
        None => parts
            .headers
            .get(hyper::header::HOST)
            .map(|h| latin1(h.as_bytes())),
    };
    let server_name = host
        .as_deref()
        .map(|h| host_name(h).to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| conn.server_name.clone());
    vars.push(("SERVER_NAME".into(), server_name));
    vars.push(("SERVER_PORT".into(), conn.server_port.clone()));
    vars.push(("REMOTE_ADDR".into(), conn.remote_addr.clone()));
    vars.push(("REMOTE_PORT".into(), conn.remote_port.clone()));
    let dropped = push_headers(&mut vars, &parts.headers, keep_underscored);
    let mut head = RequestHead { vars, https: false };
    if let Some(authority) = authority {
        head.set("HTTP_HOST", authority.to_owned());
    }
    (head, dropped)
}

/// Appends the request headers: `Content-Type`/`Content-Length` as
/// `CONTENT_*`, the others as `HTTP_*`; repeated headers are joined with
/// `,` (cookies with `; `). A name with `_` is left out unless
/// `keep_underscored` (CGI maps `-` to `_`, so `Content_Length` would pass
/// for `Content-Length` to the app, and `X_Forwarded_For` for
/// `X-Forwarded-For`); the names left out are returned.
fn push_headers(
    vars: &mut Vec<(VarName, String)>,
    headers: &HeaderMap,
    keep_underscored: bool,
) -> Vec<String> {
    let mut dropped = Vec::new();
    for name in headers.keys() {
        if !keep_underscored && name.as_str().contains('_') {
            dropped.push(name.as_str().to_owned());
            continue;
        }
        let key: VarName = match name.as_str() {
            "content-type" => "CONTENT_TYPE".into(),
            "content-length" => "CONTENT_LENGTH".into(),
            "host" => "HTTP_HOST".into(),
            "cookie" => "HTTP_COOKIE".into(),
            "user-agent" => "HTTP_USER_AGENT".into(),
            "accept" => "HTTP_ACCEPT".into(),
            other => Cow::Owned(http_var_name(other)),
        };
        let separator = if name == hyper::header::COOKIE {
            "; "
        } else {
            ","
        };
        let mut value = String::new();
        for (i, v) in headers.get_all(name).iter().enumerate() {
            if i > 0 {
                value.push_str(separator);
            }
            value.push_str(&latin1(v.as_bytes()));
        }
        vars.push((key, value));
    }
    dropped
}

/// `x-forwarded-for` → `HTTP_X_FORWARDED_FOR`.
pub fn http_var_name(header: &str) -> String {
    let mut key = String::with_capacity(5 + header.len());
    key.push_str("HTTP_");
    key.extend(header.chars().map(|c| match c {
        '-' => '_',
        c => c.to_ascii_uppercase(),
    }));
    key
}

/// The host part of a `Host` header (`[::1]:8000` → `::1`, `a:80` → `a`).
pub fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.split(':').next().unwrap_or(host)
}

/// `HTTP/1.1` and friends.
pub fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// PATH_INFO: the path percent-decoded, then decoded as latin-1 (PEP 3333).
/// Malformed escapes are kept literally.
pub fn decode_path(path: &str) -> String {
    if !path.contains('%') {
        return native(path);
    }
    let raw = path.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && i + 2 < raw.len()
            && let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    latin1(&out)
}

/// UTF-8 text from hyper as a PEP 3333 native string: its bytes as
/// latin-1. ASCII, the common case, is copied as it is.
fn native(s: &str) -> String {
    if s.is_ascii() {
        s.to_owned()
    } else {
        s.bytes().map(char::from).collect()
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The CGI variables of a uwsgi-protocol request, made PEP 3333 clean:
/// `SCRIPT_NAME` present (`""` when nginx sends none, never `/`), the
/// `HTTP_CONTENT_TYPE`/`HTTP_CONTENT_LENGTH` nginx adds dropped, an empty
/// `CONTENT_LENGTH` dropped, and the variables `wsgiref.validate` requires
/// present.
pub fn from_uwsgi(raw: Vec<(String, String)>) -> RequestHead {
    let mut vars: Vec<(VarName, String)> = Vec::with_capacity(raw.len() + 4);
    let mut https = false;
    for (k, v) in raw {
        match k.as_str() {
            "HTTP_CONTENT_TYPE" | "HTTP_CONTENT_LENGTH" => continue,
            "CONTENT_LENGTH" if v.is_empty() => continue,
            "SCRIPT_NAME" if v == "/" => {
                vars.push((Cow::Owned(k), String::new()));
                continue;
            }
            "UWSGI_SCHEME" | "REQUEST_SCHEME" => https |= v.eq_ignore_ascii_case("https"),
            "HTTPS" => https |= v.eq_ignore_ascii_case("on") || v == "1",
            _ => {}
        }
        vars.push((Cow::Owned(k), v));
    }
    let mut head = RequestHead { vars, https };
    if head.get("PATH_INFO").is_none() {
        let path = head
            .get("REQUEST_URI")
            .map(|u| decode_path(u.split('?').next().unwrap_or("")))
            .unwrap_or_default();
        head.set("PATH_INFO", path);
    }
    for name in ["SCRIPT_NAME", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT"] {
        if head.get(name).is_none() {
            head.set(name, String::new());
        }
    }
    if head.get("REQUEST_METHOD").is_none() {
        head.set("REQUEST_METHOD", "GET".to_owned());
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::http::Request;

    fn conn() -> ConnInfo {
        ConnInfo {
            remote_addr: "127.0.0.1".into(),
            remote_port: "5555".into(),
            server_name: "127.0.0.1".into(),
            server_port: "8000".into(),
        }
    }

    fn http(req: Request<()>) -> RequestHead {
        let (parts, ()) = req.into_parts();
        from_http(&parts, &conn(), false).0
    }

    #[test]
    fn path_info_is_percent_decoded_then_latin1() {
        assert_eq!(decode_path("/a%20b/%C3%A9"), "/a b/\u{c3}\u{a9}");
        assert_eq!(decode_path("/plain"), "/plain");
        assert_eq!(decode_path("/bad%zz%4"), "/bad%zz%4");
        assert_eq!(decode_path("/%2F%2f"), "///");
        assert_eq!(decode_path("/end%41"), "/endA");
        // Raw UTF-8 gives the same as its percent-encoded form.
        assert_eq!(decode_path("/caf\u{e9}"), "/caf\u{c3}\u{a9}");
        assert_eq!(decode_path("/caf%C3%A9"), "/caf\u{c3}\u{a9}");
    }

    #[test]
    fn http_head_has_the_cgi_vars() {
        let head = http(
            Request::get("/p%41th?x=1&y=%20")
                .header("Host", "example.com:8080")
                .header("Content-Type", "text/plain")
                .header("Content-Length", "3")
                .header("X-Thing", "a")
                .header("X-Thing", "b")
                .header("Cookie", "a=1")
                .header("Cookie", "b=2")
                .body(())
                .unwrap_or_default(),
        );
        assert_eq!(head.get("REQUEST_METHOD"), Some("GET"));
        assert_eq!(head.get("PATH_INFO"), Some("/pAth"));
        assert_eq!(head.get("QUERY_STRING"), Some("x=1&y=%20"));
        assert_eq!(head.get("REQUEST_URI"), Some("/p%41th?x=1&y=%20"));
        assert_eq!(head.get("SCRIPT_NAME"), Some(""));
        assert_eq!(head.get("SERVER_NAME"), Some("example.com"));
        assert_eq!(head.get("SERVER_PORT"), Some("8000"));
        assert_eq!(head.get("SERVER_PROTOCOL"), Some("HTTP/1.1"));
        assert_eq!(head.get("REMOTE_ADDR"), Some("127.0.0.1"));
        assert_eq!(head.get("REMOTE_PORT"), Some("5555"));
        assert_eq!(head.get("CONTENT_TYPE"), Some("text/plain"));
        assert_eq!(head.get("CONTENT_LENGTH"), Some("3"));
        assert_eq!(head.get("HTTP_X_THING"), Some("a,b"));
        assert_eq!(head.get("HTTP_COOKIE"), Some("a=1; b=2"));
        assert_eq!(head.get("HTTP_HOST"), Some("example.com:8080"));
        assert_eq!(head.get("HTTP_CONTENT_TYPE"), None);
        assert_eq!(head.get("HTTP_CONTENT_LENGTH"), None);
        assert_eq!(head.content_length(), Some(3));
    }

    #[test]
    fn http_head_without_body_has_no_content_length() {
        let head = http(Request::get("/").body(()).unwrap_or_default());
        assert_eq!(head.get("CONTENT_LENGTH"), None);
        assert_eq!(head.get("SERVER_NAME"), Some("127.0.0.1"));
        assert_eq!(head.get("QUERY_STRING"), Some(""));
    }

    #[test]
    fn header_values_are_latin1() {
        let head = http(
            Request::get("/")
                .header("X-Bin", &b"caf\xe9"[..])
                .body(())
                .unwrap_or_default(),
        );
        assert_eq!(head.get("HTTP_X_BIN"), Some("caf\u{e9}"));
    }

    #[test]
    fn underscored_header_names_are_dropped_unless_kept() {
        let req = || {
            Request::post("/")
                .header("Content_Length", "-1E23")
                .header("X_Forwarded_For", "6.6.6.6")
                .header("X-Forwarded-For", "1.1.1.1")
                .header("Content-Length", "2")
                .body(())
                .unwrap_or_default()
                .into_parts()
                .0
        };
        let (head, dropped) = from_http(&req(), &conn(), false);
        assert_eq!(dropped, vec!["content_length", "x_forwarded_for"]);
        assert_eq!(head.get("HTTP_X_FORWARDED_FOR"), Some("1.1.1.1"));
        assert_eq!(head.get("HTTP_CONTENT_LENGTH"), None);
        assert_eq!(head.content_length(), Some(2));
        let (head, dropped) = from_http(&req(), &conn(), true);
        assert!(dropped.is_empty());
        // Kept, the two spellings meet in one variable, as in uWSGI.
        assert_eq!(head.get("HTTP_CONTENT_LENGTH"), Some("-1E23"));
        let forwarded = head
            .vars
            .iter()
            .filter(|(k, _)| k == "HTTP_X_FORWARDED_FOR")
            .count();
        assert_eq!(forwarded, 2);
    }

    #[test]
    fn absolute_form_takes_the_host_from_the_target() {
        let head = http(
            Request::get("http://other.example:81/p%41/q?x=1")
                .header("Host", "ignored.example")
                .body(())
                .unwrap_or_default(),
        );
        assert_eq!(head.get("PATH_INFO"), Some("/pA/q"));
        assert_eq!(head.get("REQUEST_URI"), Some("/p%41/q?x=1"));
        assert_eq!(head.get("QUERY_STRING"), Some("x=1"));
        assert_eq!(head.get("HTTP_HOST"), Some("other.example:81"));
        assert_eq!(head.get("SERVER_NAME"), Some("other.example"));
        let head = http(Request::options("*").body(()).unwrap_or_default());
        assert_eq!(head.get("PATH_INFO"), Some("*"));
        assert_eq!(head.get("REQUEST_URI"), Some("*"));
    }

    #[test]
    fn a_raw_utf8_target_is_latin1_in_the_environ() {
        let head = http(
            Request::get("/caf\u{e9}?q=\u{e9}")
                .body(())
                .unwrap_or_default(),
        );
        assert_eq!(head.get("PATH_INFO"), Some("/caf\u{c3}\u{a9}"));
        assert_eq!(
            head.get("REQUEST_URI"),
            Some("/caf\u{c3}\u{a9}?q=\u{c3}\u{a9}")
        );
        assert_eq!(head.get("QUERY_STRING"), Some("q=\u{c3}\u{a9}"));
    }

    #[test]
    fn host_names() {
        assert_eq!(host_name("[::1]:8000"), "::1");
        assert_eq!(host_name("a.b:80"), "a.b");
        assert_eq!(host_name("a.b"), "a.b");
        assert_eq!(http_var_name("x-forwarded-for"), "HTTP_X_FORWARDED_FOR");
    }

    fn s(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn uwsgi_vars_are_made_pep3333_clean() {
        let head = from_uwsgi(vec![
            s("QUERY_STRING", ""),
            s("REQUEST_METHOD", "POST"),
            s("CONTENT_TYPE", "text/plain"),
            s("CONTENT_LENGTH", "4"),
            s("HTTP_CONTENT_TYPE", "text/plain"),
            s("HTTP_CONTENT_LENGTH", "4"),
            s("REQUEST_URI", "/x"),
            s("PATH_INFO", "/x"),
            s("SERVER_NAME", "h"),
            s("SERVER_PORT", "80"),
        ]);
        assert_eq!(head.get("HTTP_CONTENT_TYPE"), None);
        assert_eq!(head.get("HTTP_CONTENT_LENGTH"), None);
        assert_eq!(head.get("SCRIPT_NAME"), Some(""));
        assert_eq!(head.content_length(), Some(4));
        assert!(!head.https);
    }

    #[test]
    fn uwsgi_empty_content_length_is_absent() {
        let head = from_uwsgi(vec![s("CONTENT_LENGTH", ""), s("REQUEST_URI", "/a%20b?q")]);
        assert_eq!(head.get("CONTENT_LENGTH"), None);
        assert_eq!(head.get("PATH_INFO"), Some("/a b"));
        assert_eq!(head.get("REQUEST_METHOD"), Some("GET"));
        assert_eq!(head.get("QUERY_STRING"), Some(""));
    }

    #[test]
    fn uwsgi_scheme_and_script_name() {
        let head = from_uwsgi(vec![s("HTTPS", "on"), s("SCRIPT_NAME", "/")]);
        assert!(head.https);
        assert_eq!(head.get("SCRIPT_NAME"), Some(""));
        let head = from_uwsgi(vec![s("UWSGI_SCHEME", "https")]);
        assert!(head.https);
        let head = from_uwsgi(vec![s("SCRIPT_NAME", "/app")]);
        assert_eq!(head.get("SCRIPT_NAME"), Some("/app"));
    }
}
