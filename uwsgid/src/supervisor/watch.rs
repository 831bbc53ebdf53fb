//! Keeping the apps in step with the apps directory (every scan interval,
//! on SIGHUP and on `Rescan`): a new file starts an app, a changed file
//! reloads it gracefully through its own control API (or, if its name
//! changed, replaces it), a removed file stops it gracefully and forgets
//! it. Two files with one name: the later one is refused, and shown as
//! failed, until the name is free again.

use std::path::{Path, PathBuf};

use super::app_ini::{self, AppIni};
use super::event_loop::{Event, Supervisor};
use super::registry::{AfterExit, App, Rejected, Wanted};
use super::scan::{self, Fingerprint};
use super::status;
use crate::log::log_line;

/// What one scan did, for `Rescan`'s answer and the log.
#[derive(Debug, Default)]
struct Summary {
    added: usize,
    reloaded: usize,
    removed: usize,
    failed: usize,
}

impl Supervisor {
    /// The first scan: learns the apps without starting any (adoption
    /// comes first).
    pub(super) fn scan_without_starting(&mut self) {
        self.apply_scan(false);
    }

    /// Starts every app that should run and has no master.
    pub(super) fn start_wanted(&mut self) {
        let names: Vec<String> = self.registry.apps.keys().cloned().collect();
        for name in names {
            self.start_if_wanted(&name);
        }
    }

    /// Scans now and acts on the differences; returns what changed.
    pub(super) fn rescan(&mut self) -> String {
        let s = self.apply_scan(true);
        format!(
            "scanned {}: {} added, {} reloaded, {} removed, {} failed",
            self.paths.apps_dir.display(),
            s.added,
            s.reloaded,
            s.removed,
            s.failed
        )
    }

    fn apply_scan(&mut self, start: bool) -> Summary {
        let mut summary = Summary::default();
        let listed = match &self.paths.vassals.glob {
            Some(pattern) => scan::list_glob(pattern),
            None => scan::list(&self.paths.apps_dir),
        };
        let now = match listed {
            Ok(found) => {
                self.name_other_formats(found.other_formats);
                found.apps
            }
            Err(err) => {
                log_line!(
                    "uwsgid: cannot read the apps directory {}: {err}",
                    self.paths.apps_dir.display()
                );
                return summary;
            }
        };
        self.release_freed_names();
        let diff = scan::diff(&self.registry.known_files(), &now);
        for path in &diff.removed {
            summary.removed += usize::from(self.file_removed(path));
        }
        for path in &diff.changed {
            let print = now[path];
            if self.registry.rejected.remove(path).is_some() {
                summary.failed += usize::from(!self.file_added(path, print, start));
            } else if self.file_changed(path, print, start) {
                summary.reloaded += 1;
            }
        }
        for path in &diff.added {
            let ok = self.file_added(path, now[path], start);
            summary.added += usize::from(ok);
            summary.failed += usize::from(!ok);
        }
        summary
    }

    /// Names each vassal file of another format than ini once: uWSGI's
    /// Emperor would run it, uwsgid does not.
    fn name_other_formats(&mut self, files: Vec<PathBuf>) {
        for file in files {
            if self.other_formats_named.insert(file.clone()) {
                log_line!(
                    "uwsgid: {} is not started: uwsgid runs .ini files only (uWSGI's Emperor would read this one)",
                    file.display()
                );
            }
        }
    }

    /// Rejected files whose name is free again are forgotten, so this scan
    /// sees them as new.
    fn release_freed_names(&mut self) {
        let apps = &self.registry.apps;
        self.registry
            .rejected
            .retain(|_, r| apps.contains_key(&r.name));
    }

    /// Returns whether an app is now stopping because of it.
    fn file_removed(&mut self, path: &Path) -> bool {
        if self.registry.rejected.remove(path).is_some() {
            return false;
        }
        let Some(name) = self.registry.name_of_ini(path) else {
            return false;
        };
        let Some(app) = self.registry.apps.get_mut(&name) else {
            return false;
        };
        if matches!(app.after_exit, AfterExit::Remove | AfterExit::Forget { .. }) {
            return false;
        }
        log_line!(
            "uwsgid: [{name}] {} is gone: stopping the app",
            path.display()
        );
        app.after_exit = AfterExit::Forget { then_start: None };
        app.restart_at = None;
        if app.master.is_some() {
            self.signal_stop(&name);
        } else {
            self.registry.apps.remove(&name);
        }
        true
    }

    /// A new file: a new app, a failed one, or a refused name. Returns
    /// false when it cannot run.
    fn file_added(&mut self, path: &Path, print: Fingerprint, start: bool) -> bool {
        let resolved = app_ini::resolve(path);
        let name = match &resolved {
            Ok(ini) => ini.name.clone(),
            Err(_) => app_ini::stem(path),
        };
        if let Some(holder) = self.registry.apps.get(&name).filter(|a| a.ini != path) {
            let error = format!("name {name} is already used by {}", holder.ini.display());
            log_line!("uwsgid: {}: {error}", path.display());
            self.registry.rejected.insert(
                path.to_path_buf(),
                Rejected {
                    name,
                    fingerprint: print,
                    error,
                },
            );
            return false;
        }
        let wanted = match self.stopped.contains(&name) {
            true => Wanted::Stopped,
            false => Wanted::Run,
        };
        let mut app = App::new(name.clone(), path.to_path_buf(), print, wanted);
        let ok = resolved.is_ok();
        apply_resolution(&mut app, resolved);
        log_line!("uwsgid: [{name}] found {}", path.display());
        self.registry.apps.insert(name.clone(), app);
        if start {
            self.start_if_wanted(&name);
        }
        ok
    }

