//! Command crons (`cron`, `unique-cron`, `cron2`), run by the master as
//! uWSGI 2.0.31's `uwsgi_manage_command_cron` does: once a second the local
//! time is matched against each task (`needs_run`); a match starts
//! `/bin/sh -c COMMAND` in a session of its own (as the app's user, its
//! output in the app's log, dying with the master), at most once a minute;
//! a `unique` task is not started while its previous run lives;
//! `cron-harakiri` (or `harakiri=N` of `cron2`) kills a run's process group
//! when it lasts too long. uWSGI's lines: `[uwsgi-cron] command "CMD"
//! registered as cron task`, `running "CMD" (pid N)`, `command "CMD"
//! running with pid N exited after S second(s)`, `*** HARAKIRI ON CRON
//! "CMD" (pid: N) ***`. The tasks live with the master: a reload keeps
//! them and their running commands.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::unistd::Pid;

use crate::config::{AppConfig, CronHarakiri, CronSpec, DaemonSpec};
use crate::log::log_line;
use crate::master::daemons::spawn;
use crate::master::uwsgi_signals::cron::{LocalTime, needs_execution};

/// One task and its last run.
#[derive(Debug)]
struct Task {
    spec: CronSpec,
    /// The run in progress.
    pid: Option<Pid>,
    started_at: i64,
    /// When the last run started (epoch seconds): one a minute at most.
    last_job: i64,
    /// When the run in progress is killed (epoch seconds).
    harakiri_at: Option<i64>,
    /// Gone from the configuration after a reload: kept until its run ends.
    retired: bool,
}

/// The app's command crons.
#[derive(Debug, Default)]
pub struct Crons {
    tasks: Vec<Task>,
    /// `cron-harakiri`, seconds (0: none).
    harakiri: u64,
    next_check: Option<Instant>,
}

/// Whether `spec`'s time matches `t` (uWSGI's rules, shared with the
/// signal crons: `uwsgi_signals/cron.rs`).
fn needs_run(t: LocalTime, spec: &CronSpec) -> bool {
    needs_execution(t, [spec.minute, spec.hour, spec.day, spec.month, spec.week])
}

fn epoch_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Crons {
    /// The tasks of `cfg`, announced as uWSGI announces them.
    pub fn new(cfg: &AppConfig) -> Crons {
        let tasks: Vec<Task> = cfg
            .crons
            .iter()
            .map(|spec| {
                log_line!(
                    "[uwsgi-cron] command \"{}\" registered as cron task",
                    spec.command
                );
                Task {
                    spec: spec.clone(),
                    pid: None,
                    started_at: 0,
                    last_job: 0,
                    harakiri_at: None,
                    retired: false,
                }
            })
            .collect();
        let next_check = (!tasks.is_empty()).then(Instant::now);
        Crons {
            tasks,
            harakiri: cfg.cron_harakiri,
            next_check,
        }
    }

    /// When to look next.
    pub fn next_wake(&self) -> Option<Instant> {
        self.next_check
    }

    /// Once a second: kill runs past their harakiri, start the tasks due.
    pub fn tick(&mut self, now: Instant) {
        let Some(at) = self.next_check else {
            return;
        };
        if at > now {
            return;
        }
        self.next_check = Some(now + Duration::from_secs(1));
        let secs = epoch_now();
        self.enforce(secs);
        let Some(local) = LocalTime::of(secs) else {
            return;
        };
        let default_harakiri = self.harakiri;
        for task in &mut self.tasks {
            if task.due(local, secs) {
                task.run(secs, default_harakiri);
            }
        }
    }

    fn enforce(&mut self, secs: i64) {
        for task in &mut self.tasks {
            if let (Some(pid), Some(at)) = (task.pid, task.harakiri_at)
                && at < secs
            {
                log_line!(
                    "*** HARAKIRI ON CRON \"{}\" (pid: {pid}) ***",
                    task.spec.command
                );
                spawn::signal_group(pid, libc::SIGKILL);
                task.harakiri_at = None;
            }
        }
    }

    /// A child ended: true when it was a cron run (logged).
    pub fn on_exit(&mut self, pid: Pid) -> bool {
        let Some(task) = self.tasks.iter_mut().find(|t| t.pid == Some(pid)) else {
            return false;
        };
        log_line!(
            "[uwsgi-cron] command \"{}\" running with pid {pid} exited after {} second(s)",
            task.spec.command,
            epoch_now() - task.started_at
        );
        task.pid = None;
        task.harakiri_at = None;
        self.tasks.retain(|t| !(t.retired && t.pid.is_none()));
        true
    }

    /// After a reload: the new configuration's tasks; a task that stays
    /// keeps its run and its minute, a run of a task now gone is still
    /// followed until it ends.
    pub fn reconfigure(&mut self, cfg: &AppConfig) {
        let mut next = Crons::new(cfg);
        for old in self.tasks.drain(..) {
            let same = next
                .tasks
                .iter_mut()
                .find(|t| t.spec == old.spec && t.pid.is_none() && t.last_job == 0);
            match same {
                Some(task) if !old.retired => *task = old,
                _ if old.pid.is_some() => next.tasks.push(Task {
                    retired: true,
                    ..old
                }),
                _ => {}
            }
        }
        *self = next;
    }
}

