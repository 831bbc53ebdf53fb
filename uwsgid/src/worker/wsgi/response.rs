//! The response side of one WSGI call: `start_response` (with PEP 3333's
//! `exc_info` rules) and the `write()` callable it returns, both methods of
//! one [`Responder`] per request, which sends the response as events
//! (`fronts/event.rs`) to where the request's job says (`fronts/job.rs`).

use std::sync::Arc;

use bytes::Bytes;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyString};
use tokio::sync::mpsc::error::TrySendError;

use crate::protocol::response::{ResponseHead, check_header, parse_status};
use crate::worker::fronts::event::Event;
use crate::worker::fronts::job::Sink;
use crate::worker::logging::write_errors;

/// `start_response` and `write` of one request.
#[pyclass(module = "uwsgid")]
pub struct Responder {
    sink: Sink,
    head: Option<ResponseHead>,
    sent: bool,
    /// The client went away: stop producing the body.
    pub gone: bool,
    /// Body bytes produced, for the request log.
    pub body_bytes: u64,
    /// `add-header`: appended to the app's headers.
    extra: Option<Arc<[(String, String)]>>,
    /// Routing's `addheader` / `delheader` for this request.
    route_add: Vec<(String, String)>,
    route_del: Vec<String>,
    /// The body was a real file sent by `wsgi.file_wrapper` (the request
    /// log's `via sendfile()`).
    pub via_sendfile: bool,
}

impl Responder {
    pub fn new(sink: Sink, extra: Option<Arc<[(String, String)]>>) -> Self {
        Responder {
            sink,
            extra,
            route_add: Vec::new(),
            route_del: Vec::new(),
            head: None,
            sent: false,
            gone: false,
            body_bytes: 0,
            via_sendfile: false,
        }
    }

    /// Routing's `addheader` and `delheader` for this request's response.
    pub fn route_headers(&mut self, add: Vec<(String, String)>, del: Vec<String>) {
        self.route_add = add;
        self.route_del = del;
    }

    /// The head, once `start_response` has been called.
    pub fn head(&self) -> Option<&ResponseHead> {
        self.head.as_ref()
    }

    pub fn headers_sent(&self) -> bool {
        self.sent
    }

    /// Sends an event, waiting without the GIL when the front is behind.
    fn send(&mut self, py: Python<'_>, event: Event) -> bool {
        if self.gone {
            return false;
        }
        let ok = match &mut self.sink {
            Sink::Direct(direct) => direct.send(py, event),
            Sink::Channel(tx) => match tx.try_send(event) {
                Ok(()) => true,
                Err(TrySendError::Closed(_)) => false,
                Err(TrySendError::Full(event)) => py.detach(|| tx.blocking_send(event)).is_ok(),
            },
        };
        self.gone = !ok;
        ok
    }

    /// Sends body bytes (with the head first if it has not gone yet).
    pub fn send_chunk(&mut self, py: Python<'_>, chunk: Bytes) -> PyResult<bool> {
        if chunk.is_empty() {
            return Ok(!self.gone);
        }
        self.body_bytes += chunk.len() as u64;
        if self.sent {
            return Ok(self.send(py, Event::Chunk(chunk)));
        }
        self.send_head(py, vec![chunk], false)
    }

    /// Ends the body: the head with `body` if nothing went out yet.
    pub fn finish(&mut self, py: Python<'_>, body: Vec<Bytes>) -> PyResult<bool> {
        self.body_bytes += body.iter().map(|b| b.len() as u64).sum::<u64>();
        if self.sent {
            for chunk in body {
                if !self.send(py, Event::Chunk(chunk)) {
                    return Ok(false);
                }
            }
            return Ok(self.send(py, Event::End));
        }
        self.send_head(py, body, true)
    }

    fn send_head(&mut self, py: Python<'_>, body: Vec<Bytes>, done: bool) -> PyResult<bool> {
        let head = self.head.clone().ok_or_else(|| {
            PyRuntimeError::new_err("the app sent a body before calling start_response()")
        })?;
        self.sent = true;
        Ok(self.send(py, Event::Head { head, body, done }))
    }

    /// The call is over: a directly written connection is closed now, not
    /// whenever Python frees this object.
    pub fn close(&mut self) {
        if let Sink::Direct(direct) = &mut self.sink {
            direct.close();
        }
    }

