//! Wire formats and the one request type. Pure: no sockets, no Python, and
//! nothing of the crate above it (hyper's and http's types are fine).
//!
//! - [`request`]: [`RequestHead`](request::RequestHead), the CGI variables
//!   of one request, whichever protocol carried it;
//! - [`cgi`]: those variables from an HTTP request (hyper's parts) or a
//!   uwsgi vars block, made PEP 3333 clean;
//! - [`response`]: the response head a WSGI app gives, its checks and its
//!   raw HTTP bytes;
//! - [`http`]: hyper responses from a response head;
//! - [`uwsgi`]: the uwsgi binary protocol (packet header, vars block).

pub mod cgi;
pub mod http;
pub mod mounts;
pub mod proxy_header;
pub mod request;
pub mod response;
pub mod uwsgi;
