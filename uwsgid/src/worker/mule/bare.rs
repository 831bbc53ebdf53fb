//! A mule without a script (`mule`, `mules = N`): it waits for messages
//! on its own queue, the shared one and its farms', and calls
//! `uwsgi.mule_msg_hook(message)` with each (`uwsgidecorators` sets it to
//! run `@mulefunc` functions); without a hook it logs uWSGI's line.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::stop::Stop;
use crate::log::log_line;
use crate::worker::wsgi::uwsgi_module::{hook, mules};

/// uWSGI's buffer for one message in a bare mule.
const MESSAGE_BUFFER: usize = 65536;

/// Serves messages until SIGHUP; returns the exit code.
pub fn run(id: u32, stop: &Stop) -> i32 {
    let fds = mules::queues_of(id, true, true);
    let mut buf = vec![0u8; MESSAGE_BUFFER];
    stop.enter_loop();
    loop {
        match mules::wait_message(&fds, &mut buf, None, Some(stop.fd())) {
            Ok(Some(len)) => {
                if let Some(code) = dispatch(id, &buf[..len]) {
                    return code;
                }
            }
            Ok(None) => return 0,
            Err(err) => {
                log_line!("uwsgi_mule_handler/read(): {err}");
                return 1;
            }
        }
    }
}

/// Gives one message to the app; `Some(code)` when the hook raised
/// `SystemExit`.
fn dispatch(id: u32, message: &[u8]) -> Option<i32> {
    Python::attach(|py| match hook(py, "mule_msg_hook") {
        Ok(Some(hook)) => {
            let message = PyBytes::new(py, message);
            hook.call1((message,))
                .err()
                .and_then(|err| super::exit_code(py, err))
        }
        Ok(None) => {
            log_line!(
                "*** mule {id} received a {} bytes message ***",
                message.len()
            );
            None
        }
        Err(err) => super::exit_code(py, err),
    })
}
