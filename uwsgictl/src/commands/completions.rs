//! `uwsgictl completions SHELL`: the completion script, generated from the
//! same clap definitions as `--help`.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;

pub fn run(out: &mut dyn Write, args: CompletionsArgs) -> Result<Exit> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "uwsgictl", out);
    out.flush()?;
    Ok(Exit::Ok)
}
