//! The job a front hands to a Python thread: one request (the head every
//! front produces, see [`RequestHead`]) and where its response goes
//! ([`Sink`]).

use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::body::BodySource;
use super::direct::Direct;
use super::event::Event;
use crate::protocol::request::RequestHead;
use crate::worker::runtime::gate::Slot;

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

/// Where a response goes: to the front that holds the connection, or
/// straight to the socket (see `direct`).
pub enum Sink {
    Channel(mpsc::Sender<Event>),
    Direct(Direct),
}
