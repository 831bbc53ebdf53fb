//! The worker's request log: one line per request, in uWSGI's format
//! (`request_log.rs`). Request-log options (`log-format`, `logger`-style
//! targets) go here.
//!
//! Imports: `protocol` (the request and response heads) only.

pub(super) mod request_log;
