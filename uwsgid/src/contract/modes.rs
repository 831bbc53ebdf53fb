//! How the one `uwsgid` binary is told what to be when a master or a
//! supervisor execs it.

use std::ffi::OsString;
use std::path::PathBuf;

/// Hidden first argument that runs the zygote.
pub const ZYGOTE_MODE: &str = "__zygote";
/// Hidden first argument that runs one lazy-apps worker.
pub const WORKER_MODE: &str = "__worker";
/// Hidden first argument that prints the man page.
pub const MAN_MODE: &str = "__man";

/// Splits `--control PATH` (or `--control=PATH`) off an app master's
/// arguments; the last one given wins. It is where the app serves its control
/// API (the supervisor passes it), not a uWSGI option.
pub fn take_control(args: Vec<OsString>) -> (Option<PathBuf>, Vec<OsString>) {
    let mut control = None;
    let mut rest = Vec::with_capacity(args.len());
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--control" {
            control = iter.next().map(PathBuf::from);
        } else if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--control=")) {
            control = Some(PathBuf::from(path));
        } else {
            rest.push(arg);
        }
    }
    (control, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_control_argument_wins_and_the_rest_is_kept() {
        let args = [
            "--ini",
            "a.ini",
            "--control",
            "/x",
            "--control=/y",
            "--http",
            ":1",
        ];
        let (control, rest) = take_control(args.iter().map(OsString::from).collect());
        assert_eq!(control, Some(PathBuf::from("/y")));
        assert_eq!(rest, ["--ini", "a.ini", "--http", ":1"]);
    }
}
