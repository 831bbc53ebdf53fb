//! The master's timers, crons and file monitors: when each raises its
//! signal. Pure but for the file monitors' `stat` and the crons' local
//! time.
//!
//! - a timer (`add_timer`, `add_ms_timer`, the `timer` option) raises
//!   every period, the first time one period after it was added;
//! - a red-black timer (`add_rb_timer`, `rbtimer`) the same, `iterations`
//!   times (0 = forever);
//! - a cron (`add_cron`) is looked at once a second and raises at most
//!   once a minute, as uWSGI's `last_job` check does;
//! - a file monitor (`add_file_monitor`) looks at its path once a second
//!   (uWSGI uses inotify): a change of its inode, size, mtime or ctime, or
//!   its appearing or going away, raises.

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::cron::{LocalTime, needs_execution};

/// How often crons and file monitors are looked at.
const POLL: Duration = Duration::from_secs(1);

/// What raises the signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Every(Duration),
    RedBlack {
        every: Duration,
        iterations: u64,
        done: u64,
    },
    Cron {
        fields: [i32; 5],
        /// Seconds since the epoch of the last run.
        last_run: Option<i64>,
    },
    FileMonitor {
        path: String,
        seen: Option<Stamp>,
    },
}

/// What a file monitor compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Stamp {
    fn of(path: &str) -> Option<Stamp> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        Some(Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        })
    }
}

/// One timer of the table.
#[derive(Debug, Clone)]
pub struct Timer {
    pub signal: u8,
    pub trigger: Trigger,
    next: Instant,
}

impl Timer {
    pub fn new(signal: u8, trigger: Trigger, now: Instant) -> Timer {
        let (trigger, first) = match trigger {
            Trigger::Every(every) => (Trigger::Every(every), every),
            Trigger::RedBlack {
                every, iterations, ..
            } => (
                Trigger::RedBlack {
                    every,
                    iterations,
                    done: 0,
                },
                every,
            ),
            Trigger::FileMonitor { path, .. } => {
                let seen = Stamp::of(&path);
                (Trigger::FileMonitor { path, seen }, POLL)
            }
            cron @ Trigger::Cron { .. } => (cron, POLL),
        };
        Timer {
            signal,
            trigger,
            next: now + first,
        }
    }

    /// Whether `other` asks for the same thing (a lazy worker's app
    /// imported again adds its timers again: they are kept once).
    pub fn same_as(&self, signal: u8, trigger: &Trigger) -> bool {
        if self.signal != signal {
            return false;
        }
        match (&self.trigger, trigger) {
            (Trigger::Every(a), Trigger::Every(b)) => a == b,
            (
                Trigger::RedBlack {
                    every: a,
                    iterations: i,
                    ..
                },
                Trigger::RedBlack {
                    every: b,
                    iterations: j,
                    ..
                },
            ) => a == b && i == j,
            (Trigger::Cron { fields: a, .. }, Trigger::Cron { fields: b, .. }) => a == b,
            (Trigger::FileMonitor { path: a, .. }, Trigger::FileMonitor { path: b, .. }) => a == b,
            _ => false,
        }
    }

    /// When it wants to be looked at again; `None` once spent.
    pub fn next_wake(&self) -> Option<Instant> {
        (!self.spent()).then_some(self.next)
    }

    /// A red-black timer that ran its iterations.
    pub fn spent(&self) -> bool {
        matches!(self.trigger, Trigger::RedBlack { iterations, done, .. } if iterations > 0 && done >= iterations)
    }

    /// Whether the signal is raised now; moves the next look on.
    pub fn fire(&mut self, now: Instant) -> bool {
        if self.spent() || now < self.next {
            return false;
        }
        match &mut self.trigger {
            Trigger::Every(every) => {
                self.next = following(self.next, *every, now);
                true
            }
            Trigger::RedBlack { every, done, .. } => {
                *done += 1;
                // uWSGI re-arms a red-black timer from the time it fired.
                self.next = now + *every;
                true
            }
            Trigger::Cron { fields, last_run } => {
                self.next = now + POLL;
                let epoch = epoch_now();
                let due = LocalTime::of(epoch).is_some_and(|t| needs_execution(t, *fields))
                    && last_run.is_none_or(|last| epoch - last >= 60);
                if due {
                    *last_run = Some(epoch);
                }
                due
            }
            Trigger::FileMonitor { path, seen } => {
                self.next = now + POLL;
                let stamp = Stamp::of(path);
                let changed = stamp != *seen;
                *seen = stamp;
                changed
            }
        }
    }
}

/// The deadline after `last` at `every`, skipping the ones a busy or
/// suspended master missed (a timer never fires in a burst).
fn following(last: Instant, every: Duration, now: Instant) -> Instant {
    let next = last + every;
    if next > now { next } else { now + every }
}

fn epoch_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_fires_each_period_without_bursts() {
        let t0 = Instant::now();
        let mut timer = Timer::new(1, Trigger::Every(Duration::from_secs(2)), t0);
        assert!(!timer.fire(t0 + Duration::from_secs(1)));
        assert!(timer.fire(t0 + Duration::from_secs(2)));
        assert!(!timer.fire(t0 + Duration::from_secs(3)));
        // Ten periods late: one firing, then the period again.
        assert!(timer.fire(t0 + Duration::from_secs(20)));
        assert!(!timer.fire(t0 + Duration::from_secs(21)));
        assert_eq!(timer.next_wake(), Some(t0 + Duration::from_secs(22)));
    }

    #[test]
    fn a_red_black_timer_stops_after_its_iterations() {
        let t0 = Instant::now();
        let every = Duration::from_secs(1);
        let trigger = Trigger::RedBlack {
            every,
            iterations: 2,
            done: 0,
        };
        let mut timer = Timer::new(1, trigger, t0);
        assert!(timer.fire(t0 + every));
        assert!(timer.fire(t0 + every * 2));
        assert!(timer.spent());
        assert!(!timer.fire(t0 + every * 10));
        assert_eq!(timer.next_wake(), None);
    }

    #[test]
    fn a_file_monitor_fires_on_a_change() {
        let dir = std::env::temp_dir().join(format!("uwsgid-filemon-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let path = dir.to_string_lossy().into_owned();
        let t0 = Instant::now();
        let trigger = Trigger::FileMonitor {
            path: path.clone(),
            seen: None,
        };
        let mut timer = Timer::new(3, trigger, t0);
        assert!(!timer.fire(t0 + POLL));
        std::fs::write(&dir, b"x").expect("write");
        assert!(timer.fire(t0 + POLL * 2));
        assert!(!timer.fire(t0 + POLL * 3));
        std::fs::remove_file(&dir).expect("remove");
        assert!(timer.fire(t0 + POLL * 4));
    }

    #[test]
    fn sameness_ignores_progress() {
        let t0 = Instant::now();
        let every = Trigger::Every(Duration::from_secs(1));
        let timer = Timer::new(5, every.clone(), t0);
        assert!(timer.same_as(5, &every));
        assert!(!timer.same_as(6, &every));
        assert!(!timer.same_as(5, &Trigger::Every(Duration::from_secs(2))));
    }
}
