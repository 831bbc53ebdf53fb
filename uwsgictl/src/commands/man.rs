//! `uwsgictl __man DIR` (hidden, for packaging): `uwsgictl.1` and one page
//! per subcommand (`uwsgictl-status.1`, …), from the clap definitions.

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::exit::Exit;

pub fn run(args: ManArgs) -> Result<Exit> {
    let dir = &args.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
    Ok(Exit::Ok)
}
