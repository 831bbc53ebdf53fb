//! `uwsgictl` and the packaging end to end: the real `uwsgictl` binary
//! without a server (exit codes, completions, man pages), the systemd unit
//! (its keys, and `systemd-analyze verify`), `packaging/build-assets`, and
//! the files the Debian metadata names.

use std::path::{Path, PathBuf};
use std::process::Output;

use uwsgid_e2e::{TestDir, repo_root, uwsgictl};

mod app_master;
mod assets;
mod examples;
mod offline;
mod unit_file;

/// stdout and stderr of `output`, lossy, for assertions and their messages.
pub(crate) fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `packaging/<rel>`.
pub(crate) fn packaging(rel: &str) -> PathBuf {
    repo_root().join("packaging").join(rel)
}

pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
