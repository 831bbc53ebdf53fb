//! Which uwsgid process serves a control socket, found from `/proc` when
//! the socket cannot be reached: a deleted socket file is not a stopped
//! server, and the way out differs (SIGHUP makes the socket again).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use uwsgid_proto::transport::default_control_socket;

/// The pid of a running uwsgid (supervisor or app master) whose control
/// socket is `socket`, if any.
pub fn serving(socket: &Path) -> Option<i32> {
    let entries = std::fs::read_dir("/proc").ok()?;
    entries.flatten().find_map(|entry| {
        let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
        let args: Vec<&OsStr> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(OsStr::from_bytes)
            .collect();
        let cwd = std::fs::read_link(entry.path().join("cwd")).ok();
        controls(&args, cwd.as_deref(), socket).then_some(pid)
    })
}

/// Whether a process started as `args` in `cwd` serves the control socket
/// `socket`: a `uwsgid` with `--control` naming it, or a supervisor without
/// `--control` when `socket` is the default one.
fn controls(args: &[&OsStr], cwd: Option<&Path>, socket: &Path) -> bool {
    let Some((program, rest)) = args.split_first() else {
        return false;
    };
    if Path::new(program).file_name() != Some(OsStr::new("uwsgid")) {
        return false;
    }
    match control_arg(rest) {
        Some(path) => {
            let path = match cwd {
                Some(cwd) if path.is_relative() => cwd.join(path),
                _ => path,
            };
            path == socket
        }
        None => is_supervisor(rest) && socket == default_control_socket(),
    }
}

/// The last `--control PATH` / `--control=PATH` of `args`.
fn control_arg(args: &[&OsStr]) -> Option<PathBuf> {
    let mut found = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if *arg == "--control" {
            found = iter.next().map(PathBuf::from);
        } else if let Some(path) = arg.as_bytes().strip_prefix(b"--control=") {
            found = Some(PathBuf::from(OsStr::from_bytes(path)));
        }
    }
    found
}

/// Supervisor mode: no uWSGI option at all, or supervisor flags only.
fn is_supervisor(args: &[&OsStr]) -> bool {
    const FLAGS: [&str; 8] = [
        "--apps-dir",
        "--control-group",
        "--state-dir",
        "--log-dir",
        "--pidfile",
        "--daemonize",
        "--scan-interval",
        "--control",
    ];
    args.iter()
        .filter_map(|a| a.to_str())
        .filter(|a| a.starts_with("--"))
        .all(|a| FLAGS.iter().any(|f| a.split('=').next() == Some(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args<'a>(words: &[&'a str]) -> Vec<&'a OsStr> {
        words.iter().map(|w| OsStr::new(*w)).collect()
    }

    #[test]
    fn an_app_master_serves_the_socket_its_control_flag_names() {
        let socket = Path::new("/srv/run/app.sock");
        let master = args(&[
            "/usr/bin/uwsgid",
            "--control",
            "/srv/run/app.sock",
            "--ini",
            "a.ini",
        ]);
        assert!(controls(&master, None, socket));
        let relative = args(&["uwsgid", "--control=run/app.sock", "--ini", "a.ini"]);
        assert!(controls(&relative, Some(Path::new("/srv")), socket));
        let other = args(&["uwsgid", "--control", "/srv/run/other.sock"]);
        assert!(!controls(&other, None, socket));
        let not_uwsgid = args(&["python3", "--control", "/srv/run/app.sock"]);
        assert!(!controls(&not_uwsgid, None, socket));
    }

    #[test]
    fn a_supervisor_without_control_serves_the_default_socket() {
        let default = default_control_socket();
        assert!(controls(&args(&["uwsgid"]), None, &default));
        assert!(controls(
            &args(&["uwsgid", "--apps-dir", "/etc/uwsgi/apps-enabled"]),
            None,
            &default
        ));
        assert!(!controls(
            &args(&["uwsgid", "--http", ":8080", "--wsgi-file", "app.py"]),
            None,
            &default
        ));
    }
}
