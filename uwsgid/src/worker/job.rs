//! The job a front hands to a Python thread: one request (the head every
//! front produces, see [`RequestHead`]) and where its response goes.

use std::time::Instant;

use tokio::sync::oneshot;

use super::body::BodySource;
use super::gate::Slot;
use super::response::Sink;
use crate::protocol::request::RequestHead;

/// One request handed to a Python thread.
pub struct Job {
    pub head: RequestHead,
    pub body: BodySource,
    /// Where the response goes (status and headers, then body chunks).
    pub reply: Sink,
    /// Holds a place in the worker's accept gate until the call is over.
    pub slot: Slot,
    /// When the request head had been read, for the request log.
    pub started: Instant,
    /// Where the body goes back once the call is over (the uwsgi front
    /// drains what the app left unread before closing the connection).
    pub body_return: Option<oneshot::Sender<BodySource>>,
}
