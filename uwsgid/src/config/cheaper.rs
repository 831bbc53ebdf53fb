//! Adaptive workers, uWSGI's "cheaper" subsystem (`core/init.c`,
//! `core/master_utils.c`, `plugins/cheaper_busyness`): the options as
//! uWSGI 2.0.31 reads and checks them. The master's side is
//! `master/cheaper/`.

use serde::{Deserialize, Serialize};

/// uWSGI's cheaper algorithms (`uwsgi --cheaper-algo-list` of 2.0.31:
/// busyness, spare, backlog, manual).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheaperAlgo {
    /// One worker more after `cheaper-overload` seconds with every worker
    /// busy; one less every `cheaper-overload` idle seconds.
    #[default]
    Spare,
    /// By the listen queue: more when it holds over `cheaper-overload`
    /// connections, fewer when it holds fewer.
    Backlog,
    /// By the share of time the workers spent in requests.
    Busyness,
    /// Never changes the count by itself (the master FIFO's `+`/`-` do).
    Manual,
}

impl CheaperAlgo {
    /// The algorithm `name` names; `None` for one uWSGI 2.0.31 does not have
    /// (`spare2` and `backlog2` are not built into it).
    pub fn parse(name: &str) -> Option<CheaperAlgo> {
        match name {
            "spare" => Some(CheaperAlgo::Spare),
            "backlog" => Some(CheaperAlgo::Backlog),
            "busyness" => Some(CheaperAlgo::Busyness),
            "manual" => Some(CheaperAlgo::Manual),
            _ => None,
        }
    }
}

/// The `cheaper-busyness-*` options; uWSGI's defaults apply to a 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Busyness {
    /// Percent above which the workers are loaded (default 50).
    pub max: u64,
    /// Percent below which they are idle (default 25).
    pub min: u64,
    /// Idle cycles (of `cheaper-overload` seconds) before one goes (default 10).
    pub multiplier: u64,
    /// Added to the multiplier when a worker comes back too fast (default 2).
    pub penalty: u64,
    pub verbose: bool,
    /// Listen-queue length that spawns emergency workers (default 33).
    pub backlog_alert: u64,
    /// The multiplier while emergency workers run (default 3).
    pub backlog_multiplier: u64,
    /// Emergency workers per spawn (default 1).
    pub backlog_step: u32,
    /// Seconds of a non-empty queue that spawn one (default 60).
    pub backlog_nonzero: u64,
}

impl Default for Busyness {
    fn default() -> Self {
        Busyness {
            max: 50,
            min: 25,
            multiplier: 10,
            penalty: 2,
            verbose: false,
            backlog_alert: 33,
            backlog_multiplier: 3,
            backlog_step: 1,
            backlog_nonzero: 60,
        }
    }
}

/// Every cheaper option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheaperConfig {
    /// `cheaper`: the fewest workers; 0 = adaptive workers off.
    pub workers: u32,
    /// `cheaper-initial`: workers at start (0 = `cheaper`).
    pub initial: u32,
    /// `cheaper-step`: workers added at once (uWSGI: 0 acts as 1).
    pub step: u32,
    /// `cheaper-overload`: seconds (spare: busy cycles; backlog: queue length).
    pub overload: u64,
    pub algo: CheaperAlgo,
    /// A `cheaper-algo` uWSGI 2.0.31 does not have: spare is used, with
    /// uWSGI's warning.
    #[serde(skip)]
    pub unknown_algo: Option<String>,
    pub busyness: Busyness,
    /// `idle`: seconds without a request before every worker stops until
    /// the next connection (0 = never).
    pub idle: u64,
    /// `die-on-idle`: stop the app instead.
    pub die_on_idle: bool,
    /// `cheap`: no worker until the first connection.
    pub cheap: bool,
}

