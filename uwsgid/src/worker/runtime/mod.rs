//! The running worker: what turns a forked process into a server.
//!
//! - `serve.rs`: the tokio runtime (current-thread, started after the
//!   fork), the signals, one accept loop per HTTP socket and one on the
//!   hand-off queue, each gated on a free Python thread;
//! - `stuck.rs`: tells when every Python thread has been in the same
//!   request for a while (the worker then takes nothing and passes its idle
//!   keep-alive connections on);
//! - `handoff.rs`: passing connections between sibling workers;
//! - `passable.rs`: the I/O under hyper that lets a connection leave it at
//!   a request boundary;
//! - `pool.rs`: the Python threads (`threads=N`), which wait without the
//!   GIL and run one WSGI call at a time;
//! - `idle.rs`: an idle Python thread's own accept path on the uwsgi
//!   sockets (read the request, answer it directly);
//! - `listener.rs`: the inherited listen sockets and accepted streams;
//! - `gate.rs`: the accept gate (a slot per request in flight);
//! - `queue.rs`: the Python threads' job queue and its wake-up fd;
//! - `context.rs`: what every part of a running worker shares;
//! - `trim.rs`: gives the heap freed after a burst back to the kernel;
//! - `pause.rs`: a paused app's workers take no request until it resumes.
//!
//! Imports: the fronts (to serve a connection), `wsgi` (the call a Python
//! thread runs), `logging`; from the crate `config`, `contract`,
//! `protocol`, `scoreboard`.

pub(super) mod context;
pub(super) mod gate;
pub(super) mod handoff;
mod idle;
pub(super) mod listener;
pub(super) mod passable;
mod pause;
mod pool;
pub(super) mod queue;
pub(super) mod serve;
mod stuck;
pub(super) mod trim;
