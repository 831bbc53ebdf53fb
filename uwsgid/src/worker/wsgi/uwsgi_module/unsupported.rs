//! uWSGI's functions uwsgid does not provide yet. Each exists, so a
//! library finds it where uWSGI has it, and raises
//! `uwsgi.UnsupportedError` (a `NotImplementedError`) naming itself when
//! called: "uwsgi.rpc is not supported by uwsgid". When a feature
//! comes, its names leave this list for a module of their own.

use std::ffi::CStr;

use pyo3::create_exception;
use pyo3::exceptions::PyNotImplementedError;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyModule, PyTuple};

create_exception!(
    uwsgi,
    UnsupportedError,
    PyNotImplementedError,
    "A uWSGI feature uwsgid does not provide."
);

/// By feature, the functions that raise.
pub const UNSUPPORTED: &[(&str, &[&CStr])] = &[
    ("RPC", &[c"register_rpc", c"rpc", c"rpc_list"]),
    (
        "metrics",
        &[
            c"metric_get",
            c"metric_set",
            c"metric_inc",
            c"metric_dec",
            c"metric_mul",
            c"metric_div",
            c"metric_set_max",
            c"metric_set_min",
        ],
    ),
    // The C side of a sharedarea, which Python cannot use.
    ("sharedarea objects", &[c"sharedarea_object"]),
    (
        "alarms, legion and the warning message",
        &[
            c"alarm",
            c"i_am_the_lord",
            c"lord_scroll",
            c"scrolls",
            c"set_warning_message",
        ],
    ),
    (
        "websockets",
        &[
            c"websocket_handshake",
            c"websocket_recv",
            c"websocket_recv_nb",
            c"websocket_send",
            c"websocket_send_binary",
        ],
    ),
    (
        "async, offloading and raw connection access",
        &[
            c"async_sleep",
            c"async_connect",
            c"suspend",
            c"green_schedule",
            c"wait_fd_read",
            c"wait_fd_write",
            c"ready_fd",
            c"offload",
            c"sendfile",
            c"send",
            c"recv",
            c"connect",
            c"close",
            c"connection_fd",
            c"chunked_read",
            c"chunked_read_nb",
            c"disconnect",
            c"cl",
            c"add_var",
        ],
    ),
    (
        "other uWSGI internals",
        &[
            c"listen_queue",
            c"embedded_data",
            c"extract",
            c"parsefile",
            c"call",
        ],
    ),
];

/// The docstring of each: how a listing (`docs/compatibility.md`'s test)
/// tells them from the functions uwsgid provides.
const DOC: &CStr = c"Not supported by uwsgid: raises uwsgi.UnsupportedError.";

/// The error `uwsgi.NAME` raises.
pub fn error(name: &str) -> PyErr {
    UnsupportedError::new_err(format!("uwsgi.{name} is not supported by uwsgid"))
}

pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    for (_, names) in UNSUPPORTED {
        for &name in *names {
            let text = name.to_str().unwrap_or("?");
            let raising = PyCFunction::new_closure(
                py,
                Some(name),
                Some(DOC),
                move |_: &Bound<'_, PyTuple>, _: Option<&Bound<'_, PyDict>>| -> PyResult<()> {
                    Err(error(text))
                },
            )?;
            m.add(text, raising)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_listed_once() {
        let mut names: Vec<&CStr> = UNSUPPORTED
            .iter()
            .flat_map(|(_, n)| n.iter().copied())
            .collect();
        let total = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), total);
    }
}
