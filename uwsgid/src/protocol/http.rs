//! The HTTP adapter around hyper, as far as it is wire format: the app's
//! response head as a hyper response, and the short status answers the
//! HTTP front gives itself. A request's parts become the one request head
//! in [`cgi::from_http`](super::cgi::from_http); the connection loop that
//! serves them belongs to the worker.

use bytes::Bytes;
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

use super::response::{ResponseHead, latin1_bytes};

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