    /// Answers 500 if nothing went out yet, else aborts the response.
    pub fn fail(&mut self, py: Python<'_>) {
        let (head, body) = ResponseHead::internal_error();
        self.fail_with(py, head, body);
    }

    /// Answers `head` and `body` if nothing went out yet (whatever the app
    /// gave `start_response`), else aborts the response.
    pub fn fail_with(&mut self, py: Python<'_>, head: ResponseHead, body: Bytes) {
        if self.sent {
            self.send(py, Event::Abort);
            return;
        }
        self.head = Some(head.clone());
        self.sent = true;
        self.body_bytes = body.len() as u64;
        self.send(
            py,
            Event::Head {
                head,
                body: vec![body],
                done: true,
            },
        );
    }
}

/// From this size on, a bytes object of the body is sent as it is, not
/// copied: the front holds a reference to it until the bytes are written.
/// Below it, a copy costs less than the reference.
const SHARE_FROM: usize = 32 * 1024;

/// The bytes of a body chunk the app gave, as the front sends them.
pub fn body_bytes(data: &Bound<'_, PyBytes>) -> Bytes {
    let bytes = data.as_bytes();
    if bytes.len() < SHARE_FROM {
        return Bytes::copy_from_slice(bytes);
    }
    // Bytes objects are immutable; the reference is dropped without the
    // GIL by the front, and released by pyo3 on the next attach.
    Bytes::from_owner(PyBackedBytes::from(data.clone()))
}

/// Frees the body objects the fronts have sent since a Python thread last
/// attached: pyo3 defers their release to the next attach, and an idle
/// worker's threads attach only for the next request, which would keep
/// the last burst's responses (a megabyte each, say) alive until then.
/// Call it without the GIL, never from a Python thread.
pub fn release_sent_bodies() {
    Python::try_attach(|_| ());
}

/// Reads the `headers` argument: a list of `(str, str)` tuples.
fn read_headers(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(headers.len().unwrap_or(4));
    for item in headers.try_iter()? {
        let (name, value): (String, String) = item?
            .extract()
            .map_err(|_| PyTypeError::new_err("response headers must be (str, str) tuples"))?;
        check_header(&name, &value).map_err(PyValueError::new_err)?;
        out.push((name, value));
    }
    Ok(out)
}

#[pymethods]
impl Responder {
    /// PEP 3333 `start_response(status, response_headers, exc_info=None)`.
    #[pyo3(signature = (status, headers, exc_info = None))]
    fn start_response<'py>(
        slf: &Bound<'py, Self>,
        status: &Bound<'py, PyAny>,
        headers: &Bound<'py, PyAny>,
        exc_info: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let exc_info = exc_info.filter(|e| !e.is_none());
        {
            let this = slf.borrow();
            match exc_info {
                Some(info) if this.sent => {
                    // Headers already went out: re-raise the app's error.
                    return Err(PyErr::from_value(info.get_item(1)?));
                }
                None if this.head.is_some() => {
                    return Err(PyRuntimeError::new_err(
                        "start_response() called a second time without exc_info",
                    ));
                }
                _ => {}
            }
        }
        let status = status
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("the status must be a str"))?
            .to_str()?
            .to_owned();
        let code = parse_status(&status).map_err(PyValueError::new_err)?;
        let mut headers = read_headers(headers)?;
        let mut this = slf.borrow_mut();
        if let Some(extra) = &this.extra {
            headers.extend(extra.iter().cloned());
        }
        if !this.route_del.is_empty() {
            let del = &this.route_del;
            headers.retain(|(name, _)| !del.iter().any(|d| d.eq_ignore_ascii_case(name)));
        }
        headers.append(&mut this.route_add);
        this.head = Some(ResponseHead {
            code,
            status,
            headers,
        });
        drop(this);
        slf.getattr(intern!(py, "write"))
    }

    /// The `write(data)` callable `start_response` returns.
    fn write(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let data = data
            .cast::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("write() takes bytes"))?;
        if self.head.is_none() {
            return Err(PyRuntimeError::new_err(
                "write() called before start_response()",
            ));
        }
        // `disable-write-exception`: the app is not told.
        if !self.send_chunk(py, body_bytes(data))? && write_errors::raise_on_write() {
            return Err(pyo3::exceptions::PyOSError::new_err(
                "the client closed the connection",
            ));
        }
        Ok(())
    }
}
