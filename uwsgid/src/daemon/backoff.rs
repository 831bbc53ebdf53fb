//! Restart backoff for app masters that die without being asked to: the
//! first restart after 1 s, then 2, 4 … up to 60 s; an app master that ran
//! 30 s resets the delay. (uWSGI's Emperor throttles in 1 s steps up to
//! 3 min; a doubling delay reaches the cap sooner and wastes less.)

use std::time::Duration;

/// The first delay.
const FIRST: Duration = Duration::from_secs(1);
/// The longest delay.
const MAX: Duration = Duration::from_secs(60);
/// A life this long proves the app healthy again.
const HEALTHY: Duration = Duration::from_secs(30);

/// The restart delays of one app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backoff {
    /// Deaths in a row of app masters that did not live [`HEALTHY`].
    failures: u32,
}

impl Backoff {
    /// Records a death after `lived`; returns how long to wait before the
    /// next start.
    pub fn next_delay(&mut self, lived: Duration) -> Duration {
        if lived >= HEALTHY {
            self.failures = 0;
        }
        let delay = FIRST
            .checked_mul(1u32 << self.failures.min(16))
            .map_or(MAX, |d| d.min(MAX));
        self.failures = self.failures.saturating_add(1);
        delay
    }

    /// Forgets past failures (an operator started the app again).
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// How a process ended, for people: "exit code 22", "signal 9".
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => "an unknown status".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: Duration = Duration::from_secs(2);

    #[test]
    fn delays_double_up_to_a_minute() {
        let mut b = Backoff::default();
        let secs: Vec<u64> = (0..9).map(|_| b.next_delay(SHORT).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
        for _ in 0..100 {
            assert_eq!(b.next_delay(SHORT), MAX);
        }
    }

    #[test]
    fn a_long_life_resets_the_delay() {
        let mut b = Backoff::default();
        b.next_delay(SHORT);
        b.next_delay(SHORT);
        assert_eq!(b.next_delay(SHORT), Duration::from_secs(4));
        assert_eq!(b.next_delay(HEALTHY), FIRST);
        assert_eq!(b.next_delay(SHORT), Duration::from_secs(2));
        b.reset();
        assert_eq!(b.next_delay(SHORT), FIRST);
    }

    #[test]
    fn exits_are_described_by_code_or_signal() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            describe_exit(&std::process::ExitStatus::from_raw(22 << 8)),
            "exit code 22"
        );
        assert_eq!(
            describe_exit(&std::process::ExitStatus::from_raw(9)),
            "signal 9"
        );
    }
}
