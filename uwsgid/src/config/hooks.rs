//! uWSGI's hooks (`hook-asap`, `hook-as-root`, `hook-master-start`,
//! `hook-post-fork`, …): `ACTION:ARGS` lines run at fixed points of the
//! start-up (`crate::hooks`). An unknown action or a line without `:` is a
//! configuration error with its line, where uWSGI exits at start
//! ("hook action not found", "invalid hook syntax").

use serde::{Deserialize, Serialize};

/// The actions uwsgid runs (uWSGI's base hooks that mean something here).
pub const ACTIONS: &[&str] = &[
    "exec",
    "safeexec",
    "mkdir",
    "chdir",
    "cd",
    "putenv",
    "write",
    "writen",
    "append",
    "appendn",
    "create",
    "creat",
    "writefifo",
    "unlink",
    "symlink",
    "chmod",
    "sticky",
    "chown",
    "chown2",
    "print",
    "log",
    "exit",
    "unix_signal",
];

/// The hook lines of each point, in configuration order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hooks {
    pub asap: Vec<String>,
    pub pre_jail: Vec<String>,
    pub in_jail: Vec<String>,
    pub post_jail: Vec<String>,
    pub as_root: Vec<String>,
    pub as_user: Vec<String>,
    pub as_user_atexit: Vec<String>,
    pub master_start: Vec<String>,
    pub pre_app: Vec<String>,
    pub post_app: Vec<String>,
    pub post_fork: Vec<String>,
    pub accepting: Vec<String>,
    pub accepting1: Vec<String>,
    /// `hook-as-mule`: in each mule, before its script or its loop.
    pub as_mule: Vec<String>,
}

/// Checks one hook line: `ACTION:ARGS` with a known action (`!ACTION`
/// hides the line from the log, as in uWSGI).
pub fn check(line: &str) -> Result<String, String> {
    let (action, _) = line
        .split_once(':')
        .ok_or("invalid hook syntax, must be hook:args")?;
    let action = action.strip_prefix('!').unwrap_or(action);
    if !ACTIONS.contains(&action) {
        return Err(format!(
            "hook action `{action}` is not implemented by uwsgid (it runs: {})",
            ACTIONS.join(", ")
        ));
    }
    Ok(line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_need_a_known_action() {
        assert!(check("exec:touch /tmp/x").is_ok());
        assert!(check("!print:secret").is_ok());
        assert!(check("unix_signal:15 gracefully_kill_them_all").is_ok());
        assert!(check("print").is_err());
        assert!(check("mount:proc none /proc").is_err());
    }
}
