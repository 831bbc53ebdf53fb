//! Builds the PEP 3333 environ dict of one request from its CGI variables,
//! with the `wsgi.*` entries. Keys the fronts always set are interned once.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};
use pyo3::{PyTypeInfo, intern};

use super::errors_stream::ErrorStream;
use super::file_wrapper::FileWrapper;
use super::input::Input;
use crate::protocol::request::RequestHead;

/// The per-thread objects every environ shares.
pub struct Statics {
    version: Py<PyTuple>,
    errors: Py<ErrorStream>,
    /// `None` with `wsgi-disable-file-wrapper`.
    file_wrapper: Option<Py<PyType>>,
    multithread: bool,
    multiprocess: bool,
}

impl Statics {
    pub fn new(
        py: Python<'_>,
        threads: u32,
        processes: u32,
        file_wrapper: bool,
    ) -> PyResult<Statics> {
        Ok(Statics {
            version: PyTuple::new(py, [1, 0])?.unbind(),
            errors: Py::new(py, ErrorStream)?,
            file_wrapper: file_wrapper.then(|| FileWrapper::type_object(py).unbind()),
            multithread: threads > 1,
            multiprocess: processes > 1,
        })
    }
}

/// The key object for a CGI variable name: interned for the usual names.
fn key<'py>(py: Python<'py>, name: &str) -> Bound<'py, PyString> {
    macro_rules! interned {
        ($($k:literal),*) => {
            match name {
                $($k => intern!(py, $k).clone(),)*
                other => PyString::new(py, other),
            }
        };
    }
    interned!(
        "REQUEST_METHOD",
        "REQUEST_URI",
        "PATH_INFO",
        "QUERY_STRING",
        "SERVER_PROTOCOL",
        "SCRIPT_NAME",
        "SERVER_NAME",
        "SERVER_PORT",
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "HTTP_HOST",
        "HTTP_COOKIE",
        "HTTP_USER_AGENT",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_CONNECTION",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_REAL_IP",
        "HTTP_REFERER",
        "DOCUMENT_ROOT",
        "REQUEST_SCHEME",
        "HTTPS",
        "UWSGI_SCHEME"
    )
}

/// The environ of one request.
pub fn build<'py>(
    py: Python<'py>,
    statics: &Statics,
    head: &RequestHead,
    input: Bound<'py, Input>,
) -> PyResult<Bound<'py, PyDict>> {
    let env = PyDict::new(py);
    for (name, value) in &head.vars {
        env.set_item(key(py, name), PyString::new(py, value))?;
    }
    let scheme = if head.https {
        intern!(py, "https")
    } else {
        intern!(py, "http")
    };
    env.set_item(intern!(py, "wsgi.version"), statics.version.bind(py))?;
    env.set_item(intern!(py, "wsgi.url_scheme"), scheme)?;
    env.set_item(intern!(py, "wsgi.input"), input)?;
    env.set_item(intern!(py, "wsgi.errors"), statics.errors.bind(py))?;
    env.set_item(intern!(py, "wsgi.multithread"), statics.multithread)?;
    env.set_item(intern!(py, "wsgi.multiprocess"), statics.multiprocess)?;
    env.set_item(intern!(py, "wsgi.run_once"), false)?;
    env.set_item(intern!(py, "wsgi.input_terminated"), true)?;
    if let Some(file_wrapper) = &statics.file_wrapper {
        env.set_item(intern!(py, "wsgi.file_wrapper"), file_wrapper.bind(py))?;
    }
    Ok(env)
}
