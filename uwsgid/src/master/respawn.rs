//! Respawn policy: a process that dies soon after it started is respawned
//! later and later (1 s, 2 s, 4 s, … up to [`MAX_DELAY`]), so an app that
//! crashes at once cannot make the master spin; one that lived at least
//! [`HEALTHY_LIFETIME`] resets the count and is respawned at once.
//! (uWSGI sleeps a fixed `forkbomb-delay`; this grows instead.)

use std::time::Duration;

/// A process that lived this long was healthy: its death restarts the count.
pub const HEALTHY_LIFETIME: Duration = Duration::from_secs(10);
/// The longest wait between two respawns of one slot.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// The respawn history of one worker slot (or of the zygote).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backoff {
    /// Deaths in a row that came before [`HEALTHY_LIFETIME`].
    quick_deaths: u32,
}

impl Backoff {
    /// Records a death after `lived`; returns how long to wait before the
    /// respawn. The first quick death is respawned at once (a worker killed
    /// by hand, an OOM kill), the following ones wait 1, 2, 4, … seconds.
    pub fn on_death(&mut self, lived: Duration) -> Duration {
        if lived >= HEALTHY_LIFETIME {
            self.quick_deaths = 0;
            return Duration::ZERO;
        }
        self.quick_deaths = self.quick_deaths.saturating_add(1);
        match self.quick_deaths {
            0 | 1 => Duration::ZERO,
            n => {
                let exp = (n - 2).min(16);
                Duration::from_secs(1u64 << exp).min(MAX_DELAY)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: Duration = Duration::from_millis(100);

    #[test]
    fn grows_exponentially_up_to_the_cap() {
        let mut b = Backoff::default();
        let delays: Vec<u64> = (0..9).map(|_| b.on_death(QUICK).as_secs()).collect();
        assert_eq!(delays, [0, 1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn a_healthy_life_resets_it() {
        let mut b = Backoff::default();
        for _ in 0..5 {
            b.on_death(QUICK);
        }
        assert_eq!(b.on_death(HEALTHY_LIFETIME), Duration::ZERO);
        assert_eq!(b.on_death(QUICK), Duration::ZERO);
        assert_eq!(b.on_death(QUICK), Duration::from_secs(1));
    }

    #[test]
    fn never_overflows() {
        let mut b = Backoff {
            quick_deaths: u32::MAX - 1,
        };
        assert_eq!(b.on_death(QUICK), MAX_DELAY);
        assert_eq!(b.on_death(QUICK), MAX_DELAY);
    }
}
