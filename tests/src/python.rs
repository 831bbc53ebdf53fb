//! Client scripts run by the test virtualenv's Python: for what `curl` cannot
//! do exactly (pipelining, keep-alive on one socket, hand-made chunked
//! bodies, `Expect: 100-continue`, raw bytes). Scripts import the helpers of
//! `tests/fixtures/clients/` (`rawhttp`) and print their findings, usually as
//! JSON, for the test to assert on.

use std::ffi::{OsStr, OsString};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::command::run_with_timeout;
use crate::paths::{fixture_path, venv_python};

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
        let mut cmd = Command::new(venv_python()?);
        cmd.arg("-c")
            .arg(&self.source)
            .args(&self.args)
            .env("PYTHONPATH", fixture_path("clients"))
            .env("PYTHONDONTWRITEBYTECODE", "1");
        let output = run_with_timeout(cmd, self.timeout).context("the Python client")?;
        if !output.status.success() {
            bail!(
                "the Python client failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        String::from_utf8(output.stdout).context("the client printed invalid UTF-8")
    }

    /// Runs the script and parses its stdout as JSON.
    pub fn run_json(self) -> Result<serde_json::Value> {
        let out = self.run()?;
        serde_json::from_str(&out).with_context(|| format!("client output is not JSON: {out:?}"))
    }
}
