//! The seed configuration (`shared/examples/uwsgi.ini`) run as root with
//! `uid = www-data`, `gid = www-data`: it daemonizes, writes the pidfile
//! and the log, chowns its unix socket, and every process runs as
//! www-data. And the clear error when www-data cannot read the Python
//! installation.
//!
//! These tests change directory modes (the CPython of these machines sits
//! under /root, which other users cannot traverse) and restore them at the
//! end; a lock keeps the two from running at the same time.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uwsgid_e2e::{DEFAULT_TIMEOUT, ModeGuard, Python, shared_dir, uwsgid_bin, venv, wait_until};

use super::*;

const WWW_DATA: u32 = 33;

/// The CPython installation the venv was made from (`home` of pyvenv.cfg,
/// without its `bin`).
fn python_prefix() -> PathBuf {
    let venv = venv().expect("the test venv");
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).expect("pyvenv.cfg");
    let home = cfg
        .lines()
        .find_map(|l| {
            l.strip_prefix("home")
                .map(|v| v.trim_start_matches([' ', '=']))
        })
        .expect("home in pyvenv.cfg");
    let home = std::fs::canonicalize(home.trim()).expect("the venv's Python exists");
    home.parent().expect("prefix").to_path_buf()
}

fn assert_root() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "these tests check uid/gid and must run as root"
    );
}

/// The master's pid from the pidfile, SIGKILLed on drop if still alive
/// (its workers and zygote die with it: parent-death signal).
struct Daemon {
    pidfile: PathBuf,
}

impl Daemon {
    fn pid(&self) -> Option<i32> {
        uwsgid_e2e::process::read_pidfile(&self.pidfile)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(pid) = self.pid().filter(|p| alive(*p)) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// Running and not a zombie.
/// Every uid and gid of `pid` (real, effective, saved, filesystem) is
/// www-data's, and no supplementary group is root's.
fn assert_runs_as_www_data(pid: i32) {
    let ids = ids_of(pid).unwrap_or_else(|| panic!("pid {pid} has a /proc/PID/status"));
    assert_eq!(ids.uids, [WWW_DATA; 4], "pid {pid}: {ids:?}");
    assert_eq!(ids.gids, [WWW_DATA; 4], "pid {pid}: {ids:?}");
    assert!(!ids.groups.contains(&0), "pid {pid}: {ids:?}");
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim_start().to_owned()))
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

/// Every descendant of `pid` (from /proc/*/task/*/children).
fn descendants(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut queue = vec![pid];
    while let Some(p) = queue.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                out.push(child);
                queue.push(child);
            }
        }
    }
    out
}

/// A request over the uwsgi protocol on a unix socket; the pid in the answer.
const UWSGI_GET: &str = r#"
import socket, sys
from rawhttp import uwsgi_packet, uwsgi_vars
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(uwsgi_packet(uwsgi_vars("GET", "/")))
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), data
print(body.decode().strip().split("=")[1])
"#;

