//! The worker side of uWSGI signals: this process's handlers, its pipe
//! from the master, and the thread that runs the handlers.
//!
//! Handlers registered in the zygote (at import, the common case: `@timer`
//! at module level) are inherited by every worker it forks; a `lazy-apps`
//! worker registers its own. A worker that has a handler (after its fork,
//! or when it registers one) makes a pipe and sends its write end to the
//! master with a `hello`; the master writes a signal's number into it
//! (`master/uwsgi_signals/`). One thread per worker, started then, reads
//! the pipe and runs each handler with the GIL, beside the request
//! threads: a handler never waits for a request to finish, and no request
//! thread is taken by a handler (uWSGI runs handlers on a core between
//! requests; a long handler there delays requests). An exception in a
//! handler is logged with uWSGI's line, and the worker goes on. Nothing
//! of this touches the request path.
//!
//! A mule says hello as a mule, always (the mule targets reach it even
//! before it registers a handler): a script mule runs its handlers on this
//! thread too; a bare mule's loop reads the pipe itself (`mule_pipe`,
//! `worker/mule/`) and calls [`handle`].

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Condvar, Mutex, MutexGuard};

use pyo3::prelude::*;

use crate::contract::uwsgi_signals::{self, ToMaster};
use crate::log::log_line;

/// The handlers of this process, by signal number.
static HANDLERS: Mutex<Option<HashMap<u8, Py<PyAny>>>> = Mutex::new(None);
/// The pid whose pipe is set up (a forked child has none yet).
static CHANNEL_OF: Mutex<u32> = Mutex::new(0);
/// The signals run lately, numbered, for `signal_wait`.
static RECEIVED: Mutex<Received> = Mutex::new(Received {
    next: 0,
    recent: VecDeque::new(),
});
static ARRIVED: Condvar = Condvar::new();

/// How many handled signals `signal_wait` can look back on.
const RECENT: usize = 256;

struct Received {
    next: u64,
    recent: VecDeque<(u64, u8)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keeps `handler` for `signal`; false when one is there and this is the
/// zygote (uWSGI: "you cannot re-register a signal as the master").
pub fn set_handler(signal: u8, handler: Py<PyAny>, in_zygote: bool) -> bool {
    let mut handlers = lock(&HANDLERS);
    let handlers = handlers.get_or_insert_with(HashMap::new);
    if in_zygote && handlers.contains_key(&signal) {
        return false;
    }
    handlers.insert(signal, handler);
    true
}

pub fn is_registered(signal: u8) -> bool {
    lock(&HANDLERS)
        .as_ref()
        .is_some_and(|h| h.contains_key(&signal))
}

/// After a worker's fork: its pipe, when it inherited handlers.
pub fn after_fork(wid: u32) {
    if lock(&HANDLERS).as_ref().is_some_and(|h| !h.is_empty()) {
        ensure_channel(wid);
    }
}

/// Makes this worker's pipe and its thread, once per process; false when
/// the master cannot be told (no signal socket, a full one).
pub fn ensure_channel(wid: u32) -> bool {
    let me = std::process::id();
    let mut channel = lock(&CHANNEL_OF);
    if *channel == me {
        return true;
    }
    let Some(socket) = uwsgi_signals::inherited() else {
        return false;
    };
    let (read, write) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok(ends) => ends,
        Err(err) => {
            log_line!("[uwsgi-signal] worker {wid}: cannot make the signal pipe: {err}");
            return false;
        }
    };
    let hello = ToMaster::Hello(wid).encode();
    if let Err(err) = uwsgi_signals::send(socket, &hello, Some(write.as_raw_fd())) {
        log_line!("[uwsgi-signal] worker {wid}: cannot reach the master: {err}");
        return false;
    }
    drop(write);
    let spawned = std::thread::Builder::new()
        .name("uwsgi-signals".into())
        .spawn(move || run(read, Who::Worker(wid)));
    if let Err(err) = spawned {
        log_line!("[uwsgi-signal] worker {wid}: cannot start the signal thread: {err}");
        return false;
    }
    *channel = me;
    true
}

