//! Client scripts run by the test virtualenv's Python: for what `curl` cannot
//! do exactly (pipelining, keep-alive on one socket, hand-made chunked
//! bodies, `Expect: 100-continue`, raw bytes). Scripts import the helpers of
//! `tests/fixtures/clients/` (`rawhttp`) and print their findings, usually as
//! JSON, for the test to assert on.

use std::ffi::{OsStr, OsString};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::paths::{fixture_path, venv_python};
use crate::wait::wait_until;

/// A Python script to run, with its arguments.
#[derive(Debug, Clone)]
pub struct Python {
    source: String,
    args: Vec<OsString>,
    timeout: Duration,
}

impl Python {
    /// The script `source` (run as `python -c`).
    pub fn script(source: impl Into<String>) -> Python {
        Python {
            source: source.into(),
            args: Vec::new(),
            timeout: crate::DEFAULT_TIMEOUT,
        }
    }

    /// An argument, visible as `sys.argv[1..]`.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// The script's time limit; it is killed after it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the script; fails with its stderr when it exits non-zero or runs
    /// out of time. Returns its stdout.
    pub fn run(self) -> Result<String> {
        let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
        let out_path = dir.path().join("stdout");
        let err_path = dir.path().join("stderr");
        let out = std::fs::File::create(&out_path).context("cannot create stdout file")?;
        let err = std::fs::File::create(&err_path).context("cannot create stderr file")?;
        let mut child = Command::new(venv_python()?)
            .arg("-c")
            .arg(&self.source)
            .args(&self.args)
            .env("PYTHONPATH", fixture_path("clients"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .context("cannot start the venv's python")?;
        let status = wait_until("the Python client", self.timeout, || {
            child.try_wait().ok().flatten()
        });
        let stderr = || std::fs::read_to_string(&err_path).unwrap_or_default();
        let status = match status {
            Ok(status) => status,
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{err}; its stderr:\n{}", stderr());
            }
        };
        if !status.success() {
            bail!("the Python client failed ({status}):\n{}", stderr());
        }
        std::fs::read_to_string(&out_path).context("cannot read the client's output")
    }

    /// Runs the script and parses its stdout as JSON.
    pub fn run_json(self) -> Result<serde_json::Value> {
        let out = self.run()?;
        serde_json::from_str(&out).with_context(|| format!("client output is not JSON: {out:?}"))
    }
}
