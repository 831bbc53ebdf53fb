//! The running worker: what turns a forked process into a server.
//!
//! - `serve.rs`: the tokio runtime (current-thread, started after the
//!   fork), the signals, one accept loop per HTTP socket gated on a free
//!   Python thread, and the runtime's take-over of the uwsgi sockets when
//!   every Python thread is stuck;
//! - `pool.rs`: the Python threads (`threads=N`), which wait without the
//!   GIL and run one WSGI call at a time;
//! - `idle.rs`: an idle Python thread's own accept path on the uwsgi
//!   sockets (read the request, answer it directly);
//! - `listener.rs`: the inherited listen sockets and accepted streams;
//! - `gate.rs`: the accept gate (a slot per request in flight);
//! - `queue.rs`: the Python threads' job queue and its wake-up fd;
//! - `context.rs`: what every part of a running worker shares;
//! - `trim.rs`: gives the heap freed after a burst back to the kernel.
//!
//! Imports: the fronts (to serve a connection), `wsgi` (the call a Python
//! thread runs), `logging`; from the crate `config`, `contract`,
//! `protocol`, `scoreboard`.

pub(super) mod context;
pub(super) mod gate;
mod idle;
pub(super) mod listener;
mod pool;
pub(super) mod queue;
pub(super) mod serve;
mod trim;
