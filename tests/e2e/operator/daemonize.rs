//! The supervisor on a host without systemd: `--daemonize LOGFILE` detaches
//! (the command returns at once), `--pidfile` names the daemon, and
//! `kill -TERM $(cat pidfile)` stops every app and removes the pidfile.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::*;
use uwsgid_e2e::process::{ProcId, descendants, read_pidfile};
use uwsgid_e2e::{run_with_timeout, uwsgid_bin, wait_until};

/// Every process of the detached daemon, SIGKILLed on drop if still alive
/// (the harness's `Server` guard cannot see a process that detached).
struct Detached {
    pidfile: PathBuf,
    seen: Vec<ProcId>,
}

impl Detached {
    fn pid(&self) -> Option<i32> {
        read_pidfile(&self.pidfile)
    }

    /// Notes the daemon and everything under it now.
    fn note(&mut self) {
        if let Some(pid) = self.pid() {
            self.seen.extend(ProcId::of(pid));
            self.seen.extend(descendants(pid));
        }
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        for proc in &self.seen {
            proc.kill_if_same(Signal::SIGKILL);
        }
    }
}

#[test]
fn daemonize_detaches_writes_the_pidfile_and_term_stops_everything() {
    let dir = TestDir::new().expect("temp dir");
    let site1 = AppSpec::new("mysite1", 1);
    std::fs::create_dir_all(dir.join("apps-enabled")).expect("apps dir");
    write_app(&dir, &site1, "");
    let control = dir.join("run/control.sock");
    let pidfile = dir.join("uwsgid.pid");
    let mut cmd = std::process::Command::new(uwsgid_bin().expect("uwsgid is built"));
    cmd.arg("--apps-dir")
        .arg(dir.join("apps-enabled"))
        .arg("--control")
        .arg(&control)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--log-dir")
        .arg(dir.join("log"))
        .arg("--pidfile")
        .arg(&pidfile)
        .arg("--daemonize")
        .arg(dir.join("uwsgid.log"))
        .env_remove("NOTIFY_SOCKET")
        .env_remove("INVOCATION_ID");
    let mut daemon = Detached {
        pidfile: pidfile.clone(),
        seen: Vec::new(),
    };
    let out = run_with_timeout(cmd, APP_TIMEOUT).expect("uwsgid --daemonize returns");
    assert!(out.status.success(), "{out:?}");
    let pid = wait_until("the pidfile", APP_TIMEOUT, || daemon.pid()).expect("pidfile");
    daemon.note();
    let app = control::wait_app(&control, "mysite1", APP_TIMEOUT, |a| a.state == "running")
        .expect("the app runs under the detached daemon");
    daemon.note();
    assert!(answers(site1.port));
    let log = std::fs::read_to_string(dir.join("uwsgid.log")).unwrap_or_default();
    assert!(!log.is_empty(), "the daemon logs to its file");

    kill(Pid::from_raw(pid), Signal::SIGTERM).expect("kill -TERM $(cat pidfile)");
    wait_until("every process to end", APP_TIMEOUT, || {
        daemon.seen.iter().all(|p| !p.is_alive()).then_some(())
    })
    .expect("TERM stops the daemon and its apps");
    assert!(ProcId::of(app.master_pid as i32).is_none_or(|p| !p.is_alive()));
    assert!(!pidfile.exists(), "the pidfile is removed at exit");
    assert!(!control.exists(), "the control socket is removed at exit");
}