fn uwsgi_pid(socket: &Path) -> Option<i32> {
    Python::script(UWSGI_GET)
        .arg(socket)
        .run()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The seed ini with its paths moved into `dir`, and the app it names.
fn seed_ini(dir: &Path) -> PathBuf {
    let seed = std::fs::read_to_string(shared_dir().expect("shared/").join("examples/uwsgi.ini"))
        .expect("the seed ini");
    let venv = venv().expect("the test venv");
    let mut out = String::new();
    for line in seed.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        let line = match key {
            "base" => format!("base = {}", dir.display()),
            "home" => format!("home = {}", venv.display()),
            "socket" => format!("socket={}/run/%(project).sock", dir.display()),
            "pidfile" => format!("pidfile={}/%(project)-master.pid", dir.display()),
            "daemonize" => format!("daemonize={}/log/%(project).log", dir.display()),
            _ => line.to_owned(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    // The master FIFO, made by the master after it dropped root.
    out.push_str(&format!(
        "master-fifo = {}/run/%(project).fifo\n",
        dir.display()
    ));
    let package = dir.join("mysite1/mysite1");
    std::fs::create_dir_all(&package).expect("app dir");
    std::fs::write(package.join("__init__.py"), "").expect("__init__");
    std::fs::copy(app_path("pid_app.py"), package.join("wsgi.py")).expect("app");
    for sub in ["run", "log"] {
        std::fs::create_dir_all(dir.join(sub)).expect("dir");
    }
    // Like Debian's /run/uwsgi: the app's user may create and remove there.
    nix::unistd::chown(
        &dir.join("run"),
        Some(nix::unistd::Uid::from_raw(WWW_DATA)),
        Some(nix::unistd::Gid::from_raw(WWW_DATA)),
    )
    .expect("chown run/");
    let ini = dir.join("uwsgi.ini");
    std::fs::write(&ini, out).expect("write the ini");
    ini
}

#[test]
fn the_seed_config_daemonizes_and_runs_as_www_data() {
    assert_root();
    let dir = TestDir::new().expect("temp dir");
    let mut modes = ModeGuard::new();
    for path in [
        python_prefix(),
        venv().expect("venv"),
        uwsgid_bin().expect("binary"),
        dir.path().to_path_buf(),
    ] {
        modes.traversable(&path).expect("chmod o+x");
    }
    let ini = seed_ini(dir.path());
    let pidfile = dir.join("mysite1-master.pid");
    let socket = dir.join("run/mysite1.sock");
    let log = dir.join("log/mysite1.log");
    let daemon = Daemon {
        pidfile: pidfile.clone(),
    };

    let mut launched = Command::new(uwsgid_bin().expect("binary"))
        .arg("--ini")
        .arg(&ini)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .spawn()
        .expect("uwsgid starts");
    let launched_pid = i32::try_from(launched.id()).expect("pid");
    let status = wait_until("the launched process to exit", DEFAULT_TIMEOUT, || {
        launched.try_wait().ok().flatten()
    });
    let status = match status {
        Ok(status) => status,
        Err(err) => {
            let _ = launched.kill();
            let _ = launched.wait();
            panic!("{err}: uwsgid did not return at once");
        }
    };
    assert!(status.success(), "{status}");

    let master = wait_until("the pidfile", DEFAULT_TIMEOUT, || daemon.pid())
        .expect("the daemon writes its pid");
    assert_ne!(
        master, launched_pid,
        "the pidfile holds the daemon, not the launched process"
    );
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until("two workers", DEFAULT_TIMEOUT, || {
        log_text().contains("spawned uWSGI worker 2").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", log_text()));
    assert!(alive(master), "{}", log_text());
    assert_eq!(
        std::fs::metadata(&log).expect("log").permissions().mode() & 0o777,
        0o640 & !0o022,
        "the daemon's log is created 0640 (umask 022)"
    );
    let text = log_text();
    for expected in [
        "setgid() to 33",
        "setuid() to 33",
        "spawned uWSGI master process (pid: ",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert!(
        text.contains(&format!("spawned uWSGI master process (pid: {master})")),
        "the pidfile holds the daemon's pid:\n{text}"
    );

    // Every process of the app runs as www-data.
    let served = wait_until("an answer on the socket", DEFAULT_TIMEOUT, || {
        uwsgi_pid(&socket)
    })
    .expect("served over the unix socket");
    let tree = descendants(master);
    assert!(tree.contains(&served), "{served} not in {tree:?}");
    assert!(tree.len() >= 3, "zygote and two workers: {tree:?}");
    for &pid in std::iter::once(&master).chain(tree.iter()) {
        assert_runs_as_www_data(pid);
    }
    let meta = std::fs::metadata(&socket).expect("the socket");
    assert_eq!((meta.uid(), meta.gid()), (WWW_DATA, WWW_DATA));
    assert_eq!(meta.permissions().mode() & 0o777, 0o664);
    let fifo = dir.join("run/mysite1.fifo");
    let meta = std::fs::metadata(&fifo).expect("the master fifo");
    assert_eq!((meta.uid(), meta.gid()), (WWW_DATA, WWW_DATA));
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    // `kill -HUP` reloads: a new generation of workers, still www-data,
    // under the same master.
    kill(Pid::from_raw(master), Signal::SIGHUP).expect("HUP");
    wait_until("generation 2 to take over", DEFAULT_TIMEOUT, || {
        log_text().contains("generation 2 ready in").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", log_text()));
    let fresh = wait_until("an answer from a new worker", DEFAULT_TIMEOUT, || {
        uwsgi_pid(&socket).filter(|pid| !tree.contains(pid))
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", log_text()));
    assert_runs_as_www_data(fresh);
    assert!(alive(master));

    kill(Pid::from_raw(master), Signal::SIGTERM).expect("TERM");
    wait_until("the master to exit", DEFAULT_TIMEOUT, || {
        (!alive(master)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", log_text()));
    let text = log_text();
    assert!(text.contains("goodbye to uWSGI."), "{text}");
    // vacuum: the socket goes; the pidfile stays, as uWSGI leaves it when
    // `uid` is set (the master no longer has root's rights to remove it).
    assert!(!socket.exists(), "{text}");
    assert!(!fifo.exists(), "{text}");
    assert!(text.contains("VACUUM: unix socket "), "{text}");
    assert!(pidfile.exists());
    drop(modes);
}

#[test]
fn an_unreadable_python_is_reported_clearly() {
    assert_root();
    let dir = TestDir::new().expect("temp dir");
    let mut modes = ModeGuard::new();
    modes.traversable(dir.path()).expect("chmod o+x");
    modes
        .traversable(&uwsgid_bin().expect("binary"))
        .expect("chmod o+x");
    // Others may not enter the Python installation.
    let prefix = python_prefix();
    modes.set(&prefix, |m| m & !0o007).expect("chmod");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("binary")
        .args(["--master", "--uid", "www-data", "--gid", "www-data"])
        .arg("--http-socket")
        .arg(format!("127.0.0.1:{}", free_port().expect("port")))
        .arg("--wsgi-file")
        .arg(app_path("pid_app.py"))
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("it gives up");
    assert_eq!(status.code(), Some(1));
    let log = server.log();
    let expected = "cannot read the Python installation at ";
    assert!(log.contains(expected), "{log}");
    assert!(log.contains(" as user www-data (uid 33): "), "{log}");
    assert!(log.contains("make it readable"), "{log}");
    assert!(
        log.contains(&prefix.display().to_string()),
        "names the path under {}:\n{log}",
        prefix.display()
    );
    drop(modes);
}
