//! The configuration engine: uWSGI's ini semantics, the environment and the
//! command line, resolved into one typed [`AppConfig`]. Pure: no tokio, no
//! pyo3, no global state.

mod app;

pub use app::{AppConfig, ListenAddr, ListenSpec, Protocol};