/// Who runs the handlers: uWSGI's log lines name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Worker(u32),
    Mule(u32),
}

impl std::fmt::Display for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Who::Worker(wid) => write!(f, "worker {wid}"),
            Who::Mule(id) => write!(f, "mule {id}"),
        }
    }
}

/// A mule's pipe: made, and its write end sent to the master with a
/// `hello mule ID`; the read end is the caller's.
pub fn mule_pipe(id: u32) -> Option<OwnedFd> {
    let socket = uwsgi_signals::inherited()?;
    let (read, write) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok(ends) => ends,
        Err(err) => {
            log_line!("[uwsgi-signal] mule {id}: cannot make the signal pipe: {err}");
            return None;
        }
    };
    let hello = ToMaster::MuleHello(id).encode();
    if let Err(err) = uwsgi_signals::send(socket, &hello, Some(write.as_raw_fd())) {
        log_line!("[uwsgi-signal] mule {id}: cannot reach the master: {err}");
        return None;
    }
    Some(read)
}

/// A script mule's signal thread: its handlers run there while the script
/// runs.
pub fn start_mule_thread(id: u32) {
    let Some(read) = mule_pipe(id) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("uwsgi-signals".into())
        .spawn(move || run(read, Who::Mule(id)));
    if let Err(err) = spawned {
        log_line!("[uwsgi-signal] mule {id}: cannot start the signal thread: {err}");
    }
}

/// The signal thread: each byte from the master is a signal to handle;
/// the end of the pipe is the master's end.
fn run(pipe: OwnedFd, who: Who) {
    let mut pipe = std::fs::File::from(pipe);
    let mut buf = [0u8; 64];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => buf[..n].iter().for_each(|&signal| handle(signal, who)),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => {
                log_line!("[uwsgi-signal] {who}: read(): {err}");
                return;
            }
        }
    }
}

/// Runs the handler of `signal` with the GIL (uWSGI's line on a failure;
/// a mule's under `mule-harakiri`), then wakes `signal_wait`.
pub fn handle(signal: u8, who: Who) {
    if let Who::Mule(_) = who {
        super::mule_harakiri::arm(signal);
    }
    let handled = Python::attach(|py| {
        let handler = lock(&HANDLERS)
            .as_ref()
            .and_then(|h| h.get(&signal))
            .map(|h| h.clone_ref(py));
        let Some(handler) = handler else {
            return false;
        };
        match handler.call1(py, (signal,)) {
            Ok(_) => true,
            Err(err) => {
                err.display(py);
                false
            }
        }
    });
    match who {
        Who::Worker(wid) => {
            if !handled {
                log_line!("error managing signal {signal} on worker {wid}");
            }
            if let Some(slot) = crate::scoreboard::worker::board().and_then(|b| b.slot(wid)) {
                slot.count_signal();
            }
        }
        Who::Mule(id) => {
            super::mule_harakiri::disarm();
            if !handled {
                log_line!("error managing signal {signal} on mule {id}");
            }
        }
    }
    let mut received = lock(&RECEIVED);
    let seq = received.next;
    received.next += 1;
    if received.recent.len() == RECENT {
        received.recent.pop_front();
    }
    received.recent.push_back((seq, signal));
    ARRIVED.notify_all();
}

/// The sequence number the next signal handled will have.
pub fn mark() -> u64 {
    lock(&RECEIVED).next
}

/// Waits (the caller released the GIL) for a signal handled after `mark`,
/// `wanted` or any; returns its number.
pub fn wait_after(mark: u64, wanted: Option<u8>) -> u8 {
    let mut received = lock(&RECEIVED);
    loop {
        let found = received
            .recent
            .iter()
            .find(|&&(seq, signal)| seq >= mark && wanted.is_none_or(|w| w == signal));
        if let Some(&(_, signal)) = found {
            return signal;
        }
        received = ARRIVED.wait(received).unwrap_or_else(|p| p.into_inner());
    }
}
