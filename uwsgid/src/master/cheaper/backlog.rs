//! The `backlog` algorithm (`uwsgi_cheaper_algo_backlog`, Linux only in
//! uWSGI): more than `cheaper-overload` connections waiting in a listen
//! queue start `cheaper-step` workers; fewer stop one, down to `cheaper`.
//! Each cycle decides alone: it keeps no state.

use super::decision::{Decision, Sample};
use crate::config::CheaperConfig;

pub fn decide(s: &Sample, c: &CheaperConfig) -> Decision {
    if s.backlog > c.overload {
        Decision::spawn(s.step(c.step))
    } else if s.backlog < c.overload && s.active() > c.workers {
        Decision::Cheap
    } else {
        Decision::Hold
    }
}

#[cfg(test)]
mod tests {
    use super::super::decision::test_samples::sample;
    use super::*;

    #[test]
    fn follows_the_listen_queue() {
        let c = CheaperConfig {
            workers: 1,
            step: 2,
            overload: 4,
            ..CheaperConfig::default()
        };
        let at = |backlog, active, room| {
            let mut s = sample(active, active, room);
            s.backlog = backlog;
            decide(&s, &c)
        };
        assert_eq!(at(5, 1, 3), Decision::Spawn(2));
        assert_eq!(at(5, 3, 1), Decision::Spawn(1));
        assert_eq!(at(5, 4, 0), Decision::Hold);
        assert_eq!(at(4, 3, 1), Decision::Hold, "equal: no change");
        assert_eq!(at(3, 3, 1), Decision::Cheap);
        assert_eq!(at(0, 1, 3), Decision::Hold, "at cheaper");
    }
}
