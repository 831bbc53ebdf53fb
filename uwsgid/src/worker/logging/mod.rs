//! The worker's request log: one line per request, in uWSGI's default
//! format or a compiled `log-format` (`request_log.rs`, `format.rs`,
//! `variables.rs`, `clock.rs`), for the requests `filters.rs` lets through;
//! the app's own variables and `log_this_request` (`logvars.rs`, set
//! through the `uwsgi` module); and what a client that went away is worth (`write_errors.rs`).
//!
//! Imports: `protocol` (the request and response heads) and `config` only.

mod clock;
mod filters;
mod format;
pub(super) mod logvars;
pub(super) mod request_log;
mod variables;
pub(super) mod write_errors;

/// What every child process sets up for logging before its first line:
/// `log-date`, and what a client that went away is worth.
pub fn init_process(cfg: &crate::config::AppConfig) {
    if let Some(date) = &cfg.request_logging.date {
        crate::log::set_date(date.as_deref());
    }
    let quiet = &cfg.request_logging.write_errors;
    write_errors::configure(quiet.ignore_write_errors, quiet.disable_write_exception);
}
