//! App masters that outlived a previous supervisor (it crashed, was
//! killed, or was upgraded) are found again through their control sockets
//! in `<dir of control>/apps/`, and adopted rather than started twice. An
//! app master whose ini is no longer an app under the same name is stopped;
//! a socket nobody answers on is a leftover and removed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::event_loop::{Event, Supervisor};
use super::pidfd::PidFd;
use super::registry::{Master, Wanted};
use super::status;
use crate::log::log_line;

/// How long an orphan (an app master whose app is gone) gets to stop
/// before SIGKILL: its mercy is unknown, so uWSGI's default.
const ORPHAN_MERCY: Duration = Duration::from_secs(70);

/// What answered on one app socket.
struct Found {
    name: String,
    socket: PathBuf,
    pid: u32,
    ini: PathBuf,
}

impl Supervisor {
    /// Adopts, stops or cleans up after every app master of a previous
    /// supervisor.
    pub(super) async fn adopt(&mut self) {
        let dir = app_sockets_dir(&self.paths.control);
        for socket in sockets_in(&dir) {
            let Some(name) = socket.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            match status::app_master_status(&socket).await {
                Ok(s) => self.found(Found {
                    name,
                    socket,
                    pid: s.master_pid,
                    ini: PathBuf::from(s.ini),
                }),
                Err(err) => {
                    log_line!(
                        "uwsgid: removing the stale socket {} ({err})",
                        socket.display()
                    );
                    let _ = std::fs::remove_file(&socket);
                }
            }
        }
    }

    fn found(&mut self, found: Found) {
        let Found {
            name,
            socket,
            pid,
            ini,
        } = found;
        let pidfd = match PidFd::open(pid) {
            Ok(fd) => fd,
            Err(err) => {
                log_line!(
                    "uwsgid: [{name}] {} answers for pid {pid}, which is gone ({err})",
                    socket.display()
                );
                return;
            }
        };
        let ours = self
            .registry
            .apps
            .get(&name)
            .is_some_and(|a| same_file(&a.ini, &ini) && a.master.is_none());
        if !ours {
            log_line!(
                "uwsgid: [{name}] the app master (pid {pid}) runs {}, which is no longer an app here: stopping it",
                ini.display()
            );
            stop_orphan(pid, pidfd);
            return;
        }
        self.incarnation += 1;
        let incarnation = self.incarnation;
        let Some(app) = self.registry.apps.get_mut(&name) else {
            return;
        };
        app.master = Some(Master {
            pid,
            started: Instant::now(),
            incarnation,
            kill_at: None,
        });
        log_line!("uwsgid: [{name}] adopted the running app master (pid {pid})");
        let events = self.events.clone();
        let watched = name.clone();
        tokio::spawn(async move {
            let how = match pidfd.exited().await {
                Ok(()) => "an unknown status (adopted: not a child of this uwsgid)".to_owned(),
                Err(err) => format!("an unknown status (cannot watch it: {err})"),
            };
            let _ = events.send(Event::Exited {
                name: watched,
                incarnation,
                how,
            });
        });
        if app.wanted == Wanted::Stopped {
            // Stopped on purpose while no supervisor watched.
            self.signal_stop(&name);
        }
    }
}

/// `<dir of control>/apps`.
fn app_sockets_dir(control: &Path) -> PathBuf {
    let any = uwsgid_proto::transport::app_socket(control, "x");
    any.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The `*.sock` entries of `dir` (none when it does not exist).
fn sockets_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut sockets: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sock"))
        .collect();
    sockets.sort();
    sockets
}

/// Whether two ini paths are one file (the master may report the path it
/// was given, the scan a canonical one, or the other way round).
fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// SIGTERM, then SIGKILL if it is still there after [`ORPHAN_MERCY`].
fn stop_orphan(pid: u32, pidfd: PidFd) {
    let target = Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX));
    if kill(target, Signal::SIGTERM).is_err() {
        return;
    }
    tokio::spawn(async move {
        if tokio::time::timeout(ORPHAN_MERCY, pidfd.exited())
            .await
            .is_err()
        {
            log_line!("uwsgid: the orphan app master (pid {pid}) did not stop in time: SIGKILL");
            let _ = kill(target, Signal::SIGKILL);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_found_beside_the_control_socket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let control = dir.path().join("control.sock");
        let apps = app_sockets_dir(&control);
        assert_eq!(apps, dir.path().join("apps"));
        assert!(sockets_in(&apps).is_empty());
        std::fs::create_dir(&apps).expect("mkdir");
        std::fs::write(apps.join("b.sock"), "").expect("write");
        std::fs::write(apps.join("a.sock"), "").expect("write");
        std::fs::write(apps.join("notes"), "").expect("write");
        assert_eq!(
            sockets_in(&apps),
            vec![apps.join("a.sock"), apps.join("b.sock")]
        );
    }

    #[test]
    fn a_link_and_its_target_are_one_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("t.ini");
        std::fs::write(&target, "").expect("write");
        let link = dir.path().join("l.ini");
        std::os::unix::fs::symlink(&target, &link).expect("link");
        assert!(same_file(&link, &target));
        assert!(!same_file(&link, &dir.path().join("other.ini")));
    }
}
