//! When a signal cron (`uwsgi.add_cron`) is due: uWSGI 2.0.31's
//! `uwsgi_cron_task_needs_execution` (core/master_utils.c), on the local
//! time. A negative field means "every N" (`-1` = `*`, `-5` = `*/5`);
//! week day 7 is Sunday as 0 is; when both the day of the month and the
//! day of the week are given (not negative), either may match, as in
//! crontab.

/// The local time, as `struct tm` has it, with the month 1-based (uWSGI
/// adds one before matching).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub minute: i32,
    pub hour: i32,
    pub mday: i32,
    pub month: i32,
    pub wday: i32,
}

impl LocalTime {
    /// The local time of `epoch` seconds, if libc can tell it.
    pub fn of(epoch: i64) -> Option<LocalTime> {
        let t: libc::time_t = epoch;
        // SAFETY: an all-zero `tm` is valid; localtime_r fills it and reads
        // nothing else than `t`.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are to live locals.
        if unsafe { libc::localtime_r(&raw const t, &raw mut tm) }.is_null() {
            return None;
        }
        Some(LocalTime {
            minute: tm.tm_min,
            hour: tm.tm_hour,
            mday: tm.tm_mday,
            month: tm.tm_mon + 1,
            wday: tm.tm_wday,
        })
    }
}

/// `[minute, hour, day, month, week]` against `now`.
pub fn needs_execution(now: LocalTime, fields: [i32; 5]) -> bool {
    let [minute, hour, day, month, week] = fields;
    let every = |field: i32, value: i32, exact: i32| {
        if field < 0 && value % field.abs() == 0 {
            value
        } else {
            exact
        }
    };
    let uc_minute = every(minute, now.minute, minute);
    let uc_hour = every(hour, now.hour, hour);
    let uc_month = every(month, now.month, month);
    let uc_day = every(day, now.mday, day);
    let uc_week = every(week, now.wday, if week == 7 { 0 } else { week });
    let clock = now.minute == uc_minute && now.hour == uc_hour && now.month == uc_month;
    if day >= 0 && week >= 0 {
        clock && (now.mday == uc_day || now.wday == uc_week)
    } else {
        clock && now.mday == uc_day && now.wday == uc_week
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON_MONDAY_3RD: LocalTime = LocalTime {
        minute: 0,
        hour: 12,
        mday: 3,
        month: 6,
        wday: 1,
    };

    #[test]
    fn every_minute_matches_always() {
        assert!(needs_execution(NOON_MONDAY_3RD, [-1, -1, -1, -1, -1]));
    }

    #[test]
    fn steps_and_exact_values() {
        let at = |minute| LocalTime {
            minute,
            ..NOON_MONDAY_3RD
        };
        assert!(needs_execution(at(15), [-5, -1, -1, -1, -1]));
        assert!(!needs_execution(at(16), [-5, -1, -1, -1, -1]));
        assert!(needs_execution(at(30), [30, 12, -1, -1, -1]));
        assert!(!needs_execution(at(30), [30, 13, -1, -1, -1]));
    }

    #[test]
    fn day_and_week_day_are_ored_when_both_given() {
        // The 3rd, or a Friday: the 3rd matches though it is a Monday.
        assert!(needs_execution(NOON_MONDAY_3RD, [0, 12, 3, -1, 5]));
        // The 4th, or a Monday.
        assert!(needs_execution(NOON_MONDAY_3RD, [0, 12, 4, -1, 1]));
        assert!(!needs_execution(NOON_MONDAY_3RD, [0, 12, 4, -1, 5]));
        // Only one given: both must match.
        assert!(!needs_execution(NOON_MONDAY_3RD, [0, 12, -1, -1, 5]));
    }

    #[test]
    fn seven_is_sunday() {
        let sunday = LocalTime {
            wday: 0,
            ..NOON_MONDAY_3RD
        };
        assert!(needs_execution(sunday, [0, 12, -1, -1, 7]));
    }

    #[test]
    fn the_local_time_is_read() {
        assert!(LocalTime::of(0).is_some());
    }
}
