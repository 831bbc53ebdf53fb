//! `uwsgictl __man DIR` (for packaging): `uwsgictl.1` and one page per
//! subcommand (`uwsgictl-status.1`, …), from the clap definitions. It is
//! not a clap subcommand, so that neither `--help` nor the completions
//! offer it.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit::Exit;

/// The first argument that selects this mode.
pub const MODE: &str = "__man";

/// Writes the pages into the directory `args` (the arguments after
/// [`MODE`]) names.
pub fn run(args: &[OsString]) -> Result<Exit> {
    let [dir] = args else {
        bail!("usage: uwsgictl {MODE} DIR");
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), &dir)
        .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
    Ok(Exit::Ok)
}
