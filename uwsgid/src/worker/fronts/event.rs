//! What a Python thread tells the front about a response, in order (one
//! [`Event::Head`], then [`Event::Chunk`]s, then [`Event::End`]), and an
//! event as the bytes of a raw HTTP response, which is how a
//! uwsgi-protocol connection is answered (by the uwsgi front and by a
//! Python thread answering directly, `direct.rs`).

use std::io;

use bytes::Bytes;

use crate::protocol::response::{ResponseHead, encode_head};

/// What a Python thread tells the front, in order: one `Head`, then
/// `Chunk`s, then `End` (or `Abort` if the body cannot be completed).
#[derive(Debug)]
pub enum Event {
    /// Status and headers with the first body chunks; `done` when the body
    /// is complete (a list response: one message per request).
    Head {
        head: ResponseHead,
        body: Vec<Bytes>,
        done: bool,
    },
    Chunk(Bytes),
    End,
    /// The body failed after the headers went out: close the connection.
    Abort,
}

/// The bytes of one response event, and whether they end the response;
/// `None` at the end.
pub fn event_bytes(protocol: &str, event: Event) -> io::Result<Option<(Bytes, bool)>> {
    Ok(Some(match event {
        Event::Head { head, body, done } => {
            let size = body.iter().map(|b| b.len()).sum::<usize>();
            let mut out = Vec::with_capacity(head.wire_size() + size);
            encode_head(protocol, &head, &mut out);
            for chunk in &body {
                out.extend_from_slice(chunk);
            }
            (Bytes::from(out), done)
        }
        Event::Chunk(chunk) => (chunk, false),
        Event::End => return Ok(None),
        Event::Abort => return Err(io::Error::other("the response was aborted")),
    }))
}
