//! systemd's notify protocol, when the app master runs as a `Type=notify`
//! service (`NOTIFY_SOCKET` set): `READY=1` the first time every worker
//! slot has a live worker, `RELOADING=1` (with `MONOTONIC_USEC`, as
//! `Type=notify-reload` wants) when a reload starts and `READY=1` when it
//! ends (took over, or failed with the old workers serving), `STOPPING=1`
//! when a stop starts, `STATUS=` lines along the way, and `WATCHDOG=1`
//! every half of `WATCHDOG_USEC` when systemd's watchdog is on.
//!
//! The zygote and the workers never see these variables (`spawn.rs`
//! removes them): a notification from them would be taken for the
//! master's.

use std::time::{Duration, Instant};

use sd_notify::NotifyState;

use super::control::progress::ReloadEvent;
use super::views::AppState;
use crate::log::log_line;

/// The variables of the protocol, kept from the master's children.
pub const NOTIFY_VARS: [&str; 3] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/// What the master has told systemd so far.
#[derive(Debug, Default)]
pub struct Notifier {
    enabled: bool,
    ready_sent: bool,
    stopping_sent: bool,
    last: Option<AppState>,
    watchdog_every: Option<Duration>,
    next_watchdog: Option<Instant>,
}

impl Notifier {
    /// On when `NOTIFY_SOCKET` is set; the watchdog when `WATCHDOG_USEC`
    /// is (and `WATCHDOG_PID`, if set, is this process).
    pub fn from_env() -> Notifier {
        let enabled = std::env::var_os("NOTIFY_SOCKET").is_some_and(|s| !s.is_empty());
        let watchdog_every = enabled
            .then(sd_notify::watchdog_enabled)
            .flatten()
            .map(|d| d / 2)
            .filter(|d| !d.is_zero());
        Notifier {
            enabled,
            watchdog_every,
            next_watchdog: watchdog_every.map(|every| Instant::now() + every),
            ..Notifier::default()
        }
    }

    /// After every event of the master: the app's state now.
    pub fn on_state(&mut self, state: AppState, workers: usize) {
        if !self.enabled || self.last == Some(state) {
            return;
        }
        self.last = Some(state);
        let lines = state_lines(state, workers, self.ready_sent, self.stopping_sent);
        self.ready_sent |= lines.iter().any(|l| l == "READY=1");
        self.stopping_sent |= state == AppState::Stopping;
        self.send(&lines);
    }

    /// A step of a reload.
    pub fn on_reload(&mut self, event: &ReloadEvent) {
        if !self.enabled || self.stopping_sent {
            return;
        }
        let lines = reload_lines(event, monotonic_usec());
        self.ready_sent |= lines.iter().any(|l| l == "READY=1");
        self.send(&lines);
    }

    /// When `WATCHDOG=1` is due next.
    pub fn watchdog_at(&self) -> Option<Instant> {
        self.next_watchdog
    }

    /// Sends `WATCHDOG=1` when due.
    pub fn watchdog_tick(&mut self, now: Instant) {
        let (Some(at), Some(every)) = (self.next_watchdog, self.watchdog_every) else {
            return;
        };
        if at <= now {
            self.next_watchdog = Some(now + every);
            self.send(&["WATCHDOG=1".to_string()]);
        }
    }

    fn send(&self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let states: Vec<NotifyState<'_>> = lines.iter().map(|l| NotifyState::Custom(l)).collect();
        if let Err(err) = sd_notify::notify(&states) {
            log_line!("cannot notify systemd ({}): {err}", lines.join(", "));
        }
    }
}

/// What to tell systemd when the app enters `state`.
fn state_lines(state: AppState, workers: usize, ready_sent: bool, stopping: bool) -> Vec<String> {
    if stopping {
        return Vec::new();
    }
    match state {
        AppState::Running if !ready_sent => vec![
            "READY=1".into(),
            format!("STATUS=running with {workers} workers"),
        ],
        AppState::Running => vec![format!("STATUS=running with {workers} workers")],
        AppState::Starting if ready_sent => vec!["STATUS=respawning workers".into()],
        AppState::Starting => vec!["STATUS=starting the workers".into()],
        // The reload's own events say more.
        AppState::Reloading => Vec::new(),
        AppState::Paused => vec!["STATUS=paused".into()],
        AppState::Stopping => vec![
            "STOPPING=1".into(),
            "STATUS=stopping: workers are finishing their requests".into(),
        ],
    }
}

/// What to tell systemd about a reload step; `now_usec` is
/// CLOCK_MONOTONIC, which `RELOADING=1` must carry for `notify-reload`.
fn reload_lines(event: &ReloadEvent, now_usec: Option<i128>) -> Vec<String> {
    match event {
        ReloadEvent::Started { generation, .. } => {
            let mut lines = vec!["RELOADING=1".to_string()];
            lines.extend(now_usec.map(|us| format!("MONOTONIC_USEC={us}")));
            lines.push(format!(
                "STATUS=reloading: starting generation {generation}"
            ));
            lines
        }
        ReloadEvent::Progress {
            generation,
            ready,
            total,
        } => vec![format!(
            "STATUS=reloading: generation {generation}, {ready}/{total} workers ready"
        )],
        ReloadEvent::TookOver {
            generation,
            draining,
            ..
        } => vec![
            "READY=1".into(),
            format!("STATUS=generation {generation} serving; {draining} old workers finishing"),
        ],
        ReloadEvent::Drained { generation } => {
            vec![format!("STATUS=running generation {generation}")]
        }
        ReloadEvent::Failed { error } => vec![
            "READY=1".into(),
            format!("STATUS=reload failed, the old workers serve: {error}"),
        ],
    }
}

fn monotonic_usec() -> Option<i128> {
    match NotifyState::monotonic_usec_now() {
        Ok(NotifyState::MonotonicUsec(us)) => Some(us),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_then_status_only() {
        assert_eq!(
            state_lines(AppState::Running, 2, false, false),
            ["READY=1", "STATUS=running with 2 workers"]
        );
        assert_eq!(
            state_lines(AppState::Running, 2, true, false),
            ["STATUS=running with 2 workers"]
        );
        assert_eq!(
            state_lines(AppState::Stopping, 2, true, false)[0],
            "STOPPING=1"
        );
        assert!(state_lines(AppState::Running, 2, true, true).is_empty());
    }

    #[test]
    fn a_reload_is_bracketed_by_reloading_and_ready() {
        let started = ReloadEvent::Started {
            generation: 2,
            total: 1,
        };
        assert_eq!(
            reload_lines(&started, Some(42))[..2],
            ["RELOADING=1", "MONOTONIC_USEC=42"]
        );
        let took = ReloadEvent::TookOver {
            generation: 2,
            total: 1,
            draining: 1,
        };
        assert_eq!(reload_lines(&took, None)[0], "READY=1");
        let failed = ReloadEvent::Failed { error: "x".into() };
        assert_eq!(reload_lines(&failed, None)[0], "READY=1");
    }

    #[test]
    fn off_without_notify_socket() {
        let mut n = Notifier::default();
        n.on_state(AppState::Running, 1);
        assert!(!n.ready_sent);
        assert!(n.watchdog_at().is_none());
    }
}
