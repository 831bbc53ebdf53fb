//! The `spare` algorithm, uWSGI's default (`uwsgi_cheaper_algo_spare`):
//! each cycle with every worker busy counts as overload; after more than
//! `cheaper-overload` of them, `cheaper-step` workers start. A cycle with a
//! free worker takes one overload back; with none left, a cycle that has
//! more than one free worker is idle, and every `cheaper-overload`-th idle
//! cycle stops one worker, down to `cheaper`. Exactly one free worker is
//! the stable state: nothing changes.

use super::decision::{Decision, Sample};
use crate::config::CheaperConfig;

#[derive(Debug, Default)]
pub struct Spare {
    overload_count: u64,
    idle_count: u64,
}

impl Spare {
    pub fn decide(&mut self, s: &Sample, c: &CheaperConfig) -> Decision {
        let (active, busy) = (s.active(), s.busy());
        if busy < active {
            self.overload_count = self.overload_count.saturating_sub(1);
        } else {
            self.overload_count += 1;
            self.idle_count = 0;
        }
        if self.overload_count > c.overload {
            self.overload_count = 0;
            return Decision::spawn(s.step(c.step));
        }
        if self.overload_count > 0 || active - busy == 1 {
            return Decision::Hold;
        }
        self.idle_count += 1;
        // uWSGI divides by `cheaper-overload`; 0 there is a crash, 1 here.
        if active > c.workers && self.idle_count.is_multiple_of(c.overload.max(1)) {
            return Decision::Cheap;
        }
        Decision::Hold
    }
}

#[cfg(test)]
mod tests {
    use super::super::decision::test_samples::sample;
    use super::*;

    fn config(workers: u32, step: u32, overload: u64) -> CheaperConfig {
        CheaperConfig {
            workers,
            step,
            overload,
            ..CheaperConfig::default()
        }
    }

    #[test]
    fn grows_after_more_than_overload_busy_cycles() {
        let c = config(1, 2, 3);
        let mut spare = Spare::default();
        let all_busy = sample(2, 2, 5);
        let got: Vec<Decision> = (0..5).map(|_| spare.decide(&all_busy, &c)).collect();
        use Decision::*;
        assert_eq!(got, [Hold, Hold, Hold, Spawn(2), Hold]);
        // Never more than the room left.
        let mut spare = Spare::default();
        let full = sample(2, 2, 1);
        let got: Vec<Decision> = (0..4).map(|_| spare.decide(&full, &c)).collect();
        assert_eq!(got, [Hold, Hold, Hold, Spawn(1)]);
        let mut spare = Spare::default();
        let none = sample(2, 2, 0);
        assert!((0..8).all(|_| spare.decide(&none, &c) == Hold));
    }

    #[test]
    fn a_free_worker_takes_overload_back() {
        let c = config(1, 1, 2);
        let mut spare = Spare::default();
        let busy = sample(3, 3, 5);
        let one_free = sample(3, 2, 5);
        assert_eq!(spare.decide(&busy, &c), Decision::Hold);
        assert_eq!(spare.decide(&busy, &c), Decision::Hold);
        assert_eq!(spare.decide(&one_free, &c), Decision::Hold);
        assert_eq!(spare.decide(&busy, &c), Decision::Hold);
        assert_eq!(spare.decide(&busy, &c), Decision::Spawn(1));
    }

    #[test]
    fn shrinks_every_overload_idle_cycles_down_to_cheaper() {
        let c = config(2, 1, 3);
        let mut spare = Spare::default();
        let idle = sample(4, 0, 0);
        let got: Vec<Decision> = (0..6).map(|_| spare.decide(&idle, &c)).collect();
        use Decision::*;
        assert_eq!(got, [Hold, Hold, Cheap, Hold, Hold, Cheap]);
        let at_min = sample(2, 0, 2);
        assert!((0..6).all(|_| spare.decide(&at_min, &c) == Hold));
    }

    #[test]
    fn one_spare_worker_is_stable() {
        let c = config(1, 1, 1);
        let mut spare = Spare::default();
        let stable = sample(4, 3, 0);
        assert!((0..6).all(|_| spare.decide(&stable, &c) == Decision::Hold));
    }
}
