//! The `busyness` algorithm (uWSGI's `cheaper_busyness` plugin): every
//! `cheaper-overload` seconds, the share of that time each worker spent in
//! requests (from the scoreboard's running time; a worker seen busy in
//! every cycle without finishing a request counts 100 %). Above
//! `cheaper-busyness-max` on average, `cheaper-step` workers start; below
//! `cheaper-busyness-min`, one stops once the workers were idle for
//! `cheaper-overload` × multiplier seconds. A worker that had to come back
//! soon after one was stopped raises the multiplier by the penalty. Between
//! the bounds, the cheap timer is pushed back. A listen queue over
//! `cheaper-busyness-backlog-alert`, or non-empty for
//! `cheaper-busyness-backlog-nonzero` seconds, starts emergency workers,
//! which are stopped quicker (multiplier `cheaper-busyness-backlog-multiplier`).
//! Log lines are uWSGI's; they are returned, not written, so the logic is
//! pure.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::decision::{Decision, Sample};
use crate::config::CheaperConfig;

/// What the algorithm remembers between cycles.
#[derive(Debug)]
pub struct Busyness {
    /// Running time (µs) per worker id at the last measure.
    last_values: BTreeMap<u32, u64>,
    /// Cycles each worker was seen busy since the last measure.
    was_busy: BTreeMap<u32, u32>,
    tcheck: Instant,
    last_cheaped: Option<Instant>,
    next_cheap: Instant,
    multiplier: u64,
    /// The last thing done: a spawn or a cheap.
    last_action: Option<Decision>,
    tolerance_counter: u64,
    emergency_workers: u32,
    backlog_nonzero_since: Option<Instant>,
}

impl Busyness {
    /// The state at start, with uWSGI's settings lines.
    pub fn new(c: &CheaperConfig, now: Instant, log: &mut Vec<String>) -> Busyness {
        let b = &c.busyness;
        log.push(format!(
            "[busyness] settings: min={}%, max={}%, overload={}, multiplier={}, respawn penalty={}",
            b.min, b.max, c.overload, b.multiplier, b.penalty
        ));
        log.push(format!(
            "[busyness] backlog alert is set to {} request(s), step is {}",
            b.backlog_alert, b.backlog_step
        ));
        log.push(format!(
            "[busyness] backlog non-zero alert is set to {} second(s)",
            b.backlog_nonzero
        ));
        let mut state = Busyness {
            last_values: BTreeMap::new(),
            was_busy: BTreeMap::new(),
            tcheck: now,
            last_cheaped: None,
            next_cheap: now,
            multiplier: b.multiplier,
            last_action: None,
            tolerance_counter: 0,
            emergency_workers: 0,
            backlog_nonzero_since: None,
        };
        state.set_next_cheap_time(c, now, log);
        state
    }

    fn period(c: &CheaperConfig) -> Duration {
        Duration::from_secs(c.overload.max(1))
    }

    fn set_next_cheap_time(&mut self, c: &CheaperConfig, now: Instant, log: &mut Vec<String>) {
        let multi = if self.emergency_workers > 0 {
            if c.busyness.verbose {
                log.push(format!(
                    "[busyness] {} emergency worker(s) running, using {} seconds cheaper timer",
                    self.emergency_workers,
                    c.overload * c.busyness.backlog_multiplier
                ));
            }
            c.busyness.backlog_multiplier
        } else {
            self.multiplier
        };
        self.next_cheap = now + secs(c.overload.saturating_mul(multi));
    }

    fn decrease_multi(&mut self, c: &CheaperConfig, log: &mut Vec<String>) {
        if self.multiplier > c.busyness.multiplier {
            self.multiplier -= 1;
            log.push(format!(
                "[busyness] decreasing cheaper multiplier to {}",
                self.multiplier
            ));
        }
    }

    fn spawn_emergency(
        &mut self,
        s: &Sample,
        c: &CheaperConfig,
        now: Instant,
        log: &mut Vec<String>,
    ) -> Decision {
        self.multiplier = c.busyness.multiplier;
        self.last_action = Some(Decision::Spawn(1));
        let n = s.step(c.busyness.backlog_step);
        self.set_next_cheap_time(c, now, log);
        if n > 0 {
            self.emergency_workers += n;
            log.push(format!(
                "[busyness] {} requests in listen queue, spawning {n} emergency worker(s) ({})!",
                s.backlog, self.emergency_workers
            ));
        } else {
            log.push(format!(
                "[busyness] {} requests in listen queue but we are already started maximum number of workers ({})",
                s.backlog,
                s.active() + s.room
            ));
        }
        Decision::spawn(n)
    }

    /// One master cycle.
    pub fn decide(
        &mut self,
        s: &Sample,
        c: &CheaperConfig,
        now: Instant,
        log: &mut Vec<String>,
    ) -> Decision {
        self.was_busy
            .retain(|id, _| s.workers.iter().any(|w| w.id == *id));
        for w in &s.workers {
            *self.was_busy.entry(w.id).or_default() += u32::from(w.busy);
            // A worker's time counts from the first cycle it is seen in.
            self.last_values.entry(w.id).or_insert(w.running_time_us);
        }
        let period = Busyness::period(c);
        if now.duration_since(self.tcheck) >= period {
            self.tcheck = now;
            return self.measure(s, c, period, now, log);
        }
        self.watch_backlog(s, c, now, log)
    }

