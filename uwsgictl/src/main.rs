//! `uwsgictl`: the operator's tool for uwsgid. It talks gRPC to the
//! supervisor (or to one app master) on a unix control socket; see
//! `uwsgictl --help` for the commands and exit codes.

mod cli;
mod client;
mod commands;
mod exit;
mod output;
mod target;

use std::process::ExitCode;

use clap::Parser;

use crate::exit::Exit;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(commands::run(cli, &mut std::io::stdout().lock())));
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