    /// A changed file: reload, start, or replace the app. Returns whether
    /// a reload was asked for.
    fn file_changed(&mut self, path: &Path, print: Fingerprint, start: bool) -> bool {
        let Some(name) = self.registry.name_of_ini(path) else {
            return false;
        };
        let resolved = app_ini::resolve(path);
        if let Ok(ini) = &resolved
            && ini.name != name
        {
            self.renamed(&name, path, print, start);
            return false;
        }
        let Some(app) = self.registry.apps.get_mut(&name) else {
            return false;
        };
        let owner_changed = app.fingerprint.owner != print.owner;
        app.fingerprint = print;
        let running = app.master.as_ref().is_some_and(|m| m.kill_at.is_none());
        if running && owner_changed && self.paths.vassals.tyrant {
            // The master runs as the old owner: a reload cannot change it.
            log_line!(
                "[emperor-tyrant] !!! permissions of vassal {} changed. stopping the instance... !!!",
                path.display()
            );
            apply_resolution(app, resolved);
            app.after_exit = AfterExit::Start;
            self.signal_stop(&name);
            return true;
        }
        match resolved {
            Err(err) if running => {
                // The running master keeps serving its current generation.
                log_line!("uwsgid: [{name}] not reloaded: {err}");
                app.last_error = format!("not reloaded: {err}");
                false
            }
            resolved => {
                apply_resolution(app, resolved);
                if running {
                    log_line!("uwsgid: [{name}] {} changed: reloading", path.display());
                    self.reload_app(&name);
                    return true;
                }
                app.restart_at = None;
                app.backoff.reset();
                if start {
                    self.start_if_wanted(&name);
                }
                false
            }
        }
    }

    /// The file now names another app: the old one stops and is
    /// forgotten, the new one starts once the old is gone (they may share
    /// sockets).
    fn renamed(&mut self, old: &str, path: &Path, print: Fingerprint, start: bool) {
        log_line!(
            "uwsgid: [{old}] {} now names another app: replacing it",
            path.display()
        );
        let pending = PathBuf::from(path);
        let Some(app) = self.registry.apps.get_mut(old) else {
            return;
        };
        app.restart_at = None;
        if app.master.is_none() {
            self.registry.apps.remove(old);
            self.file_added(&pending, print, start);
            return;
        }
        // From now on the file belongs to the new app (see App::owns_file).
        app.after_exit = AfterExit::Forget { then_start: None };
        self.signal_stop(old);
        if self.file_added(&pending, print, false)
            && let Some(new) = self.registry.name_of_ini(&pending)
            && let Some(app) = self.registry.apps.get_mut(old)
        {
            app.after_exit = AfterExit::Forget {
                then_start: Some(new),
            };
        }
    }

    /// SIGHUP: every running app reloads.
    pub(super) fn reload_all(&mut self) {
        let running: Vec<String> = self
            .registry
            .apps
            .values()
            .filter(|a| a.master.as_ref().is_some_and(|m| m.kill_at.is_none()))
            .map(|a| a.name.clone())
            .collect();
        for name in running {
            self.reload_app(&name);
        }
    }

    /// Reloads the app through its control API, in a task; the end comes
    /// back as [`Event::Reloaded`].
    pub(super) fn reload_app(&mut self, name: &str) {
        self.reloads_in_flight += 1;
        let socket = uwsgid_proto::transport::app_socket(&self.paths.control, name);
        let events = self.events.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let result = status::reload(&name, &socket, false, None)
                .await
                .map_err(|f| f.error);
            let _ = events.send(Event::Reloaded { name, result });
        });
    }

    pub(super) fn on_reloaded(&mut self, name: &str, result: Result<(), String>) {
        self.reloads_in_flight = self.reloads_in_flight.saturating_sub(1);
        let Some(app) = self.registry.apps.get_mut(name) else {
            return;
        };
        match result {
            Ok(()) => {
                log_line!("uwsgid: [{name}] reloaded");
                app.last_error.clear();
            }
            Err(err) => {
                log_line!("uwsgid: [{name}] reload failed: {err}");
                app.last_error = format!("reload failed: {err}");
            }
        }
    }
}

fn apply_resolution(app: &mut App, resolved: Result<AppIni, app_ini::IniError>) {
    match resolved {
        Ok(ini) => {
            app.mercy = ini.mercy;
            app.load_error = None;
        }
        Err(err) => {
            log_line!("uwsgid: [{}] cannot run: {err}", app.name);
            app.load_error = Some(err.to_string());
        }
    }
}
