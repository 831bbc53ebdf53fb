//! The configuration engine: uWSGI's ini semantics, the environment and the
//! command line, resolved into one typed [`AppConfig`]. Pure: no tokio, no
//! pyo3, no global state.

mod app;

use std::ffi::OsString;

pub use app::{AppConfig, ListenAddr, ListenSpec, Protocol};

/// A configuration resolved for running.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub app: AppConfig,
    /// One line per warning (unknown or unimplemented option, …), each naming
    /// file, line and option.
    pub warnings: Vec<String>,
}

/// A configuration that cannot be resolved.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Resolves the command line (without the program name), uWSGI style:
/// `UWSGI_*` environment variables, then the arguments in order, `--ini`
/// files spliced in where they appear.
pub fn load_from_args(_args: &[OsString]) -> Result<Loaded, ConfigError> {
    Err(ConfigError(
        "the configuration engine is not implemented yet".into(),
    ))
}
