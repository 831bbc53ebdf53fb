//! Exit codes a worker or zygote ends with, as uWSGI's: the master tells a
//! failed import from a stop by them.

/// The app failed to load (uWSGI's `UWSGI_FAILED_APP_CODE`).
pub const FAILED_APP_EXIT: i32 = 22;

/// The worker was stopped by SIGTERM/SIGINT (uWSGI's `UWSGI_END_CODE`); a
/// graceful stop (SIGHUP) exits 0.
pub const END_EXIT: i32 = 30;
