//! [`Server`]: a guard around one spawned process and everything it starts.
//!
//! The process runs in a process group of its own, with stdout and stderr
//! appended to one log file that tests can read and grep. On drop the guard
//! ends the whole tree by pid: it notes every descendant (by parent pid and by
//! process group, from `/proc`), sends SIGTERM to the main process, SIGKILL
//! after the stop deadline, then SIGKILL to every noted process still alive
//! (workers, the zygote, anything that changed its group), and waits until
//! they are gone. Pids are matched with their start time, so a reused pid is
//! never signalled.

use std::ffi::{OsStr, OsString};
use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::paths::uwsgid_bin;
use crate::wait::wait_until;

mod procfs;

pub use procfs::{ProcId, descendants, process_group};

/// How long a stopped server gets between SIGTERM and SIGKILL by default.
const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How to start a [`Server`].
#[derive(Debug)]
pub struct ServerBuilder {
    program: PathBuf,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
    log: PathBuf,
    stop_timeout: Duration,
}

impl ServerBuilder {
    /// Runs `program`, logging to `log` (created or appended to).
    pub fn new(program: impl Into<PathBuf>, log: impl Into<PathBuf>) -> ServerBuilder {
        ServerBuilder {
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
            cwd: None,
            log: log.into(),
            stop_timeout: DEFAULT_STOP_TIMEOUT,
        }
    }

    /// Runs this build's `uwsgid`, logging to `log`.
    pub fn uwsgid(log: impl Into<PathBuf>) -> Result<ServerBuilder> {
        Ok(ServerBuilder::new(uwsgid_bin()?, log))
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// How long the process gets to exit after SIGTERM before SIGKILL.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Spawns the process in a new process group.
    pub fn start(self) -> Result<Server> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open the log {}", self.log.display()))?;
        let stderr = log.try_clone().context("cannot duplicate the log file")?;
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(stderr))
            .process_group(0);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", self.program.display()))?;
        let pid = Pid::from_raw(i32::try_from(child.id()).context("pid out of range")?);
        Ok(Server {
            child,
            pid,
            log: self.log,
            stop_timeout: self.stop_timeout,
            command: format!("{} {:?}", self.program.display(), self.args),
            stopped: None,
        })
    }
}

/// A running process tree, ended on drop (see the module doc).
#[derive(Debug)]
pub struct Server {
    child: Child,
    pid: Pid,
    log: PathBuf,
    stop_timeout: Duration,
    command: String,
    /// Set by [`Server::stop`]: the tree is gone, and its pids may be reused.
    stopped: Option<ExitStatus>,
}

