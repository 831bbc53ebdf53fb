//! How the one `uwsgid` binary is told what to be when a master or a
//! supervisor execs it.

use std::ffi::OsString;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Mutex;

/// Hidden first argument that runs the zygote.
pub const ZYGOTE_MODE: &str = "__zygote";
/// Hidden first argument that runs one lazy-apps worker.
pub const WORKER_MODE: &str = "__worker";
/// Hidden first argument that runs one spooler process (`SIDE_ID_VAR`
/// of `child_env` says which).
pub const SPOOLER_MODE: &str = "__spooler";
/// Hidden first argument that runs one mule (`SIDE_ID_VAR` is its id).
pub const MULE_MODE: &str = "__mule";
/// Hidden first argument that prints the man page.
pub const MAN_MODE: &str = "__man";

/// Set by the supervisor for an app master it runs as another user: the
/// descriptor of its control socket, already bound (see
/// `supervisor::spawn`).
pub const CONTROL_FD_ENV: &str = "UWSGID_CONTROL_FD";

/// The control socket inherited as [`CONTROL_FD_ENV`] names it, until the
/// app master binds its control API.
static CONTROL_FD: Mutex<Option<OwnedFd>> = Mutex::new(None);

/// At start, before any thread exists: keeps the control socket descriptor
/// [`CONTROL_FD_ENV`] names (a listening unix socket, made close-on-exec)
/// and removes the variable, so nothing the app starts sees either.
pub fn keep_inherited_control() {
    let Some(value) = std::env::var_os(CONTROL_FD_ENV) else {
        return;
    };
    // SAFETY: called first thing in `main`, while the process has a single
    // thread: nothing reads the environment concurrently.
    unsafe { std::env::remove_var(CONTROL_FD_ENV) };
    let Some(fd) = value.to_str().and_then(|v| v.parse::<i32>().ok()) else {
        return;
    };
    if fd <= 2 || !is_listening_unix_socket(fd) {
        return;
    }
    // SAFETY: the supervisor placed this descriptor for this process alone.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: F_SETFD on the descriptor just taken.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    *CONTROL_FD.lock().unwrap_or_else(|p| p.into_inner()) = Some(owned);
}

/// The inherited control socket, once.
pub fn take_inherited_control() -> Option<OwnedFd> {
    CONTROL_FD.lock().unwrap_or_else(|p| p.into_inner()).take()
}

fn is_listening_unix_socket(fd: i32) -> bool {
    let (mut domain, mut listening): (libc::c_int, libc::c_int) = (0, 0);
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes one int into each valid pointer.
    let ok = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_DOMAIN,
            (&raw mut domain).cast(),
            &mut len,
        ) == 0
            && libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_ACCEPTCONN,
                (&raw mut listening).cast(),
                &mut len,
            ) == 0
    };
    ok && domain == libc::AF_UNIX && listening == 1
}

/// Splits `--control PATH` (or `--control=PATH`) off an app master's
/// arguments; the last one given wins. It is where the app serves its control
/// API (the supervisor passes it), not a uWSGI option.
pub fn take_control(args: Vec<OsString>) -> (Option<PathBuf>, Vec<OsString>) {
    let mut control = None;
    let mut rest = Vec::with_capacity(args.len());
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--control" {
            control = iter.next().map(PathBuf::from);
        } else if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--control=")) {
            control = Some(PathBuf::from(path));
        } else {
            rest.push(arg);
        }
    }
    (control, rest)
}

/// The supervisor's directories given next to an Emperor's configuration.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SupervisorDirs {
    pub state_dir: Option<PathBuf>,
    pub log_dir: Option<PathBuf>,
}

/// Splits `--state-dir DIR` and `--log-dir DIR` (or `--x=DIR`) off the
/// arguments; the last of each wins.
pub fn take_supervisor_dirs(args: Vec<OsString>) -> (SupervisorDirs, Vec<OsString>) {
    let mut dirs = SupervisorDirs::default();
    let mut rest = Vec::with_capacity(args.len());
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        let text = arg.to_str().unwrap_or_default();
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) => (flag, Some(PathBuf::from(value))),
            None => (text, None),
        };
        let slot = match flag {
            "--state-dir" => &mut dirs.state_dir,
            "--log-dir" => &mut dirs.log_dir,
            _ => {
                rest.push(arg);
                continue;
            }
        };
        *slot = inline.or_else(|| iter.next().map(PathBuf::from));
    }
    (dirs, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supervisor_dirs_are_split_off() {
        let args = [
            "--ini",
            "e.ini",
            "--state-dir",
            "/s",
            "--log-dir=/l",
            "--x",
            "1",
        ];
        let (dirs, rest) = take_supervisor_dirs(args.iter().map(OsString::from).collect());
        assert_eq!(dirs.state_dir, Some(PathBuf::from("/s")));
        assert_eq!(dirs.log_dir, Some(PathBuf::from("/l")));
        assert_eq!(rest, ["--ini", "e.ini", "--x", "1"].map(OsString::from));
    }

    #[test]
    fn the_last_control_argument_wins_and_the_rest_is_kept() {
        let args = [
            "--ini",
            "a.ini",
            "--control",
            "/x",
            "--control=/y",
            "--http",
            ":1",
        ];
        let (control, rest) = take_control(args.iter().map(OsString::from).collect());
        assert_eq!(control, Some(PathBuf::from("/y")));
        assert_eq!(rest, ["--ini", "a.ini", "--http", ":1"]);
    }
}
