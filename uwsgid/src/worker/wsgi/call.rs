//! One WSGI call on a Python thread: environ, `app(environ,
//! start_response)`, the response iterable sent to the front, `close()`
//! always called, an exception answered with 500 and its traceback logged,
//! then the request log line.

use bytes::Bytes;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use super::app::App;
use super::environ::{self, Statics};
use super::file_wrapper::{FileWrapper, send_real_file};
use super::input::Input;
use super::response::{Responder, body_bytes};
use crate::log::log_line;
use crate::protocol::request::RequestHead;
use crate::protocol::response::ResponseHead;
use crate::scoreboard;
use crate::worker::fronts::body::{self, BodyFault, BodySource};
use crate::worker::fronts::job::Job;
use crate::worker::logging::logvars;
use crate::worker::logging::request_log::{Entry, RequestLog};
use crate::worker::routing::Answer;
use crate::worker::runtime::context::WorkerCtx;

/// Runs one request to its end. Never fails: errors become a 500 (or an
/// aborted response) and a log entry.
pub fn run(py: Python<'_>, ctx: &WorkerCtx, statics: &Statics, app: &App, job: Job, core: usize) {
    let Job {
        mut head,
        body,
        reply,
        slot,
        started,
        body_return,
    } = job;
    // uWSGI's order: manage-script-name, routing, then the app.
    app.manage_script_name(&mut head);
    let mut routed = ctx
        .routes
        .as_ref()
        .map(|routes| routes.apply(&mut head))
        .unwrap_or_default();
    let (served_by, app) = app.choose(py, &head).unzip();
    scoreboard::worker::request_started(core, started, &head);
    super::uwsgi_module::enter_request(core);
    // What the app left of the body goes back to the front (or is dropped).
    let give_back = |rest: BodySource| {
        if let Some(tx) = body_return {
            let _ = tx.send(rest);
        }
    };
    let responder = match Bound::new(py, Responder::new(reply, ctx.extra_headers.clone())) {
        Ok(r) => r,
        Err(err) => {
            err.display(py);
            return;
        }
    };
    if let Ok(mut r) = responder.try_borrow_mut() {
        r.route_headers(
            std::mem::take(&mut routed.add_headers),
            std::mem::take(&mut routed.del_headers),
        );
    }
    let (outcome, fault) = match routed.answer.take() {
        Some(answer) => {
            answer_route(py, &responder, answer);
            give_back(body);
            (Ok(()), None)
        }
        None => execute(py, ctx, statics, app, &head, body, &responder, give_back),
    };
    let failed = outcome.is_err() && fault.is_none();
    let read_error = fault.is_some();
    conclude(py, &responder, outcome, fault);
    let served = ctx.count_request();
    // Decided before the gate frees: a worker that retires must not accept
    // another connection (it would close it unanswered).
    ctx.check_recycle(served);
    // The Python thread is free again: let the gate accept.
    drop(slot);
    if ctx.cfg.reaper {
        reap_children();
    }
    if let Ok(r) = responder.try_borrow() {
        let head_bytes = r.head().map_or(0, |h| h.wire_size() as u64);
        scoreboard::worker::request_finished(
            core,
            started.elapsed(),
            r.body_bytes + head_bytes,
            failed,
        );
    }
    let line = responder
        .try_borrow()
        .ok()
        .filter(|_| (!ctx.log.is_off() || logvars::forced()) && !routed.no_log)
        .and_then(|r| {
            ctx.log.line(&Entry {
                head: &head,
                response: r.head(),
                body_bytes: r.body_bytes,
                elapsed: started.elapsed(),
                request_number: served,
                app: served_by,
                core,
                via_sendfile: r.via_sendfile,
                read_error,
                write_error: r.gone,
            })
        });
    logvars::end_request();
    py.detach(|| {
        if let Some(line) = line {
            RequestLog::emit(&line);
        }
    });
}

/// Answers a request routing decided on (`return`, `break`, redirects)
/// without calling the app.
fn answer_route(py: Python<'_>, responder: &Bound<'_, Responder>, answer: Answer) {
    let Ok(mut r) = responder.try_borrow_mut() else {
        return;
    };
    let mut headers = answer.headers;
    if answer.close {
        headers.push(("Connection".to_owned(), "close".to_owned()));
    }
    let head = ResponseHead {
        code: answer.code,
        status: format!("{} {}", answer.code, answer.reason),
        headers,
    };
    r.fail_with(py, head, Bytes::from(answer.body));
}

/// The client's fault found reading a body, and its description.
type Fault = (BodyFault, String);

