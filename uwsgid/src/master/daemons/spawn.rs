//! Starting one attached daemon as uWSGI's `uwsgi_spawn_daemon` does:
//! `/bin/sh -c COMMAND` in a session of its own (so a stop signal reaches
//! the whole group), stdin on `/dev/null` unless told otherwise, stdout and
//! stderr the master's (the app's log), and, for a daemon without a
//! pidfile, SIGKILL when the master dies.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use nix::unistd::{Gid, Pid, Uid};

use super::super::notify::NOTIFY_VARS;
use super::super::sockets::ACTIVATION_VARS;
use crate::config::DaemonSpec;

/// The shell uWSGI runs daemons with (`uwsgi_binsh`).
const SHELL: &str = "/bin/sh";

/// Starts `spec`'s command; returns its pid.
pub fn spawn(spec: &DaemonSpec, honour_stdin: bool) -> io::Result<Pid> {
    let mut command = Command::new(SHELL);
    command.arg("-c").arg(&spec.command);
    // systemd's variables are the master's alone.
    for var in ACTIVATION_VARS.iter().chain(&NOTIFY_VARS) {
        command.env_remove(var);
    }
    if !(honour_stdin || spec.honour_stdin) {
        command.stdin(Stdio::null());
    }
    if let Some(dir) = &spec.chdir {
        command.current_dir(dir);
    }
    if let Some(gid) = spec.gid {
        command.gid(gid);
    }
    if let Some(uid) = spec.uid {
        command.uid(uid);
    }
    let tie_to_master = spec.pidfile.is_none();
    // SAFETY: setsid and prctl are async-signal-safe; nothing allocates.
    unsafe {
        command.pre_exec(move || new_session(tie_to_master));
    }
    let child = command.spawn()?;
    Ok(Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX)))
}

/// The uid and gid the daemon runs as, for the log line.
pub fn identity(spec: &DaemonSpec) -> (u32, u32) {
    (
        spec.uid.unwrap_or_else(|| Uid::current().as_raw()),
        spec.gid.unwrap_or_else(|| Gid::current().as_raw()),
    )
}

fn new_session(tie_to_master: bool) -> io::Result<()> {
    // SAFETY: plain syscalls without pointers.
    unsafe {
        if libc::setsid() < 0 {
            return Err(io::Error::last_os_error());
        }
        if tie_to_master && libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Signals the daemon's process group, or the process alone when it leads
/// none (a smart daemon's pid read from its pidfile), as uWSGI's touch does.
pub fn signal_group(pid: Pid, sig: i32) {
    // SAFETY: plain syscalls without pointers; ESRCH is harmless.
    unsafe {
        if libc::kill(-pid.as_raw(), sig) != 0 {
            libc::kill(pid.as_raw(), sig);
        }
    }
}

/// The pid a pidfile names, if that process exists (`uwsgi_check_pidfile`).
pub fn pidfile_pid(path: &std::path::Path) -> Option<Pid> {
    let text = std::fs::read_to_string(path).ok()?;
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let pid: i32 = digits.parse().ok().filter(|p| *p > 0)?;
    // SAFETY: signal 0 only checks that the process exists.
    (unsafe { libc::kill(pid, 0) } == 0).then(|| Pid::from_raw(pid))
}
