//! Running uWSGI's hooks: each `ACTION:ARGS` line of a hook point, in
//! order, logged as uWSGI logs it (`running "exec:..." (as-root)...`). A
//! failing action is fatal, as in uWSGI ("FATAL hook failed, destroying
//! instance"): the caller stops the app. The master's points are run by
//! `master/`, the workers' by `worker/`; `unix_signal` is the master's
//! alone (`master-start`) and comes back to it as a [`SignalAction`].

mod actions;

use crate::log::log_line;

/// What `unix_signal:N FUNCTION` makes signal N do in the master (uWSGI's
/// function names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalAction {
    /// `gracefully_kill_them_all`: a graceful stop.
    GracefulStop,
    /// `kill_them_all`: an immediate stop.
    ImmediateStop,
    /// `grace_them_all`, `reap_them_all`: a (graceful) reload.
    Reload,
    /// `stats`: the stats lines.
    Stats,
    /// `suspend_resume_them_all`: pause or resume the workers.
    Pause,
}

impl SignalAction {
    fn named(function: &str) -> Option<SignalAction> {
        Some(match function {
            "gracefully_kill_them_all" => SignalAction::GracefulStop,
            "kill_them_all" => SignalAction::ImmediateStop,
            "grace_them_all" | "reap_them_all" => SignalAction::Reload,
            "stats" => SignalAction::Stats,
            "suspend_resume_them_all" => SignalAction::Pause,
            _ => return None,
        })
    }
}

/// Why a hook failed (logged by [`run`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HookFailed(String);

/// Runs the lines of hook point `phase`; the `unix_signal` lines come
/// back as (signal, action) for the master. The first failure stops the
/// run and is returned, after uWSGI's fatal line.
pub fn run(phase: &str, lines: &[String]) -> Result<Vec<(i32, SignalAction)>, HookFailed> {
    let mut signals = Vec::new();
    for line in lines {
        let (action, args) = line.split_once(':').unwrap_or((line, ""));
        let (action, private) = match action.strip_prefix('!') {
            Some(action) => (action, true),
            None => (action, false),
        };
        if private {
            log_line!("running --- PRIVATE HOOK --- ({phase})...");
        } else {
            log_line!("running \"{line}\" ({phase})...");
        }
        let done = match action {
            "unix_signal" => unix_signal(args).map(|s| signals.push(s)),
            _ => actions::run(action, args),
        };
        if let Err(why) = done {
            log_line!("{why}");
            log_line!("FATAL hook failed, destroying instance");
            return Err(HookFailed(format!(
                "hook \"{line}\" ({phase}) failed: {why}"
            )));
        }
    }
    Ok(signals)
}

/// `unix_signal:N FUNCTION`.
fn unix_signal(args: &str) -> Result<(i32, SignalAction), String> {
    let (signum, function) = args
        .split_once(' ')
        .ok_or("invalid unix_signal syntax, must be <signum> <func>")?;
    let signum: i32 = signum
        .trim()
        .parse()
        .map_err(|_| format!("invalid signal number {signum:?}"))?;
    let action = SignalAction::named(function.trim()).ok_or_else(|| {
        format!(
            "unable to find function \"{}\" (uwsgid maps gracefully_kill_them_all, kill_them_all, grace_them_all, reap_them_all, stats)",
            function.trim()
        )
    })?;
    Ok((signum, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_signal_maps_uwsgis_functions() {
        let lines = vec!["unix_signal:15 gracefully_kill_them_all".to_owned()];
        assert_eq!(
            run("master-start", &lines).expect("runs"),
            vec![(15, SignalAction::GracefulStop)]
        );
        let bad = vec!["unix_signal:15 no_such_function".to_owned()];
        assert!(run("master-start", &bad).is_err());
    }

    #[test]
    fn a_failing_action_stops_the_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let made = dir.path().join("made");
        let lines = vec!["exec:false".to_owned(), format!("mkdir:{}", made.display())];
        assert!(run("as-root", &lines).is_err());
        assert!(!made.exists(), "nothing after the failure runs");
    }
}
