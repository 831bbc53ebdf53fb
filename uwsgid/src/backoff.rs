//! Restart backoff: a process that keeps dying soon after it started is
//! started again later and later (doubling up to a cap), so a crashing app
//! cannot make its parent spin; a life of a healthy length restarts the
//! count. Three policies use it: the app master's worker and zygote respawns
//! ([`WORKER_RESPAWN`]), its attached daemons ([`DAEMON_RESPAWN`]) and the
//! supervisor's app master restarts ([`APP_RESTART`]). (uWSGI sleeps a fixed `forkbomb-delay`, its Emperor
//! throttles in 1 s steps up to 3 min; a doubling delay reaches the cap
//! sooner and wastes less.)

use std::time::Duration;

/// How a [`Backoff`] grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Quick deaths in a row that are restarted at once (a worker killed by
    /// hand, an OOM kill); 0 when every restart waits.
    pub free: u32,
    /// The first delay after the free ones; each next quick death doubles it.
    pub first: Duration,
    /// The longest delay.
    pub max: Duration,
    /// A life this long proves the process healthy: the count restarts.
    pub healthy: Duration,
}

/// Worker slots and the zygote: the first quick death is respawned at once,
/// the next ones after 1, 2, 4 … s, at most 30 s; 10 s of life resets.
pub const WORKER_RESPAWN: Policy = Policy {
    free: 1,
    first: Duration::from_secs(1),
    max: Duration::from_secs(30),
    healthy: Duration::from_secs(10),
};

/// App masters under the supervisor: every restart waits, 1 s doubling to
/// 60 s; 30 s of life resets.
pub const APP_RESTART: Policy = Policy {
    free: 0,
    first: Duration::from_secs(1),
    max: Duration::from_secs(60),
    healthy: Duration::from_secs(30),
};

/// Attached daemons: uWSGI restarts a daemon that lived over 3 s at once
/// and throttles quicker deaths, up to 5 min (`max_throttle=` lowers it).
pub const DAEMON_RESPAWN: Policy = Policy {
    free: 1,
    first: Duration::from_secs(1),
    max: Duration::from_secs(300),
    healthy: Duration::from_secs(3),
};

/// The restart history of one process (a worker slot, a zygote, an app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    policy: Policy,
    /// Deaths in a row that came before `policy.healthy`.
    quick_deaths: u32,
}

impl Backoff {
    pub const fn new(policy: Policy) -> Backoff {
        Backoff {
            policy,
            quick_deaths: 0,
        }
    }

    /// Records a death after `lived`; returns how long to wait before the
    /// restart. After a healthy life the count restarts, and the death is
    /// restarted as early as the policy allows: at once when quick deaths
    /// are free, else after `first` (and it counts as the first).
    pub fn on_death(&mut self, lived: Duration) -> Duration {
        if lived >= self.policy.healthy {
            self.quick_deaths = 0;
            if self.policy.free > 0 {
                return Duration::ZERO;
            }
        }
        self.quick_deaths = self.quick_deaths.saturating_add(1);
        self.delay()
    }

    /// Forgets past deaths (an operator started the process again).
    pub fn reset(&mut self) {
        self.quick_deaths = 0;
    }

    fn delay(&self) -> Duration {
        let Some(waiting) = self.quick_deaths.checked_sub(self.policy.free + 1) else {
            return Duration::ZERO;
        };
        self.policy
            .first
            .checked_mul(1u32 << waiting.min(16))
            .map_or(self.policy.max, |d| d.min(self.policy.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: Duration = Duration::from_millis(100);

    fn delays(policy: Policy, n: usize) -> Vec<u64> {
        let mut b = Backoff::new(policy);
        (0..n).map(|_| b.on_death(QUICK).as_secs()).collect()
    }

    #[test]
    fn worker_respawns_grow_after_one_free_death_up_to_30_s() {
        assert_eq!(delays(WORKER_RESPAWN, 9), [0, 1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn app_restarts_double_from_1_s_up_to_a_minute() {
        assert_eq!(delays(APP_RESTART, 9), [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn daemon_respawns_grow_up_to_five_minutes() {
        assert_eq!(
            delays(DAEMON_RESPAWN, 11),
            [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
        );
    }

    #[test]
    fn a_healthy_worker_life_resets_it() {
        let mut b = Backoff::new(WORKER_RESPAWN);
        for _ in 0..5 {
            b.on_death(QUICK);
        }
        assert_eq!(b.on_death(WORKER_RESPAWN.healthy), Duration::ZERO);
        assert_eq!(b.on_death(QUICK), Duration::ZERO);
        assert_eq!(b.on_death(QUICK), Duration::from_secs(1));
    }

    #[test]
    fn a_healthy_app_life_restarts_after_the_first_delay() {
        let mut b = Backoff::new(APP_RESTART);
        for _ in 0..3 {
            b.on_death(QUICK);
        }
        assert_eq!(b.on_death(APP_RESTART.healthy), Duration::from_secs(1));
        assert_eq!(b.on_death(QUICK), Duration::from_secs(2));
        b.reset();
        assert_eq!(b.on_death(QUICK), Duration::from_secs(1));
    }

    #[test]
    fn never_overflows() {
        let mut b = Backoff::new(WORKER_RESPAWN);
        b.quick_deaths = u32::MAX - 1;
        assert_eq!(b.on_death(QUICK), WORKER_RESPAWN.max);
        assert_eq!(b.on_death(QUICK), WORKER_RESPAWN.max);
    }
}
