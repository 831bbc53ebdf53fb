//! Reload progress for `Reload` callers: each caller is a watcher that
//! receives `ReloadProgress` messages (requested → starting n/N →
//! draining → done, or failed) until its reload is over; then its channel
//! is dropped, which ends the gRPC stream.
//!
//! A watcher attaches to the next reload that starts: the one its request
//! starts, or, when a reload is already running, the queued one after it.
//! The reload code reports its steps as [`ReloadEvent`]s, which also drive
//! systemd's notifications.

use tokio::sync::mpsc::UnboundedSender;
use uwsgid_proto::v1::ReloadProgress;

use crate::master::event_loop::AppMaster;

/// The sending end of one caller's progress stream.
pub type Watcher = UnboundedSender<ReloadProgress>;

/// A step of a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadEvent {
    /// A new generation is being started with `total` workers.
    Started { generation: u64, total: u32 },
    /// `ready` workers of the new generation were born.
    Progress {
        generation: u64,
        ready: u32,
        total: u32,
    },
    /// The new generation serves; `draining` old workers are finishing.
    TookOver {
        generation: u64,
        total: u32,
        draining: u32,
    },
    /// The last worker of an older generation is gone.
    Drained { generation: u64 },
    /// The reload failed; the old generation keeps serving.
    Failed { error: String },
}

/// Who waits for which reload.
#[derive(Debug, Default)]
pub struct ReloadWatchers {
    /// Waiting for the next reload to start.
    queued: Vec<Watcher>,
    /// Watching the reload in progress.
    current: Vec<Watcher>,
    /// Their generation serves; waiting for the old workers to finish.
    draining: Vec<Watcher>,
}

impl ReloadWatchers {
    /// `watcher` waits for the next reload; it is told so at once.
    pub fn add(&mut self, watcher: Watcher, app: &str, next_generation: u64) {
        let requested = ReloadProgress {
            app: app.to_string(),
            phase: "requested".into(),
            generation: next_generation,
            ..ReloadProgress::default()
        };
        if watcher.send(requested).is_ok() {
            self.queued.push(watcher);
        }
    }

    /// A reload starts (or is about to be tried): the waiting watchers
    /// now watch it.
    pub fn promote(&mut self) {
        self.current.append(&mut self.queued);
    }

    /// Tells the watchers concerned about `event`; drops those whose
    /// reload is over.
    pub fn publish(&mut self, app: &str, event: &ReloadEvent) {
        let msg = message(app, event);
        match event {
            ReloadEvent::Started { .. } | ReloadEvent::Progress { .. } => {
                send_all(&mut self.current, &msg);
            }
            ReloadEvent::TookOver { .. } => {
                send_all(&mut self.current, &msg);
                self.draining.append(&mut self.current);
            }
            ReloadEvent::Drained { .. } => {
                send_all(&mut self.draining, &msg);
                self.draining.clear();
            }
            ReloadEvent::Failed { .. } => {
                send_all(&mut self.current, &msg);
                self.current.clear();
            }
        }
    }

    /// The app stops: every reload waited for is off.
    pub fn cancel_all(&mut self, app: &str, error: &str) {
        self.promote();
        let failed = ReloadEvent::Failed {
            error: error.to_string(),
        };
        self.publish(app, &failed);
        let done = ReloadEvent::Drained { generation: 0 };
        // Those already served by their generation: the draining is cut
        // short by the stop, and that is their end.
        self.publish(app, &done);
    }
}

/// Sends `msg` to every watcher, forgetting those that went away.
fn send_all(watchers: &mut Vec<Watcher>, msg: &ReloadProgress) {
    watchers.retain(|w| w.send(msg.clone()).is_ok());
}

