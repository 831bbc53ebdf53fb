//! `uwsgictl`: the operator's tool for uwsgid. It talks gRPC to the
//! supervisor (or to one app master) on a unix control socket; see
//! `uwsgictl --help` for the commands and exit codes.
//!
//! A library with one entry point, [`main`], so that the `uwsgid` package can
//! build the same `uwsgictl` into its Python wheel (`pip install` puts both
//! binaries into the venv's `bin/`).

mod cli;
mod client;
mod commands;
mod exit;
mod output;
mod server_process;
mod target;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::exit::Exit;

/// The whole command: parses the process's arguments, runs, and gives the
/// exit code.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let outcome = match args.get(1) {
        Some(mode) if mode == commands::man::MODE => commands::man::run(&args[2..]),
        _ => run(cli::Cli::parse_from(args)),
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(err) => match exit::classify(&err) {
            Some((exit, message)) => {
                eprintln!("uwsgictl: {message}");
                exit.into()
            }
            None => Exit::Ok.into(),
        },
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<Exit> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(commands::run(cli, &mut std::io::stdout().lock()))
}
