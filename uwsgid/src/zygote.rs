//! The zygote: a single-threaded process that starts CPython, imports the app
//! once and forks workers on the master's request, so workers share the
//! imported app copy-on-write. Also the entry of a `lazy-apps` worker.

/// `uwsgid __zygote`: runs until the master closes its command pipe.
pub fn run_zygote() -> i32 {
    1
}

/// `uwsgid __worker`: one `lazy-apps` worker that imports the app itself.
pub fn run_lazy_worker() -> i32 {
    1
}
