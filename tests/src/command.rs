//! One-shot commands with a time limit: `uwsgictl` and anything else a test
//! runs to completion (long-running processes use [`crate::Server`]).

use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::paths::uwsgictl_bin;
use crate::wait::wait_until;

/// Runs `cmd` to completion with stdout and stderr captured; kills it and
/// fails when it runs past `timeout`. A non-zero exit is not an error here:
/// the caller asserts on [`Output::status`].
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Result<Output> {
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let out = std::fs::File::create(&out_path).context("cannot create the stdout file")?;
    let err = std::fs::File::create(&err_path).context("cannot create the stderr file")?;
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start {what}"))?;
    let status = match wait_until(&what, timeout, || child.try_wait().ok().flatten()) {
        Ok(status) => status,
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{err:#}");
        }
    };
    Ok(Output {
        status,
        stdout: std::fs::read(&out_path).context("cannot read stdout")?,
        stderr: std::fs::read(&err_path).context("cannot read stderr")?,
    })
}

/// `uwsgictl ARGS…` of this build, at most [`crate::DEFAULT_TIMEOUT`].
pub fn uwsgictl<S: AsRef<OsStr>>(args: &[S]) -> Result<Output> {
    let mut cmd = Command::new(uwsgictl_bin()?);
    cmd.args(args);
    run_with_timeout(cmd, crate::DEFAULT_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use std::process::Command;
    use std::time::{Duration, Instant};

    use super::run_with_timeout;

    #[test]
    fn output_and_status_are_captured() {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let output = run_with_timeout(cmd, Duration::from_secs(10)).expect("runs");
        assert_eq!(output.status.code(), Some(3));
        assert_eq!(output.stdout, b"out\n");
        assert_eq!(output.stderr, b"err\n");
    }

    #[test]
    fn a_command_past_its_time_is_killed() {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "sleep 300"]);
        let started = Instant::now();
        assert!(run_with_timeout(cmd, Duration::from_millis(300)).is_err());
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
