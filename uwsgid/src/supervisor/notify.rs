//! systemd's notify protocol (`Type=notify`), when `NOTIFY_SOCKET` is set:
//! `READY=1` once every app that should run reports "running" (an app
//! that failed to load or keeps crashing does not hold READY back; the
//! `STATUS=` line names it), `STATUS=` lines as the apps change,
//! `RELOADING=1` with `MONOTONIC_USEC` on SIGHUP and `READY=1` when the
//! reloads are done, `STOPPING=1`, and `WATCHDOG=1` every half of
//! `WATCHDOG_USEC` from the event loop (a stuck loop stops the pings).

use std::time::Duration;

use sd_notify::NotifyState;
use uwsgid_proto::v1::AppStatus;

use crate::log::log_line;

/// What the apps that should run are doing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub running: usize,
    /// Starting, reloading or stopping: READY waits for these.
    pub waiting: usize,
    /// Failed to load, or in backoff.
    pub failed: Vec<String>,
}

impl Summary {
    /// Sums up `statuses`, counting only the apps named in `wanted`.
    pub fn of(statuses: &[AppStatus], wanted: &[String]) -> Summary {
        let mut s = Summary::default();
        for app in statuses.iter().filter(|a| wanted.contains(&a.name)) {
            match app.state.as_str() {
                "running" | "paused" => s.running += 1,
                "failed" | "backoff" => s.failed.push(app.name.clone()),
                "stopped" => {}
                _ => s.waiting += 1,
            }
        }
        s
    }

    /// The `STATUS=` line.
    pub fn line(&self) -> String {
        let plural = |n: usize| if n == 1 { "app" } else { "apps" };
        let mut line = format!("{} {} running", self.running, plural(self.running));
        if self.waiting > 0 {
            line.push_str(&format!(", {} starting", self.waiting));
        }
        if !self.failed.is_empty() {
            line.push_str(&format!(
                ", {} failed: {}",
                self.failed.len(),
                self.failed.join(", ")
            ));
        }
        line
    }
}

/// The notify state of the supervisor.
#[derive(Debug)]
pub struct Notifier {
    enabled: bool,
    ready_sent: bool,
    reloading: bool,
    last_status: String,
    watchdog: Option<Duration>,
}

impl Notifier {
    pub fn from_env() -> Notifier {
        Notifier {
            enabled: std::env::var_os("NOTIFY_SOCKET").is_some_and(|s| !s.is_empty()),
            ready_sent: false,
            reloading: false,
            last_status: String::new(),
            watchdog: sd_notify::watchdog_enabled(),
        }
    }

    /// Whether statuses should be collected for it.
    pub fn wants_statuses(&self) -> bool {
        self.enabled
    }

    /// When to look at the apps again: soon while READY=1 is pending,
    /// rarely (for the STATUS= line) after.
    pub fn poll_delay(&self) -> Duration {
        if !self.ready_sent || self.reloading {
            Duration::from_millis(300)
        } else {
            Duration::from_secs(10)
        }
    }

    /// Half of systemd's watchdog period, when there is one.
    pub fn watchdog_interval(&self) -> Option<tokio::time::Interval> {
        self.watchdog.map(|period| {
            let mut i = tokio::time::interval((period / 2).max(Duration::from_millis(10)));
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        })
    }

    pub fn watchdog(&self) {
        send(&[NotifyState::Watchdog]);
    }

    /// Statuses came in: READY=1 when everything wanted runs and no
    /// reload is under way, and a new STATUS= line when it changed.
    pub fn on_statuses(&mut self, statuses: &[AppStatus], wanted: &[String], reloads: usize) {
        let summary = Summary::of(statuses, wanted);
        let line = summary.line();
        let settled = summary.waiting == 0 && reloads == 0;
        if settled && (!self.ready_sent || self.reloading) {
            self.ready_sent = true;
            self.reloading = false;
            self.last_status.clone_from(&line);
            send(&[NotifyState::Ready, NotifyState::Status(&line)]);
        } else if line != self.last_status {
            self.last_status.clone_from(&line);
            send(&[NotifyState::Status(&line)]);
        }
    }

    /// SIGHUP: RELOADING=1 until [`Notifier::on_statuses`] sees the apps
    /// settled again.
    pub fn reloading(&mut self) {
        if !self.enabled {
            return;
        }
        self.reloading = true;
        match NotifyState::monotonic_usec_now() {
            Ok(now) => send(&[NotifyState::Reloading, now]),
            Err(_) => send(&[NotifyState::Reloading]),
        }
    }

    pub fn stopping(&mut self) {
        send(&[
            NotifyState::Stopping,
            NotifyState::Status("stopping every app"),
        ]);
    }
}

fn send(states: &[NotifyState<'_>]) {
    if let Err(err) = sd_notify::notify(states) {
        log_line!("uwsgid: cannot notify systemd: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(name: &str, state: &str) -> AppStatus {
        AppStatus {
            name: name.into(),
            state: state.into(),
            ..AppStatus::default()
        }
    }

    #[test]
    fn ready_waits_for_starting_apps_not_for_failed_ones() {
        let wanted = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let starting = [
            app("a", "running"),
            app("b", "starting"),
            app("c", "failed"),
        ];
        let s = Summary::of(&starting, &wanted);
        assert_eq!(s.waiting, 1);
        assert_eq!(s.line(), "1 app running, 1 starting, 1 failed: c");
        let settled = [
            app("a", "running"),
            app("b", "running"),
            app("c", "backoff"),
        ];
        let s = Summary::of(&settled, &wanted);
        assert_eq!(s.waiting, 0);
        assert_eq!(s.line(), "2 apps running, 1 failed: c");
    }

    #[test]
    fn apps_not_wanted_do_not_count() {
        let s = Summary::of(
            &[
                app("a", "running"),
                app("off", "stopped"),
                app("x", "starting"),
            ],
            &["a".to_owned()],
        );
        assert_eq!(s.line(), "1 app running");
    }
}