impl Server {
    /// The main process's pid (the uwsgid master).
    pub fn pid(&self) -> i32 {
        self.pid.as_raw()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Everything logged so far (lossy UTF-8).
    pub fn log(&self) -> String {
        std::fs::read(&self.log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The exit status, if the main process has exited.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        self.child.try_wait().context("cannot wait for the server")
    }

    /// Waits until the main process exits, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let what = format!("{} to exit", self.command);
        let result = wait_until(&what, timeout, || self.child.try_wait().ok().flatten());
        result.with_context(|| format!("log:\n{}", self.log()))
    }

    /// Fails (with the log) when the main process has exited.
    pub fn ensure_running(&mut self) -> Result<()> {
        match self.try_wait()? {
            None => Ok(()),
            Some(status) => {
                anyhow::bail!("{} exited ({status}); log:\n{}", self.command, self.log())
            }
        }
    }

    /// Sends `signal` to the main process.
    pub fn signal(&self, signal: Signal) -> Result<()> {
        kill(self.pid, signal).with_context(|| format!("cannot send {signal} to {}", self.pid))
    }

    /// The live descendants of the main process (workers, zygote, …).
    pub fn descendants(&self) -> Vec<ProcId> {
        descendants(self.pid.as_raw())
    }

    /// Ends the whole tree now (what drop does) and returns the main
    /// process's exit status.
    pub fn stop(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.stopped {
            return Ok(status);
        }
        let mut tree = self.descendants();
        tree.extend(process_group(self.pid.as_raw()));
        let status = self.stop_main();
        // Orphans keep the group even after the main process is gone.
        tree.extend(process_group(self.pid.as_raw()));
        for proc in &tree {
            proc.kill_if_same(Signal::SIGKILL);
        }
        let gone = wait_until("the server's processes to die", self.stop_timeout, || {
            tree.iter().all(|p| !p.is_alive()).then_some(())
        });
        gone.with_context(|| format!("processes left over: {tree:?}"))?;
        let status = status?;
        self.stopped = Some(status);
        Ok(status)
    }

    fn stop_main(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        // The pid is still ours: the child has not been reaped.
        let _ = kill(self.pid, Signal::SIGTERM);
        let timeout = self.stop_timeout;
        let exited = wait_until("the server to exit after SIGTERM", timeout, || {
            self.child.try_wait().ok().flatten()
        });
        match exited {
            Ok(status) => Ok(status),
            Err(_) => {
                let _ = self.child.kill();
                self.child.wait().context("cannot reap the server")
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let result = self.stop();
        if std::thread::panicking() {
            eprintln!(
                "--- log of {} ---\n{}--- end of log ---",
                self.command,
                self.log()
            );
        }
        if let Err(err) = result {
            eprintln!("uwsgid-e2e: stopping {}: {err:#}", self.command);
        }
    }
}

/// The pid a pidfile holds, if it exists and holds one.
pub fn read_pidfile(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{ProcId, ServerBuilder};
    use crate::dir::TestDir;
    use crate::wait::{wait_for_log, wait_until};

    /// Pids a shell script wrote, one per line, once there are `n`.
    fn pids_written(path: &std::path::Path, n: usize) -> Vec<ProcId> {
        wait_until("the script's pids", Duration::from_secs(10), || {
            let text = std::fs::read_to_string(path).ok()?;
            let pids: Vec<i32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
            (pids.len() >= n).then_some(pids)
        })
        .expect("the script starts its children")
        .into_iter()
        .map(|pid| ProcId::of(pid).expect("child is running"))
        .collect()
    }

    #[test]
    fn drop_ends_children_orphans_and_escaped_sessions() {
        let dir = TestDir::new().expect("temp dir");
        let pids = dir.join("pids");
        // A child, a child in a session of its own (found by parent pid), and
        // an orphan reparented away (found by process group).
        let script = format!(
            "sleep 300 & echo $! >> {p}; setsid sleep 300 & echo $! >> {p}; \
             (sleep 300 & echo $! >> {p}); echo $$ >> {p}; wait",
            p = pids.display()
        );
        let server = ServerBuilder::new("/bin/sh", dir.join("log"))
            .args(["-c", &script])
            .start()
            .expect("sh starts");
        let procs = pids_written(&pids, 4);
        assert!(procs.iter().all(ProcId::is_alive));
        drop(server);
        let alive: Vec<_> = procs.iter().filter(|p| p.is_alive()).collect();
        assert!(alive.is_empty(), "left running after drop: {alive:?}");
    }

    #[test]
    fn sigterm_ignored_means_sigkill_after_the_deadline() {
        let dir = TestDir::new().expect("temp dir");
        let pids = dir.join("pids");
        let script = format!(
            "trap '' TERM; echo $$ > {}; while :; do sleep 1; done",
            pids.display()
        );
        let mut server = ServerBuilder::new("/bin/sh", dir.join("log"))
            .args(["-c", &script])
            .stop_timeout(Duration::from_millis(300))
            .start()
            .expect("sh starts");
        let procs = pids_written(&pids, 1);
        let started = Instant::now();
        let status = server.stop().expect("stops");
        assert!(!status.success(), "killed, not exited: {status}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!procs[0].is_alive());
    }

    #[test]
    fn log_holds_stdout_and_stderr() {
        let dir = TestDir::new().expect("temp dir");
        let mut server = ServerBuilder::new("/bin/sh", dir.join("log"))
            .args(["-c", "echo to-stdout; echo to-stderr >&2; sleep 300"])
            .start()
            .expect("sh starts");
        wait_for_log(&mut server, "to-stdout", Duration::from_secs(10)).expect("stdout logged");
        wait_for_log(&mut server, "to-stderr", Duration::from_secs(10)).expect("stderr logged");
    }

    #[test]
    fn wait_for_log_fails_fast_when_the_process_exits() {
        let dir = TestDir::new().expect("temp dir");
        let mut server = ServerBuilder::new("/bin/sh", dir.join("log"))
            .args(["-c", "echo bye; exit 3"])
            .start()
            .expect("sh starts");
        let started = Instant::now();
        let err = wait_for_log(&mut server, "never printed", Duration::from_secs(30))
            .expect_err("the process exits first");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            format!("{err:#}").contains("bye"),
            "the error shows the log: {err:#}"
        );
    }
}