/// Calls the app, or refuses the request without calling it; returns the
/// call's outcome and the body fault the app ran into, if any. What is left
/// of the body goes to `give_back`.
#[allow(clippy::too_many_arguments)]
fn execute(
    py: Python<'_>,
    ctx: &WorkerCtx,
    statics: &Statics,
    app: Option<&Bound<'_, PyAny>>,
    head: &RequestHead,
    body: BodySource,
    responder: &Bound<'_, Responder>,
    give_back: impl FnOnce(BodySource),
) -> (PyResult<()>, Option<Fault>) {
    if let Some(line) = body::over_limit_post(head, ctx.cfg.limit_post) {
        // The fronts refuse these before reading the body; a request a
        // Python thread read whole by itself (the idle uwsgi path) is
        // refused here, still without calling the app.
        log_line!("{line}");
        if let Ok(mut r) = responder.try_borrow_mut() {
            let (head, text) = ResponseHead::closing_error(413);
            r.fail_with(py, head, text);
        }
        give_back(body);
        return (Ok(()), None);
    }
    let Some(app) = app.filter(|app| !app.is_none()) else {
        log_line!("--- no python application found, check your startup logs for errors ---");
        if let Ok(mut r) = responder.try_borrow_mut() {
            r.fail(py);
        }
        give_back(body);
        return (Ok(()), None);
    };
    match Bound::new(py, Input::new(body, ctx.rt.clone())) {
        Ok(input) => {
            let result = call(py, statics, app, head, &input, responder);
            let fault = input.get().fault();
            give_back(input.get().release());
            (result, fault)
        }
        Err(err) => (Err(err), None),
    }
}

/// Ends the response after the call: the body fault's 4xx, or a 500 for
/// the app's exception (its traceback logged), then closes a direct
/// connection.
fn conclude(
    py: Python<'_>,
    responder: &Bound<'_, Responder>,
    outcome: PyResult<()>,
    fault: Option<Fault>,
) {
    let Ok(mut r) = responder.try_borrow_mut() else {
        if let Err(err) = outcome {
            err.display(py);
        }
        return;
    };
    match (fault, outcome) {
        (Some(fault), _) => answer_fault(py, &mut r, fault),
        (None, Err(err)) => {
            err.display(py);
            r.fail(py);
        }
        (None, Ok(())) => {}
    }
    r.close();
}

/// The client sent a body that could not be read (bad framing, cut short,
/// over `limit-post`): whatever the app made of it, the answer is the
/// fault's 4xx with `Connection: close` if nothing went out yet, else the
/// connection is closed. Logged as the client's doing, without the app's
/// traceback (the app only saw the read fail).
fn answer_fault(py: Python<'_>, responder: &mut Responder, (fault, message): Fault) {
    let status = fault.status();
    if responder.headers_sent() {
        log_line!("{message}: response aborted, connection closed");
    } else {
        log_line!("{message}: answered {status}, connection closed");
    }
    let (head, body) = ResponseHead::closing_error(status);
    responder.fail_with(py, head, body);
}

fn call(
    py: Python<'_>,
    statics: &Statics,
    app: &Bound<'_, PyAny>,
    head: &RequestHead,
    input: &Bound<'_, Input>,
    responder: &Bound<'_, Responder>,
) -> PyResult<()> {
    let environ = environ::build(py, statics, head, input.clone())?;
    let start_response = responder.getattr(intern!(py, "start_response"))?;
    let result = app.call1((environ, start_response))?;
    // The body was bad and the app answered anyway (it caught the read
    // error): its response is not sent, the caller answers the fault.
    let sent = if input.get().fault().is_some() {
        Ok(())
    } else {
        respond(py, responder, &result)
    };
    let closed = close(py, &result);
    sent.and(closed)
}

/// Calls the iterable's `close()` if it has one.
fn close(py: Python<'_>, result: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Some(close) = result.getattr_opt(intern!(py, "close"))? {
        close.call0()?;
    }
    Ok(())
}

fn to_bytes(item: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    let b = item.cast::<PyBytes>().map_err(|_| {
        PyTypeError::new_err(format!(
            "the response iterable must yield bytes, not {}",
            item.get_type()
                .name()
                .map_or_else(|_| "?".to_owned(), |n| n.to_string())
        ))
    })?;
    Ok(body_bytes(b))
}

/// Sends the response iterable to the front.
fn respond(
    py: Python<'_>,
    responder: &Bound<'_, Responder>,
    result: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // A list or tuple is complete already: one message to the front.
    if let Ok(list) = result.cast_exact::<PyList>() {
        let body = list
            .iter()
            .map(|i| to_bytes(&i))
            .collect::<PyResult<Vec<_>>>()?;
        responder.try_borrow_mut()?.finish(py, body)?;
        return Ok(());
    }
    if let Ok(tuple) = result.cast_exact::<PyTuple>() {
        let body = tuple
            .iter()
            .map(|i| to_bytes(&i))
            .collect::<PyResult<Vec<_>>>()?;
        responder.try_borrow_mut()?.finish(py, body)?;
        return Ok(());
    }
    if let Ok(wrapper) = result.cast::<FileWrapper>()
        && responder.try_borrow()?.head().is_some()
        && let Some(alive) = send_real_file(py, wrapper, responder)?
    {
        // uWSGI's `via sendfile()` (`log-sendfile`).
        responder.try_borrow_mut()?.via_sendfile = true;
        if alive {
            responder.try_borrow_mut()?.finish(py, Vec::new())?;
        }
        return Ok(());
    }
    for item in result.try_iter()? {
        let item = item?;
        let b = item
            .cast::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("the response iterable must yield bytes"))?;
        if !responder.try_borrow_mut()?.send_chunk(py, body_bytes(b))? {
            // The client went away: stop producing (close() still runs).
            return Ok(());
        }
    }
    responder.try_borrow_mut()?.finish(py, Vec::new())?;
    Ok(())
}

/// `reaper`: collects the children the app left behind (zombies), after
/// each request, as uWSGI does.
fn reap_children() {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
        if status == WaitStatus::StillAlive {
            break;
        }
    }
}
