//! The app's log variables (`uwsgi.set_logvar`): `%(NAME)` of `log-format`
//! for a name that is none of uWSGI's request variables, and
//! `uwsgi.log_this_request`. They belong to the request the Python thread
//! runs, and the thread builds that request's line itself, so they live in
//! the thread: nothing is shared, nothing allocated unless the app sets one.

use std::cell::{Cell, RefCell};

thread_local! {
    static VARS: RefCell<Vec<(Box<str>, Box<str>)>> = const { RefCell::new(Vec::new()) };
    static FORCED: Cell<bool> = const { Cell::new(false) };
}

/// Sets `key` for the current request (a second set replaces the value,
/// as in uWSGI).
pub fn set(key: &str, value: &str) {
    VARS.with_borrow_mut(|vars| match vars.iter_mut().find(|(k, _)| &**k == key) {
        Some((_, v)) => *v = value.into(),
        None => vars.push((key.into(), value.into())),
    });
}

/// The value of `key` in the current request.
pub fn get(key: &str) -> Option<String> {
    VARS.with_borrow(|vars| {
        vars.iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| v.to_string())
    })
}

/// Appends the value of `key`, if set, to `out`.
pub fn write(out: &mut String, key: &str) {
    VARS.with_borrow(|vars| {
        if let Some((_, v)) = vars.iter().find(|(k, _)| &**k == key) {
            out.push_str(v);
        }
    });
}

/// The current request is logged whatever the filters say.
pub fn force() {
    FORCED.set(true);
}

/// Whether `force` was called in the current request.
pub fn forced() -> bool {
    FORCED.get()
}

/// The request's line is written: forget its variables.
pub fn end_request() {
    FORCED.set(false);
    VARS.with_borrow_mut(|vars| {
        if !vars.is_empty() {
            vars.clear();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_lives_until_the_request_ends() {
        set("user", "alice");
        set("user", "bob");
        set("team", "x");
        assert_eq!(get("user").as_deref(), Some("bob"));
        let mut out = String::new();
        write(&mut out, "team");
        write(&mut out, "nobody");
        assert_eq!(out, "x");
        force();
        assert!(forced());
        end_request();
        assert_eq!(get("user"), None);
        assert!(!forced());
    }
}
