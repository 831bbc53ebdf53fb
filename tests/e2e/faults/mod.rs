//! Faults the server must ride through without losing more than the request
//! a fault hits: processes killed mid-request, the log file's disk full or
//! its directory removed, a client that stops reading, the fd limit reached,
//! uploads cut short while they are buffered to temporary files.
//! (Killed zygotes, app masters and supervisors are in `master::workers`,
//! `daemon::lifecycle` and `daemon::survival`; crashing apps in
//! `limits::crash_loop`.)

mod fd_exhaustion;
mod log_file;
mod post_buffer_files;
mod slow_reader;
mod worker_kill;

use std::time::Duration;

use uwsgid_e2e::{
    DEFAULT_TIMEOUT, Server, ServerBuilder, TestDir, curl, free_port, wait_http_ready,
};

/// uwsgid serving `tests/apps/fault_app.py` over `http-socket` with `ARGS`,
/// started through `wrapper` (e.g. `prlimit …`) when given; ready.
fn start_app(dir: &TestDir, wrapper: &[&str], args: &[&str]) -> (Server, u16) {
    let port = free_port().expect("a free port");
    let uwsgid = uwsgid_e2e::uwsgid_bin().expect("the uwsgid binary");
    let builder = match wrapper.split_first() {
        Some((program, rest)) => ServerBuilder::new(*program, dir.join("uwsgid.log"))
            .args(rest)
            .arg(&uwsgid),
        None => ServerBuilder::new(&uwsgid, dir.join("uwsgid.log")),
    };
    let mut server = builder
        .arg("--http-socket")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--master")
        .arg("--wsgi-file")
        .arg(uwsgid_e2e::app_path("fault_app.py"))
        .args(args)
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    (server, port)
}

/// `GET path` answered 200 within `timeout`.
fn ok(port: u16, path: &str, timeout: Duration) -> bool {
    curl(port, path)
        .timeout(timeout)
        .run()
        .is_ok_and(|r| r.status == 200)
}

/// CPU seconds (user + system) the process used so far.
fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (field(11) + field(12)) / hz
}
