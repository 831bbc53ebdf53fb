//! What an operator relies on for safety: the files uwsgid creates are not
//! writable by other users and its logs not readable by them, and nothing
//! listens on TCP unless configured. (Workers without root under `uid` are
//! checked in `limits::privileges`, the control API's refusal of
//! non-authorized peers in `operator::permissions`.)

mod files;
mod hostile;
mod tcp;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use uwsgid_e2e::{Server, ServerBuilder, TestDir, control};

/// A supervisor over `DIR/apps` (which holds the app `alpha`), its control
/// socket at `DIR/run/control.sock`; returns once `alpha` is running.
fn start_supervisor(dir: &TestDir) -> (Server, PathBuf) {
    let control = dir.join("run/control.sock");
    let supervisor = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("the uwsgid binary")
        .arg("--apps-dir")
        .arg(dir.join("apps"))
        .arg("--control")
        .arg(&control)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--log-dir")
        .arg(dir.join("log"))
        .stop_timeout(Duration::from_secs(60))
        .start()
        .expect("the supervisor starts");
    control::wait_app(&control, "alpha", Duration::from_secs(60), |a| {
        a.state == "running"
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", supervisor.log()));
    (supervisor, control)
}

/// The process's umask, read without changing it (`/proc/self/status`);
/// uwsgid inherits it from the test.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Umask:"))?.to_owned();
            u32::from_str_radix(line.split_whitespace().nth(1)?, 8).ok()
        })
        .expect("the Umask line of /proc/self/status")
}

/// The permission bits of `path`.
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Asserts that others (not the owner, not the group) cannot write `path`.
fn assert_not_world_writable(path: &Path, what: &str) {
    let m = mode(path);
    assert_eq!(m & 0o002, 0, "{what} {} is {m:o}", path.display());
}

/// Stops a supervisor gracefully, then kills whatever of its tree is left
/// (its app masters are not in its process group).
fn stop_supervisor(supervisor: uwsgid_e2e::Server) {
    let tree = uwsgid_e2e::process::descendants(supervisor.pid());
    drop(supervisor);
    for proc in tree {
        proc.kill_if_same(nix::sys::signal::Signal::SIGKILL);
    }
}