impl Task {
    /// Whether to start it now: its time matches, it has not run this
    /// minute, and (`unique`) its previous run is over.
    fn due(&self, local: LocalTime, secs: i64) -> bool {
        let still_running = self.spec.unique && self.pid.is_some();
        !(self.retired || still_running)
            && needs_run(local, &self.spec)
            && secs - self.last_job >= 60
    }

    fn run(&mut self, secs: i64, default_harakiri: u64) {
        // uWSGI counts the minute as done even when the start failed.
        self.last_job = secs;
        let daemon = DaemonSpec::new(&self.spec.command);
        match spawn::spawn(&daemon, false) {
            Ok(pid) => {
                log_line!("[uwsgi-cron] running \"{}\" (pid {pid})", self.spec.command);
                self.pid = Some(pid);
                self.started_at = secs;
                let limit = match self.spec.harakiri {
                    CronHarakiri::Default => default_harakiri,
                    CronHarakiri::Never => 0,
                    CronHarakiri::Secs(n) => n,
                };
                self.harakiri_at = (limit > 0)
                    .then(|| secs.saturating_add(i64::try_from(limit).unwrap_or(i64::MAX)));
            }
            Err(err) => log_line!(
                "[uwsgi-cron] unable to run \"{}\": {err}",
                self.spec.command
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(minute: i32, hour: i32, day: i32, month: i32, week: i32) -> CronSpec {
        CronSpec {
            minute,
            hour,
            day,
            month,
            week,
            command: "true".into(),
            unique: false,
            harakiri: CronHarakiri::Default,
        }
    }

    const AT: LocalTime = LocalTime {
        minute: 30,
        hour: 4,
        mday: 15,
        month: 6,
        wday: 3,
    };

    #[test]
    fn a_task_matches_by_its_five_fields() {
        assert!(needs_run(AT, &spec(-15, -2, -5, -3, -3)));
        assert!(!needs_run(AT, &spec(31, 4, -1, 6, -1)));
        assert!(
            needs_run(AT, &spec(30, 4, 1, 6, 3)),
            "weekday ORed with day"
        );
    }

    #[test]
    fn a_task_runs_once_a_minute_and_a_unique_one_not_while_running() {
        let mut task = Task {
            spec: spec(-1, -1, -1, -1, -1),
            pid: None,
            started_at: 0,
            last_job: 1_000,
            harakiri_at: None,
            retired: false,
        };
        assert!(!task.due(AT, 1_059), "the same minute");
        assert!(task.due(AT, 1_060));
        task.pid = Some(Pid::from_raw(42));
        assert!(task.due(AT, 1_060), "a plain task overlaps its last run");
        task.spec.unique = true;
        assert!(!task.due(AT, 1_060), "a unique one does not");
        task.pid = None;
        task.retired = true;
        assert!(!task.due(AT, 1_060), "a retired one never");
    }
}
