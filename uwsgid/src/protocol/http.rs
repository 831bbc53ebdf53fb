//! The HTTP adapter around hyper, as far as it is wire format: the app's
//! response head as a hyper response, and the short status answers the
//! HTTP front gives itself. A request's parts become the one request head
//! in [`cgi::from_http`](super::cgi::from_http); the connection loop that
//! serves them belongs to the worker.

use bytes::Bytes;
use hyper::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode, Uri};

use super::response::{ResponseHead, latin1_bytes};

/// Why a request hyper parsed is refused before it reaches the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `CONNECT`: uwsgid is an origin server, not a proxy (405).
    Connect,
    /// An authority-form target (`GET host:80`) on another method: only
    /// CONNECT may use it (RFC 9112 §3.2.3; 400).
    AuthorityForm,
    /// A target with userinfo (`http://user@host/`): RFC 9110 §4.2.4
    /// asks a recipient to treat it as an error (400).
    Userinfo,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::Connect => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::AuthorityForm | Refusal::Userinfo => StatusCode::BAD_REQUEST,
        }
    }

    /// What the log line says.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Connect => "CONNECT is not served (not a proxy)",
            Refusal::AuthorityForm => "authority-form target on a method other than CONNECT",
            Refusal::Userinfo => "userinfo in the request target",
        }
    }
}

/// Checks the method and the form of the request target (RFC 9112 §3.2):
/// origin-form (`/path`), absolute-form (`http://host/path`) and asterisk-form
/// (`OPTIONS *`) are served; CONNECT and authority-form are not.
#[inline]
pub fn check_target(method: &Method, uri: &Uri) -> Result<(), Refusal> {
    if *method == Method::CONNECT {
        return Err(Refusal::Connect);
    }
    match uri.authority() {
        None => Ok(()),
        Some(_) if uri.scheme().is_none() => Err(Refusal::AuthorityForm),
        Some(a) if a.as_str().contains('@') => Err(Refusal::Userinfo),
        Some(_) => Ok(()),
    }
}

/// The methods a 405 names (RFC 9110 §15.5.6 requires `Allow`): every
/// method goes to the app but CONNECT.
pub const ALLOWED: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE";

/// The refusal of a request as a short answer that closes the connection.
pub(crate) fn refusal<B>(refusal: Refusal, body: impl FnOnce(Bytes) -> B) -> Response<B> {
    let mut resp = simple(refusal.status(), body);
    if refusal == Refusal::Connect {
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(ALLOWED));
    }
    resp
}

/// A short plain-text answer that closes the connection; `body` turns the
/// text into the response body.
pub(crate) fn simple<B>(status: StatusCode, body: impl FnOnce(Bytes) -> B) -> Response<B> {
    let text = status.canonical_reason().unwrap_or("Error");
    let mut resp = Response::new(body(Bytes::from(text)));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(text.len()));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// The app's status and headers as a hyper response around `body` (its
/// reason phrase kept when it is not the canonical one). A header hyper
/// refuses is left out and its name given to `dropped`.
#[inline]
pub(crate) fn response<B>(
    head: ResponseHead,
    body: B,
    mut dropped: impl FnMut(&str),
) -> Response<B> {
    let mut resp = Response::new(body);
    let status = StatusCode::from_u16(head.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *resp.status_mut() = status;
    let reason = head.reason();
    if !reason.is_empty()
        && status.canonical_reason() != Some(reason)
        && let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(latin1_bytes(reason).as_ref())
    {
        resp.extensions_mut().insert(phrase);
    }
    let headers = resp.headers_mut();
    headers.reserve(head.headers.len());
    for (name, value) in &head.headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&latin1_bytes(value)),
        ) {
            (Ok(n), Ok(v)) => {
                headers.append(n, v);
            }
            _ => dropped(name),
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: Method, target: &str) -> Result<(), Refusal> {
        let uri: Uri = target.parse().unwrap_or_default();
        check_target(&method, &uri)
    }

    #[test]
    fn request_target_forms() {
        assert_eq!(check(Method::GET, "/a?b"), Ok(()));
        assert_eq!(check(Method::OPTIONS, "*"), Ok(()));
        assert_eq!(check(Method::GET, "http://h:81/p?q"), Ok(()));
        assert_eq!(
            check(Method::GET, "h.example:80"),
            Err(Refusal::AuthorityForm)
        );
        assert_eq!(check(Method::GET, "http://u@h/"), Err(Refusal::Userinfo));
        assert_eq!(
            check(Method::CONNECT, "h.example:443"),
            Err(Refusal::Connect)
        );
        assert_eq!(Refusal::Connect.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(Refusal::AuthorityForm.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn refusals_close_and_a_405_says_what_is_allowed() {
        let resp = refusal(Refusal::Connect, |b| b);
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            resp.headers().get(CONNECTION).map(|v| v.as_bytes()),
            Some(&b"close"[..])
        );
        assert_eq!(
            resp.headers().get(ALLOW).map(|v| v.as_bytes()),
            Some(ALLOWED.as_bytes())
        );
        let resp = refusal(Refusal::AuthorityForm, |b| b);
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(resp.headers().get(ALLOW).is_none());
    }
}
