//! What the supervisor does to one app: start its master, ask it to stop,
//! restart, add or remove its ini, and what follows a master's exit
//! (restart with backoff, forget, take the ini out).

use std::path::{Path, PathBuf};
use std::time::Instant;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use tonic::Status;

use super::app_ini;
use super::apps_files::{place_in_apps_dir, take_out};
use super::event_loop::{Event, STOP_MARGIN, Supervisor, unknown_app};
use super::exit_status::describe_exit;
use super::registry::{AfterExit, App, Master, Reply, Wanted};
use super::spawn::{self, Launch};
use crate::log::log_line;

/// Where removed ini files (regular files, not links) are kept.
const REMOVED_DIR: &str = "removed";

/// A master killed with SIGKILL shows "stopping" until it is reaped; this
/// far-off deadline only keeps the timer from killing it again.
const KILLED_WAIT: std::time::Duration = std::time::Duration::from_secs(3600);

impl Supervisor {
    pub(super) fn start(&mut self, name: &str, reply: Reply) {
        let Some(app) = self.registry.apps.get_mut(name) else {
            let _ = reply.send(Err(unknown_app(name)));
            return;
        };
        if let Some(err) = &app.load_error {
            let _ = reply.send(Err(Status::failed_precondition(format!(
                "{name} cannot start: {err}"
            ))));
            return;
        }
        if matches!(app.after_exit, AfterExit::Remove | AfterExit::Forget { .. }) {
            let _ = reply.send(Err(Status::failed_precondition(format!(
                "{name} is being removed"
            ))));
            return;
        }
        app.wanted = Wanted::Run;
        app.backoff.reset();
        app.restart_at = None;
        match app.master.as_ref().map(|m| (m.pid, m.kill_at.is_some())) {
            Some((_, true)) => {
                // Stopping: start again once it is gone.
                app.after_exit = AfterExit::Start;
                app.waiting.push(reply);
                self.forget_stopped(name);
            }
            Some((pid, false)) => {
                self.forget_stopped(name);
                let _ = reply.send(Ok(format!("{name} is already running (pid {pid})")));
            }
            None => {
                self.forget_stopped(name);
                let result = self.start_master(name);
                let _ = reply.send(result.map(|pid| format!("started {name} (pid {pid})")));
            }
        }
    }

    pub(super) fn start_ini(&mut self, ini: PathBuf, reply: Reply) {
        if ini.parent() == Some(self.paths.apps_dir.as_path())
            && let Some(name) = self.registry.name_of_ini(&ini)
        {
            self.start(&name, reply);
            return;
        }
        let _ = reply.send(self.add(&ini, true));
    }

    pub(super) fn stop(&mut self, name: &str, reply: Reply) {
        let Some(app) = self.registry.apps.get_mut(name) else {
            let _ = reply.send(Err(unknown_app(name)));
            return;
        };
        app.wanted = Wanted::Stopped;
        app.restart_at = None;
        if app.after_exit == AfterExit::Start {
            app.after_exit = AfterExit::Nothing;
        }
        let running = app.master.is_some();
        if running {
            app.waiting.push(reply);
        } else {
            let _ = reply.send(Ok(format!("{name} is stopped")));
        }
        self.stopped.insert(name.to_owned());
        self.save_state();
        if running {
            self.signal_stop(name);
        }
    }

    pub(super) fn restart(&mut self, name: &str, reply: Reply) {
        let Some(app) = self.registry.apps.get_mut(name) else {
            let _ = reply.send(Err(unknown_app(name)));
            return;
        };
        if app.master.is_none() {
            self.start(name, reply);
            return;
        }
        app.wanted = Wanted::Run;
        app.after_exit = AfterExit::Start;
        app.waiting.push(reply);
        self.forget_stopped(name);
        self.signal_stop(name);
    }

    pub(super) fn remove(&mut self, name: &str, reply: Reply) {
        let Some(app) = self.registry.apps.get_mut(name) else {
            let _ = reply.send(Err(unknown_app(name)));
            return;
        };
        app.wanted = Wanted::Stopped;
        app.restart_at = None;
        app.after_exit = AfterExit::Remove;
        if app.master.is_some() {
            app.waiting.push(reply);
            self.signal_stop(name);
        } else {
            let _ = reply.send(self.finish_remove(name));
        }
    }