    /// The average busyness of the last period, in percent.
    fn average(
        &mut self,
        s: &Sample,
        c: &CheaperConfig,
        period: Duration,
        log: &mut Vec<String>,
    ) -> u64 {
        let t = u64::try_from(period.as_micros()).unwrap_or(u64::MAX);
        let mut total = 0;
        for w in &s.workers {
            let last = self
                .last_values
                .insert(w.id, w.running_time_us)
                .unwrap_or(w.running_time_us);
            let delta = w.running_time_us.saturating_sub(last);
            let was_busy = self.was_busy.insert(w.id, 0).unwrap_or(0);
            let mut percent = (delta.saturating_mul(100) / t).min(100);
            if delta == 0 && was_busy > 0 {
                if c.busyness.verbose {
                    log.push(format!("[busyness] worker {} was busy {was_busy} time(s) in last cycle but no request was completed during this time, marking as 100% busy", w.id));
                }
                percent = 100;
            }
            total += percent;
            if c.busyness.verbose && s.active() > 1 {
                log.push(format!(
                    "[busyness] worker nr {} {}s average busyness is at {percent}%",
                    w.id, c.overload
                ));
            }
        }
        let avg = total.checked_div(u64::from(s.active())).unwrap_or(0);
        if c.busyness.verbose {
            log.push(format!(
                "[busyness] {}s average busyness of {} worker(s) is at {avg}%",
                c.overload,
                s.active()
            ));
        }
        avg
    }

    fn measure(
        &mut self,
        s: &Sample,
        c: &CheaperConfig,
        period: Duration,
        now: Instant,
        log: &mut Vec<String>,
    ) -> Decision {
        let avg = self.average(s, c, period, log);
        let b = &c.busyness;
        if avg > b.max {
            self.tolerance_counter = 0;
            let n = s.step(c.step);
            if n == 0 {
                log.push(format!("[busyness] {}s average busyness is at {avg}% but we already started maximum number of workers available with current limits ({})", c.overload, s.active()));
                return Decision::Hold;
            }
            self.last_action = Some(Decision::Spawn(n));
            let cheaped_recently = self.last_cheaped.is_some_and(|at| {
                now.duration_since(at).as_secs() / c.overload.max(1) <= self.multiplier
            });
            if cheaped_recently {
                self.multiplier += b.penalty;
                log.push(format!(
                    "[busyness] worker(s) respawned to fast, increasing cheaper multiplier to {} (+{})",
                    self.multiplier, b.penalty
                ));
            } else {
                self.decrease_multi(c, log);
            }
            self.set_next_cheap_time(c, now, log);
            log.push(format!(
                "[busyness] {}s average busyness is at {avg}%, will spawn {n} new worker(s)",
                c.overload
            ));
            return Decision::Spawn(n);
        }
        if s.backlog > b.backlog_alert && s.room > 0 {
            return self.spawn_emergency(s, c, now, log);
        }
        if s.active() == 1 {
            return Decision::Hold;
        }
        if avg < b.min {
            self.tolerance_counter = 0;
            if s.active() <= c.workers {
                return Decision::Hold;
            }
            if now < self.next_cheap {
                if b.verbose {
                    log.push(format!(
                        "[busyness] need to wait {} more second(s) to cheap worker",
                        self.next_cheap.duration_since(now).as_secs()
                    ));
                }
                return Decision::Hold;
            }
            if self.last_action == Some(Decision::Cheap) {
                self.decrease_multi(c, log);
            }
            self.set_next_cheap_time(c, now, log);
            log.push(format!(
                "[busyness] {}s average busyness is at {avg}%, cheap one of {} running workers",
                c.overload,
                s.active()
            ));
            self.last_cheaped = Some(now);
            self.last_action = Some(Decision::Cheap);
            self.emergency_workers = self.emergency_workers.saturating_sub(1);
            return Decision::Cheap;
        }
        self.emergency_workers = self.emergency_workers.saturating_sub(1);
        self.tolerance_counter += 1;
        let what = if self.tolerance_counter >= 3 {
            self.set_next_cheap_time(c, now, log);
            "resetting"
        } else {
            self.next_cheap += period;
            "adjusting"
        };
        if b.verbose {
            log.push(format!(
                "[busyness] {}s average busyness is at {avg}%, {} non-idle cycle(s), {what} cheaper timer",
                c.overload, self.tolerance_counter
            ));
        }
        Decision::Hold
    }

    /// Between measures: the listen queue alone.
    fn watch_backlog(
        &mut self,
        s: &Sample,
        c: &CheaperConfig,
        now: Instant,
        log: &mut Vec<String>,
    ) -> Decision {
        if s.backlog > c.busyness.backlog_alert && s.room > 0 {
            return self.spawn_emergency(s, c, now, log);
        }
        if s.backlog == 0 {
            if self.backlog_nonzero_since.take().is_some() && c.busyness.verbose {
                log.push("[busyness] backlog is now empty".into());
            }
            return Decision::Hold;
        }
        let Some(since) = self.backlog_nonzero_since else {
            if c.busyness.verbose {
                log.push(format!(
                    "[busyness] backlog is starting to fill ({})",
                    s.backlog
                ));
            }
            self.backlog_nonzero_since = Some(now);
            return Decision::Hold;
        };
        let waited = now.duration_since(since).as_secs();
        if waited >= c.busyness.backlog_nonzero {
            log.push(format!(
                "[busyness] backlog was non-zero for {waited} second(s), spawning new worker(s)"
            ));
            self.backlog_nonzero_since = Some(now);
            return self.spawn_emergency(s, c, now, log);
        }
        Decision::Hold
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[cfg(test)]
#[path = "busyness_tests.rs"]
mod tests;
