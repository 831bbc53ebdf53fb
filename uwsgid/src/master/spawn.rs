//! Starting children: the master execs its own binary in a hidden mode
//! (`__zygote`, or `__worker` with `lazy-apps`) with the listen sockets
//! (and the zygote's pipes, then the workers' hand-off pair) at fds 3, 4, …
//! and the configuration in the environment (layout in `super::child_env`).
//!
//! The master never forks to run Python itself: it may run threads, so the
//! only thing a child does between fork and exec is the `pre_exec` below
//! (async-signal-safe calls only).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use nix::unistd::Pid;

use super::notify::NOTIFY_VARS;
use super::sockets::{ACTIVATION_VARS, ListenSocket, SocketError, move_high};
use crate::contract::child_env::{
    CACHES_FD_VAR, CONFIG_VAR, FIRST_LISTEN_FD, LISTEN_FDS_VAR, MASTER_PID_VAR, SCOREBOARD_FD_VAR,
    SHAREDAREAS_FD_VAR, SIDE_ID_VAR, WORKER_GENERATION_VAR, WORKER_ID_VAR, ZYGOTE_FDS_VAR,
    format_fd_pair,
};
use crate::contract::handoff::{self, HANDOFF_FDS_VAR, HandoffEnds};
use crate::contract::modes::{WORKER_MODE, ZYGOTE_MODE};
use crate::contract::mule_queues::{self, MULE_FDS_VAR};
use crate::contract::side_role::SideRole;
use crate::contract::uwsgi_signals::SIGNAL_FD_VAR;
use crate::log::log_line;

/// The running binary, even after a package upgrade replaced (or deleted)
/// the file: children always run the master's own version, so both ends of
/// the zygote protocol match.
const SELF_EXE: &str = "/proc/self/exe";

/// What every child gets: the binary, the JSON config, the sockets.
#[derive(Debug)]
pub struct Spawner<'a> {
    /// The binary's path, shown as the child's `argv[0]`.
    pub exe: &'a Path,
    pub config_json: &'a str,
    pub sockets: &'a [ListenSocket],
}