impl Default for CheaperConfig {
    fn default() -> Self {
        CheaperConfig {
            workers: 0,
            initial: 0,
            step: 1,
            overload: 3,
            algo: CheaperAlgo::Spare,
            unknown_algo: None,
            busyness: Busyness::default(),
            idle: 0,
            die_on_idle: false,
            cheap: false,
        }
    }
}

impl CheaperConfig {
    /// `cheaper-algo = NAME`.
    pub fn set_algo(&mut self, name: &str) {
        match CheaperAlgo::parse(name) {
            Some(algo) => {
                self.algo = algo;
                self.unknown_algo = None;
            }
            None => self.unknown_algo = Some(name.to_string()),
        }
    }

    /// Whether adaptive workers are on.
    pub fn enabled(&self) -> bool {
        self.workers > 0
    }

    /// How many workers start: `processes`, or with `cheaper` the initial
    /// count (already bounded by [`CheaperConfig::check`]).
    pub fn starting_workers(&self, processes: u32) -> u32 {
        if self.enabled() {
            self.initial.max(self.workers)
        } else {
            processes
        }
    }

    /// uWSGI's checks (`core/init.c`): an error for `cheaper >= processes`
    /// (uWSGI exits); `cheaper-initial` out of bounds is corrected with
    /// uWSGI's warning, which is returned.
    pub fn check(&mut self, processes: u32) -> Result<Option<String>, String> {
        if self.unknown_algo.is_some() {
            self.algo = CheaperAlgo::Spare;
        }
        if !self.enabled() {
            return Ok(None);
        }
        if self.workers >= processes {
            return Err(format!("must be lower than processes ({processes})"));
        }
        let (initial, workers) = (self.initial, self.workers);
        let warning = if initial == 0 {
            self.initial = workers;
            None
        } else if initial < workers {
            self.initial = workers;
            Some(format!(
                "warning: invalid cheaper-initial value ({initial}), must be equal or higher than cheaper ({workers}), using {workers} as initial number of workers"
            ))
        } else if initial > processes {
            self.initial = processes;
            Some(format!(
                "warning: invalid cheaper-initial value ({initial}), must be lower or equal than worker count ({processes}), using {processes} as initial number of workers"
            ))
        } else {
            None
        };
        Ok(warning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheaper(workers: u32, initial: u32) -> CheaperConfig {
        CheaperConfig {
            workers,
            initial,
            ..CheaperConfig::default()
        }
    }

    #[test]
    fn cheaper_must_be_lower_than_processes() {
        let err = cheaper(4, 0).check(4).expect_err("4 of 4");
        assert_eq!(err, "must be lower than processes (4)");
        assert_eq!(cheaper(0, 9).check(1), Ok(None), "off: nothing checked");
        assert_eq!(cheaper(3, 0).check(4), Ok(None));
    }

    #[test]
    fn initial_is_bounded_as_uwsgi_does() {
        let mut c = cheaper(2, 0);
        assert_eq!(c.check(4), Ok(None));
        assert_eq!(c.starting_workers(4), 2);
        let mut c = cheaper(2, 1);
        let w = c.check(4).expect("ok").expect("warning");
        assert_eq!(
            w,
            "warning: invalid cheaper-initial value (1), must be equal or higher than cheaper (2), using 2 as initial number of workers"
        );
        assert_eq!(c.starting_workers(4), 2);
        let mut c = cheaper(2, 9);
        let w = c.check(4).expect("ok").expect("warning");
        assert!(w.contains("must be lower or equal than worker count (4), using 4"));
        assert_eq!(c.starting_workers(4), 4);
        assert_eq!(CheaperConfig::default().starting_workers(5), 5);
    }

    #[test]
    fn algorithms_of_uwsgi_2_0_31() {
        assert_eq!(CheaperAlgo::parse("busyness"), Some(CheaperAlgo::Busyness));
        assert_eq!(CheaperAlgo::parse("spare2"), None);
        assert_eq!(CheaperAlgo::parse("backlog2"), None);
    }
}
