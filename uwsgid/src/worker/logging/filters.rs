//! Which requests get a line (uWSGI's `log_request`): all of them unless
//! `disable-logging`; with it, still those that match a condition
//! (`log-zero`, `log-slow`, `log-4xx`, `log-5xx`, `log-big`,
//! `log-sendfile`, `log-ioerror`). A condition adds nothing when logging
//! is on: every request is logged then.

use crate::config::Conditions;

use super::request_log::Entry;

/// The decision, made once per request before any formatting.
#[derive(Debug, Clone, Copy)]
pub struct Filters {
    /// Every request is logged (no `disable-logging`).
    pub all: bool,
    pub conditions: Conditions,
}

impl Filters {
    /// Whether `entry` gets a line.
    pub fn wants(&self, entry: &Entry<'_>) -> bool {
        self.all || self.matches(entry)
    }

    /// Whether `entry` matches a condition, in uWSGI's order.
    fn matches(&self, e: &Entry<'_>) -> bool {
        let c = &self.conditions;
        let status = e.response.map_or(0, |r| r.code);
        let millis = e.elapsed.as_millis();
        (c.zero && e.body_bytes == 0)
            || (c.slow_ms > 0 && millis >= u128::from(c.slow_ms))
            || (c.status_4xx && (400..=499).contains(&status))
            || (c.status_5xx && (500..=599).contains(&status))
            || (c.big > 0 && e.body_bytes >= c.big)
            || (c.sendfile && e.via_sendfile)
            || (c.ioerror && e.read_error && e.write_error)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::protocol::request::RequestHead;
    use crate::protocol::response::ResponseHead;

    fn response(code: u16) -> ResponseHead {
        ResponseHead {
            code,
            status: format!("{code} X"),
            headers: Vec::new(),
        }
    }

    fn entry<'a>(head: &'a RequestHead, r: &'a ResponseHead, body: u64, ms: u64) -> Entry<'a> {
        Entry {
            head,
            response: Some(r),
            body_bytes: body,
            elapsed: Duration::from_millis(ms),
            request_number: 1,
            app: None,
            core: 0,
            via_sendfile: false,
            read_error: false,
            write_error: false,
        }
    }

    fn only(conditions: Conditions) -> Filters {
        Filters {
            all: false,
            conditions,
        }
    }

    #[test]
    fn logging_on_logs_everything() {
        let head = RequestHead::default();
        let ok = response(200);
        let f = Filters {
            all: true,
            conditions: Conditions::default(),
        };
        assert!(f.wants(&entry(&head, &ok, 10, 1)));
    }

    #[test]
    fn disabled_without_conditions_logs_nothing() {
        let head = RequestHead::default();
        let bad = response(500);
        assert!(!only(Conditions::default()).wants(&entry(&head, &bad, 0, 9999)));
    }

    #[test]
    fn status_conditions_cover_their_hundred() {
        let head = RequestHead::default();
        let f4 = only(Conditions {
            status_4xx: true,
            ..Conditions::default()
        });
        let f5 = only(Conditions {
            status_5xx: true,
            ..Conditions::default()
        });
        for (code, four, five) in [
            (200, false, false),
            (399, false, false),
            (400, true, false),
            (499, true, false),
            (500, false, true),
            (599, false, true),
        ] {
            let r = response(code);
            assert_eq!(f4.wants(&entry(&head, &r, 1, 0)), four, "{code}");
            assert_eq!(f5.wants(&entry(&head, &r, 1, 0)), five, "{code}");
        }
    }

    #[test]
    fn slow_big_and_zero_are_inclusive_thresholds() {
        let head = RequestHead::default();
        let ok = response(200);
        let slow = only(Conditions {
            slow_ms: 100,
            ..Conditions::default()
        });
        assert!(!slow.wants(&entry(&head, &ok, 1, 99)));
        assert!(slow.wants(&entry(&head, &ok, 1, 100)));
        let big = only(Conditions {
            big: 1000,
            ..Conditions::default()
        });
        assert!(!big.wants(&entry(&head, &ok, 999, 0)));
        assert!(big.wants(&entry(&head, &ok, 1000, 0)));
        let zero = only(Conditions {
            zero: true,
            ..Conditions::default()
        });
        assert!(zero.wants(&entry(&head, &ok, 0, 0)));
        assert!(!zero.wants(&entry(&head, &ok, 1, 0)));
    }

    #[test]
    fn ioerror_needs_both_errors_as_in_uwsgi() {
        let head = RequestHead::default();
        let ok = response(200);
        let f = only(Conditions {
            ioerror: true,
            ..Conditions::default()
        });
        let mut e = entry(&head, &ok, 1, 0);
        e.write_error = true;
        assert!(
            !f.wants(&e),
            "uWSGI tests read_errors > 0 && write_errors > 0"
        );
        e.read_error = true;
        assert!(f.wants(&e));
    }

    #[test]
    fn sendfile_condition() {
        let head = RequestHead::default();
        let ok = response(200);
        let f = only(Conditions {
            sendfile: true,
            ..Conditions::default()
        });
        let mut e = entry(&head, &ok, 1, 0);
        assert!(!f.wants(&e));
        e.via_sendfile = true;
        assert!(f.wants(&e));
    }
}