/// The master's ends of a new zygote's pipes.
#[derive(Debug)]
pub struct ZygoteChild {
    pub pid: Pid,
    /// Write end of the command pipe.
    pub commands: OwnedFd,
    /// Read end of the report pipe.
    pub reports: OwnedFd,
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot create a pipe: {0}")]
    Pipe(nix::Error),
    #[error("{0}")]
    Fd(#[from] SocketError),
    #[error("cannot start {0}: {1}")]
    Exec(&'static str, std::io::Error),
}

impl Spawner<'_> {
    /// Starts a zygote (`uwsgid __zygote`) with its two pipes.
    pub fn zygote(&self) -> Result<ZygoteChild, SpawnError> {
        let (cmd_read, cmd_write) = cloexec_pipe()?;
        let (report_read, report_write) = cloexec_pipe()?;
        let cmd_read = move_high(cmd_read)?;
        let report_write = move_high(report_write)?;
        let n = self.sockets.len() as RawFd;
        let pair = format_fd_pair(FIRST_LISTEN_FD + n, FIRST_LISTEN_FD + n + 1);
        let mut command = self.command(
            ZYGOTE_MODE,
            &[cmd_read.as_raw_fd(), report_write.as_raw_fd()],
        );
        command.env(ZYGOTE_FDS_VAR, pair);
        let child = command
            .spawn()
            .map_err(|e| SpawnError::Exec("the zygote", e))?;
        // The child's ends close here, so EOF tells each side the other is gone.
        drop((cmd_read, report_write));
        Ok(ZygoteChild {
            pid: pid_of(&child),
            commands: cmd_write,
            reports: report_read,
        })
    }

    /// Starts one `lazy-apps` worker (`uwsgid __worker`) of `generation`.
    pub fn lazy_worker(&self, id: u32, generation: u64) -> Result<Pid, SpawnError> {
        let mut command = self.command(WORKER_MODE, &[]);
        command
            .env(WORKER_ID_VAR, id.to_string())
            .env(WORKER_GENERATION_VAR, generation.to_string());
        let child = command
            .spawn()
            .map_err(|e| SpawnError::Exec("a worker", e))?;
        Ok(pid_of(&child))
    }

    /// Starts a spooler process or a mule (`uwsgid __spooler`, `__mule`).
    pub fn side(&self, role: SideRole) -> Result<Pid, SpawnError> {
        let mut command = self.command(role.mode(), &[]);
        command.env(SIDE_ID_VAR, role.number().to_string());
        let what = match role {
            SideRole::Spooler(_) => "a spooler",
            SideRole::Mule(_) => "a mule",
        };
        let child = command.spawn().map_err(|e| SpawnError::Exec(what, e))?;
        Ok(pid_of(&child))
    }

    fn command(&self, mode: &str, extra_fds: &[RawFd]) -> Command {
        let mut command = Command::new(SELF_EXE);
        command.arg0(self.exe).arg(mode);
        // systemd's variables are the master's alone: a child sending to
        // NOTIFY_SOCKET would be taken for the master.
        for var in ACTIVATION_VARS.iter().chain(&NOTIFY_VARS) {
            command.env_remove(var);
        }
        command
            .env(CONFIG_VAR, self.config_json)
            .env(LISTEN_FDS_VAR, self.sockets.len().to_string())
            .env(MASTER_PID_VAR, std::process::id().to_string())
            // The master's own: /dev/null, or what it was given with
            // `honour-stdin`.
            .stdin(Stdio::inherit())
            // Its own process group: a ^C on the terminal reaches the master
            // alone, which then stops its children in order.
            .process_group(0);
        // Then the hand-off pair, the uWSGI signal socket, the scoreboard,
        // when the master has them, then the caches (`child_env`'s layout).
        let mut next = FIRST_LISTEN_FD + (self.sockets.len() + extra_fds.len()) as RawFd;
        let pair = handoff_pair().map(|ends| [ends.send.as_raw_fd(), ends.recv.as_raw_fd()]);
        if pair.is_some() {
            command.env(HANDOFF_FDS_VAR, handoff::format_fds(next, next + 1));
            next += 2;
        }
        let signals = super::uwsgi_signals::child_end().map(|fd| fd.as_raw_fd());
        if signals.is_some() {
            command.env(SIGNAL_FD_VAR, next.to_string());
            next += 1;
        }
        let board = crate::scoreboard::master()
            .and_then(|b| b.fd())
            .map(|fd| fd.as_raw_fd());
        if board.is_some() {
            command.env(SCOREBOARD_FD_VAR, next.to_string());
            next += 1;
        }
        // Then the caches, when the app has any.
        let caches = crate::cache::installed()
            .and_then(|c| c.fd())
            .map(|fd| fd.as_raw_fd());
        if caches.is_some() {
            command.env(CACHES_FD_VAR, next.to_string());
            next += 1;
        }
        // Then the sharedareas, when the app has any.
        let areas = crate::sharedarea::installed()
            .and_then(|a| a.fd())
            .map(|fd| fd.as_raw_fd());
        if areas.is_some() {
            command.env(SHAREDAREAS_FD_VAR, next.to_string());
            next += 1;
        }
        // Last, the mules' message queues, when the app has mules.
        let queues = super::mule_queues::child_fds();
        if !queues.is_empty() {
            command.env(MULE_FDS_VAR, mule_queues::format_fds(next, queues.len()));
        }
        let sources = self
            .sockets
            .iter()
            .map(|s| s.fd.as_raw_fd())
            .chain(extra_fds.iter().copied())
            .chain(pair.into_iter().flatten())
            .chain(signals)
            .chain(board)
            .chain(caches)
            .chain(areas)
            .chain(queues);
        let moves: Vec<(RawFd, RawFd)> = sources.zip(FIRST_LISTEN_FD..).collect();
        let master = nix::unistd::getpid().as_raw();
        // SAFETY: the closure only calls async-signal-safe functions (dup2,
        // prctl, getppid) and does not allocate.
        unsafe {
            command.pre_exec(move || place_fds_and_tie_to(&moves, master));
        }
        command
    }
}

/// In the child between fork and exec: put every inherited descriptor in
/// place (the sources are all at or above `HIGH_FD` and close on exec, the
/// copies do not), close whatever else the master inherited from its own
/// parent, and make the child die with the master.
fn place_fds_and_tie_to(moves: &[(RawFd, RawFd)], master: libc::pid_t) -> std::io::Result<()> {
    for &(source, target) in moves {
        // SAFETY: plain syscall; source is open, target is below HIGH_FD.
        if unsafe { libc::dup2(source, target) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    let first_free = FIRST_LISTEN_FD + moves.len() as RawFd;
    // SAFETY: plain syscalls. Descriptors the master inherited from its own
    // parent are marked close-on-exec rather than closed, so std's exec-error
    // pipe keeps working. Needs Linux 5.11; on an older kernel this fails
    // and they are merely inherited.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first_free as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        if libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        ) < 0
        {
            return Err(std::io::Error::last_os_error());
        }
        // The master may have died before the line above: then nothing
        // would ever kill this child.
        if libc::getppid() != master {
            return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
        }
    }
    Ok(())
}

/// The app's hand-off pair, made at the first spawn and kept for the
/// master's life, so every worker of every generation shares it; `None`
/// (logged once) when it cannot be made: workers then keep their
/// connections.
fn handoff_pair() -> Option<&'static HandoffEnds> {
    static PAIR: OnceLock<Option<HandoffEnds>> = OnceLock::new();
    PAIR.get_or_init(|| {
        let ends = handoff::create()
            .map_err(|err| log_line!("cannot create the workers' hand-off socket pair: {err}"))
            .ok()?;
        let high = move_high(ends.send).and_then(|send| {
            Ok(HandoffEnds {
                send,
                recv: move_high(ends.recv)?,
            })
        });
        high.map_err(|err| log_line!("cannot place the workers' hand-off socket pair: {err}"))
            .ok()
    })
    .as_ref()
}

fn cloexec_pipe() -> Result<(OwnedFd, OwnedFd), SpawnError> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(SpawnError::Pipe)
}

fn pid_of(child: &std::process::Child) -> Pid {
    // The `Child` is dropped without waiting: every child is reaped by
    // `waitpid(-1)` in `super::reap`.
    Pid::from_raw(child.id() as i32)
}