    /// Puts `ini` (a symlink to it) into the apps directory, then starts
    /// it unless `start` is false (it is then stopped on purpose).
    pub(super) fn add(&mut self, ini: &Path, start: bool) -> Result<String, Status> {
        if !ini.is_absolute() {
            return Err(Status::invalid_argument(format!(
                "{}: the ini must be an absolute path",
                ini.display()
            )));
        }
        if !std::fs::metadata(ini).is_ok_and(|m| m.is_file()) {
            return Err(Status::invalid_argument(format!(
                "{}: no such file",
                ini.display()
            )));
        }
        let resolved =
            app_ini::resolve(ini).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let name = resolved.name;
        let file_name = ini.file_name().unwrap_or_default();
        let link = self.paths.apps_dir.join(file_name);
        if let Some(app) = self.registry.apps.get(&name).filter(|a| a.ini != link) {
            return Err(Status::invalid_argument(format!(
                "name {name} is already used by {}",
                app.ini.display()
            )));
        }
        let added = place_in_apps_dir(ini, &link)?;
        if start {
            self.forget_stopped(&name);
        } else {
            self.stopped.insert(name.clone());
            self.save_state();
            if let Some(app) = self.registry.apps.get_mut(&name) {
                app.wanted = Wanted::Stopped;
            }
        }
        self.rescan();
        if start && self.registry.apps.get(&name).is_some_and(App::should_start) {
            // Already known (the file was in place): start it now.
            self.start_master(&name)?;
        }
        let what = if start { "added and started" } else { "added" };
        Ok(match added {
            true => format!("{what} {name} ({} -> {})", link.display(), ini.display()),
            false => format!("{what} {name} ({})", link.display()),
        })
    }