/// The progress message for `event`.
fn message(app: &str, event: &ReloadEvent) -> ReloadProgress {
    let base = ReloadProgress {
        app: app.to_string(),
        ..ReloadProgress::default()
    };
    match event {
        ReloadEvent::Started { generation, total } => ReloadProgress {
            phase: "starting".into(),
            total: *total,
            generation: *generation,
            ..base
        },
        ReloadEvent::Progress {
            generation,
            ready,
            total,
        } => ReloadProgress {
            phase: "starting".into(),
            ready: *ready,
            total: *total,
            generation: *generation,
            ..base
        },
        ReloadEvent::TookOver {
            generation,
            total,
            draining,
        } => ReloadProgress {
            phase: "draining".into(),
            ready: *total,
            total: *total,
            draining: *draining,
            generation: *generation,
            ..base
        },
        ReloadEvent::Drained { generation } => ReloadProgress {
            phase: "done".into(),
            generation: *generation,
            done: true,
            ..base
        },
        ReloadEvent::Failed { error } => ReloadProgress {
            phase: "failed".into(),
            error: error.clone(),
            done: true,
            ..base
        },
    }
}

impl AppMaster {
    /// The reload code's report of a step: to the `Reload` callers and to
    /// systemd.
    pub(in crate::master) fn reload_event(&mut self, event: ReloadEvent) {
        self.notifier.on_reload(&event);
        self.reload.watchers.publish(&self.facts.name, &event);
    }

    /// Workers of generations older than the current one still finishing.
    pub(in crate::master) fn old_workers_left(&self) -> u32 {
        u32::try_from(self.drain.older_than(self.generation)).unwrap_or(u32::MAX)
    }

    /// After the new generation took over or an old worker ended: once no
    /// older worker is left, the reload is done.
    pub(in crate::master) fn check_drained(&mut self) {
        if self.old_workers_left() == 0 {
            let generation = self.generation;
            self.reload_event(ReloadEvent::Drained { generation });
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc::unbounded_channel;

    use super::*;

    fn phases(rx: &mut tokio::sync::mpsc::UnboundedReceiver<ReloadProgress>) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(m) = rx.try_recv() {
            out.push(format!(
                "{} {}/{} {}",
                m.phase, m.ready, m.total, m.draining
            ));
        }
        out
    }

    #[test]
    fn a_watcher_sees_its_reload_to_the_end() {
        let mut w = ReloadWatchers::default();
        let (tx, mut rx) = unbounded_channel();
        w.add(tx, "app", 2);
        w.promote();
        w.publish(
            "app",
            &ReloadEvent::Started {
                generation: 2,
                total: 2,
            },
        );
        w.publish(
            "app",
            &ReloadEvent::Progress {
                generation: 2,
                ready: 1,
                total: 2,
            },
        );
        w.publish(
            "app",
            &ReloadEvent::TookOver {
                generation: 2,
                total: 2,
                draining: 2,
            },
        );
        w.publish("app", &ReloadEvent::Drained { generation: 2 });
        assert_eq!(
            phases(&mut rx),
            [
                "requested 0/0 0",
                "starting 0/2 0",
                "starting 1/2 0",
                "draining 2/2 2",
                "done 0/0 0"
            ]
        );
        assert!(rx.is_closed() || rx.try_recv().is_err());
        assert!(w.draining.is_empty() && w.current.is_empty());
    }

    #[test]
    fn a_queued_watcher_waits_for_the_next_reload() {
        let mut w = ReloadWatchers::default();
        let (first, mut rx1) = unbounded_channel();
        w.add(first, "app", 2);
        w.promote();
        let (second, mut rx2) = unbounded_channel();
        w.add(second, "app", 3);
        let failed = ReloadEvent::Failed {
            error: "boom".into(),
        };
        w.publish("app", &failed);
        assert_eq!(phases(&mut rx1), ["requested 0/0 0", "failed 0/0 0"]);
        assert_eq!(phases(&mut rx2), ["requested 0/0 0"]);
        w.promote();
        w.cancel_all("app", "stopping");
        assert_eq!(phases(&mut rx2), ["failed 0/0 0"]);
    }
}
