//! Attached daemons end to end (`attach-daemon` and its family): a small
//! Python worker (the celery case: it writes a heartbeat file) run by a
//! real `uwsgid --ini app.ini --control ctl.sock`, killed, restarted,
//! reloaded around and stopped with the app, checked by pid through `/proc`,
//! the log and the control API. The log lines are uWSGI 2.0.31's, as it
//! printed them for the same configurations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uwsgid_e2e::control::{start_ini, status, wait_app};
use uwsgid_e2e::process::ProcId;
use uwsgid_e2e::{
    DEFAULT_TIMEOUT, Server, ServerBuilder, TestDir, app_path, free_port, venv_python, wait_until,
};
use uwsgid_proto::v1::{AppStatus, DaemonStatus};

mod lifecycle;
mod smart;
mod status_and_uid;
mod supervised;

/// Restarts wait for a back-off and a loaded machine: generous.
const WAIT: Duration = Duration::from_secs(60);

/// The worker: writes `PID COUNT` to the file in argv[1] every 0.1 s.
const WORKER: &str = r#"
import os, sys, time
path = sys.argv[1]
n = 0
while True:
    n += 1
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d" % (os.getpid(), n))
    os.replace(tmp, path)
    time.sleep(0.1)
"#;

/// An app master with daemons: its directory and control socket.
struct App {
    server: Server,
    control: PathBuf,
    dir: TestDir,
}

impl App {
    /// Writes `worker.py` and `app.ini` (an HTTP app, then `extra`, where
    /// `{dir}` stands for the test directory and `{worker}` for the command
    /// running the worker) and starts uwsgid with a control socket; waits
    /// until the app runs.
    fn start(extra: &str) -> App {
        let app = App::launch(extra);
        app.wait(|a| a.state == "running");
        app
    }

    /// Like [`App::start`], without waiting.
    fn launch(extra: &str) -> App {
        App::launch_in(TestDir::new().expect("temp dir"), extra)
    }

    /// Like [`App::launch`], in `dir`.
    fn launch_in(dir: TestDir, extra: &str) -> App {
        dir.write("worker.py", WORKER).expect("write worker.py");
        let port = free_port().expect("a free port");
        let extra = expand(extra, dir.path());
        let ini = format!(
            "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n{extra}\n",
            app_path("pid_app.py").display()
        );
        dir.write("app.ini", ini).expect("write app.ini");
        let (server, control) = start_ini(&dir).expect("uwsgid starts");
        App {
            server,
            control,
            dir,
        }
    }

    fn wait(&self, pred: impl Fn(&AppStatus) -> bool) -> AppStatus {
        wait_app(&self.control, "app", WAIT, pred)
            .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.server.log()))
    }

    /// Waits until daemon `i` (config order) satisfies `pred`.
    fn wait_daemon(&self, i: usize, pred: impl Fn(&DaemonStatus) -> bool) -> DaemonStatus {
        let app = self.wait(|a| a.daemons.get(i).is_some_and(&pred));
        app.daemons[i].clone()
    }

    fn daemons(&self) -> Vec<DaemonStatus> {
        let mut apps = status(&self.control).expect("status");
        assert_eq!(apps.len(), 1, "{apps:?}");
        apps.remove(0).daemons
    }

    fn log(&self) -> String {
        self.server.log()
    }

    /// Waits for `pattern` to appear in the log `n` times.
    fn wait_log(&self, pattern: &str, n: usize) {
        let found = wait_until(&format!("{n}× {pattern:?} in the log"), WAIT, || {
            (self.log().matches(pattern).count() >= n).then_some(())
        });
        found.unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.log()));
    }

    /// Waits until the heartbeat file `name` is written by a live process
    /// other than `not`; returns its pid.
    fn heartbeat(&self, name: &str, not: Option<i32>) -> i32 {
        let path = self.dir.join(name);
        let found = wait_until("a live heartbeat", WAIT, || {
            let pid = heartbeat_pid(&path)?;
            (Some(pid) != not && alive(pid)).then_some(pid)
        });
        found.unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.log()))
    }

    /// Sends `signal` to the master and waits for exit code 0.
    fn stop(mut self, signal: Signal) -> String {
        self.server.signal(signal).expect("signal the master");
        let status = self.server.wait_exit(WAIT).expect("the master exits");
        let log = self.server.log();
        assert_eq!(status.code(), Some(0), "{log}");
        assert!(log.contains("goodbye to uWSGI."), "{log}");
        log
    }
}

/// `{dir}` → the test directory, `{worker}` → `PYTHON DIR/worker.py`.
fn expand(text: &str, dir: &Path) -> String {
    let python = venv_python().expect("the test venv's python");
    let worker = format!("{} {}/worker.py", python.display(), dir.display());
    text.replace("{worker}", &worker)
        .replace("{dir}", &dir.display().to_string())
}

/// The pid in a heartbeat file.
fn heartbeat_pid(path: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Running and not a zombie.
fn alive(pid: i32) -> bool {
    ProcId::of(pid).is_some_and(|p| p.is_alive())
}

/// The parent pid of `pid` (`/proc/PID/stat`).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')')
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Waits until `pid` is gone.
fn wait_gone(pid: i32, log: &str) {
    wait_until(&format!("pid {pid} to end"), DEFAULT_TIMEOUT, || {
        (!alive(pid)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{log}"));
}

/// SIGKILLs a process the test leaves running on purpose (a smart daemon
/// outlives its app) when dropped.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(p) = ProcId::of(self.0) {
            p.kill_if_same(Signal::SIGKILL);
        }
    }
}

fn kill_pid(pid: i32, signal: Signal) {
    kill(Pid::from_raw(pid), signal).expect("signal the daemon");
}