    /// Spawns the app's master; a failure is handled as a death (backoff).
    pub(super) fn start_master(&mut self, name: &str) -> Result<u32, Status> {
        let Some(app) = self.registry.apps.get_mut(name) else {
            return Err(unknown_app(name));
        };
        let control = uwsgid_proto::transport::app_socket(&self.paths.control, name);
        let log = spawn::log_path(&self.paths.log_dir, name);
        let vassals = &self.paths.vassals;
        let spawned = vassals
            .user_for(&app.ini)
            .map_err(spawn::SpawnError::from)
            .and_then(|user| {
                spawn::spawn(&Launch {
                    exe: &self.exe,
                    control: &control,
                    ini: &app.ini,
                    apps_dir: &self.paths.apps_dir,
                    log: &log,
                    before: &vassals.before,
                    after: &vassals.after,
                    user,
                })
            });
        let spawned = spawned.and_then(|child| match child.id() {
            Some(pid) => Ok((child, pid)),
            None => Err(spawn::SpawnError::Exec {
                exe: self.exe.clone(),
                source: std::io::Error::other("the app master exited at once"),
            }),
        });
        let (mut child, pid) = match spawned {
            Ok(ok) => ok,
            Err(err) => {
                log_line!("uwsgid: [{name}] {err}");
                app.last_error = err.to_string();
                let delay = app.backoff.on_death(std::time::Duration::ZERO);
                app.restart_at = Some(Instant::now() + delay);
                return Err(Status::internal(err.to_string()));
            }
        };
        self.incarnation += 1;
        let incarnation = self.incarnation;
        app.master = Some(Master {
            pid,
            started: Instant::now(),
            incarnation,
            kill_at: None,
        });
        log_line!(
            "uwsgid: [{name}] started the app master (pid {pid}) for {}",
            app.ini.display()
        );
        let events = self.events.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let how = match child.wait().await {
                Ok(status) => describe_exit(&status),
                Err(err) => format!("an unknown status ({err})"),
            };
            let _ = events.send(Event::Exited {
                name,
                incarnation,
                how,
            });
        });
        Ok(pid)
    }

    /// Asks the app's master to stop gracefully (SIGTERM; SIGKILL once its
    /// mercy and a margin have passed).
    pub(super) fn signal_stop(&mut self, name: &str) {
        let Some(app) = self.registry.apps.get_mut(name) else {
            return;
        };
        let mercy = app.mercy;
        let Some(master) = app.master.as_mut() else {
            return;
        };
        if master.kill_at.is_some() {
            return;
        }
        master.kill_at = Some(Instant::now() + mercy + STOP_MARGIN);
        log_line!(
            "uwsgid: [{name}] stopping the app master (pid {})",
            master.pid
        );
        if let Err(err) = kill(pid_of(master.pid), Signal::SIGTERM) {
            log_line!("uwsgid: [{name}] cannot signal pid {}: {err}", master.pid);
        }
    }

    /// SIGKILL for masters still there past their stop deadline.
    pub(super) fn kill_overdue(&mut self, now: Instant) {
        for app in self.registry.apps.values_mut() {
            let Some(master) = app.master.as_mut() else {
                continue;
            };
            if master.kill_at.is_some_and(|t| t <= now) {
                log_line!(
                    "uwsgid: [{}] the app master (pid {}) did not stop in time: SIGKILL",
                    app.name,
                    master.pid
                );
                // Its workers too: they share its process group.
                let _ = killpg(pid_of(master.pid), Signal::SIGKILL);
                let _ = kill(pid_of(master.pid), Signal::SIGKILL);
                // Its exit is still awaited; no second SIGKILL is due.
                master.kill_at = Some(now + KILLED_WAIT);
            }
        }
    }

    /// An app master ended: restart, forget or remove as decided before.
    pub(super) fn on_exit(&mut self, name: &str, incarnation: u64, how: &str) {
        let Some(app) = self.registry.apps.get_mut(name) else {
            return;
        };
        if app
            .master
            .as_ref()
            .is_none_or(|m| m.incarnation != incarnation)
        {
            return;
        }
        let Some(master) = app.master.take() else {
            return;
        };
        let asked = master.kill_at.is_some();
        let after = std::mem::take(&mut app.after_exit);
        let waiting = std::mem::take(&mut app.waiting);
        log_line!(
            "uwsgid: [{name}] the app master (pid {}) ended with {how}",
            master.pid
        );
        let answer = match after {
            AfterExit::Nothing => {
                if !asked && app.wanted == Wanted::Run && !self.shutting_down {
                    let log = spawn::log_path(&self.paths.log_dir, name);
                    app.restarts = app.restarts.saturating_add(1);
                    let delay = app.backoff.on_death(master.started.elapsed());
                    app.restart_at = Some(Instant::now() + delay);
                    app.last_error = format!(
                        "the app master ended with {how}; its log {} has more",
                        log.display()
                    );
                    log_line!("uwsgid: [{name}] restarting in {} s", delay.as_secs());
                } else {
                    app.last_error.clear();
                }
                Ok(format!("stopped {name}"))
            }
            AfterExit::Start => self
                .start_master(name)
                .map(|pid| format!("restarted {name} (pid {} -> {pid})", master.pid)),
            AfterExit::Forget { then_start } => {
                self.registry.apps.remove(name);
                if let Some(next) = then_start {
                    self.start_if_wanted(&next);
                }
                Ok(format!("stopped and forgot {name}"))
            }
            AfterExit::Remove => self.finish_remove(name),
        };
        for reply in waiting {
            let _ = reply.send(answer.clone());
        }
    }

    pub(super) fn start_if_wanted(&mut self, name: &str) {
        if self.registry.apps.get(name).is_some_and(App::should_start) {
            let _ = self.start_master(name);
        }
    }

    /// Takes the app's ini out of the apps directory and forgets the app:
    /// a symlink is unlinked, a regular file moved to `<state-dir>/removed/`.
    fn finish_remove(&mut self, name: &str) -> Result<String, Status> {
        let Some(app) = self.registry.apps.remove(name) else {
            return Err(unknown_app(name));
        };
        self.forget_stopped(name);
        let removed_dir = self.paths.state_dir.join(REMOVED_DIR);
        take_out(&app.ini, &removed_dir).map(|kept| match kept {
            None => format!("removed {name} (unlinked {})", app.ini.display()),
            Some(dest) => format!(
                "removed {name}: its ini {} was moved to {}",
                app.ini.display(),
                dest.display()
            ),
        })
    }

    /// The app is no longer stopped on purpose.
    fn forget_stopped(&mut self, name: &str) {
        if self.stopped.remove(name) {
            self.save_state();
        }
    }
}

fn pid_of(pid: u32) -> Pid {
    Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX))
}
