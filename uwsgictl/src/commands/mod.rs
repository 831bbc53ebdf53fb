//! One file per subcommand; this module hands each its arguments, the
//! connection settings and stdout, and gets back the exit code.

mod add;
mod check;
mod completions;
mod logs;
pub mod man;
mod reload;
mod remove;
mod reply;
mod rescan;
mod restart;
mod scale;
mod start;
mod status;
mod stop;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use uwsgid_proto::v1::AppRequest;

use crate::cli::{Cli, Command, SelectArgs};
use crate::client::{self, Client};
use crate::exit::Exit;

/// What every command that talks to uwsgid needs.
pub struct Context {
    socket: PathBuf,
    /// `--json`: replies as JSON instead of tables and sentences.
    pub json: bool,
}

impl Context {
    pub async fn connect(&self) -> Result<Client> {
        Ok(client::connect(&self.socket).await?)
    }
}

/// Runs the command `cli` names, writing its output to `out`.
pub async fn run(cli: Cli, out: &mut dyn Write) -> Result<Exit> {
    let ctx = Context {
        socket: client::socket_path(cli.socket),
        json: cli.json,
    };
    match cli.command {
        Command::Status(args) => status::run(&ctx, out, args).await,
        Command::Start(args) => start::run(&ctx, out, args).await,
        Command::Stop(args) => stop::run(&ctx, out, args).await,
        Command::Restart(args) => restart::run(&ctx, out, args).await,
        Command::Reload(args) => reload::run(&ctx, out, args).await,
        Command::Add(args) => add::run(&ctx, out, args).await,
        Command::Remove(args) => remove::run(&ctx, out, args).await,
        Command::Rescan => rescan::run(&ctx, out).await,
        Command::Scale(args) => scale::run(&ctx, out, args).await,
        Command::Check(args) => check::run(&ctx, out, args).await,
        Command::Logs(args) => logs::run(&ctx, out, args).await,
        Command::Completions(args) => completions::run(out, args),
    }
}

/// The request for "this app" or "every app".
fn select(args: SelectArgs) -> AppRequest {
    AppRequest {
        app: args.app.unwrap_or_default(),
        all: args.all,
        ini: String::new(),
    }
}
