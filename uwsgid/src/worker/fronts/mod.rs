//! The protocol fronts: a connection in, [`Job`](job::Job)s out to the
//! Python threads, their response [`Event`](event::Event)s back to bytes.
//!
//! - `http.rs`: the HTTP/1.1 front (`http-socket=`, `http=`), serving a
//!   connection with hyper (the hyper glue that is wire format lives in
//!   [`crate::protocol::http`]);
//! - `uwsgi.rs`: the uwsgi-protocol front (`socket=`, nginx's
//!   `uwsgi_pass`);
//! - `direct.rs`: a uwsgi response a Python thread writes to the socket
//!   itself;
//! - `job.rs`, `event.rs`: what a front hands to a Python thread and what
//!   it gets back: where the fronts and the WSGI side meet;
//! - `body.rs`, `post_buffer.rs`, `read_ahead.rs`: request bodies,
//!   streamed, buffered (`post-buffering`) or read whole before the call
//!   when small enough;
//! - `write_timeout.rs`: `socket-timeout` on the HTTP front's writes;
//! - `proxy_protocol.rs`: the PROXY header before an HTTP request;
//! - `static_files/`: `static-map` and friends, answered before a request
//!   reaches a Python thread (the HTTP, uwsgi and idle-thread paths each
//!   ask it first).
//!
//! Imports: `runtime` (the worker's context, the gate's slots, accepted
//! streams), `protocol`; never `wsgi`.

pub(super) mod body;
pub(super) mod direct;
pub(super) mod event;
pub(super) mod http;
pub(super) mod job;
mod post_buffer;
pub(super) mod proxy_protocol;
pub(super) mod read_ahead;
pub(super) mod static_files;
pub(super) mod uwsgi;
mod write_timeout;
