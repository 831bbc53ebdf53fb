//! `uwsgictl restart APP|--all`: a new app master (a reload keeps the master;
//! a restart also applies what a reload cannot, such as sockets and `uid`).

use std::io::Write;

use anyhow::Result;

use super::{Context, reply, select};
use crate::cli::SelectArgs;
use crate::exit::Exit;

pub async fn run(ctx: &Context, out: &mut dyn Write, args: SelectArgs) -> Result<Exit> {
    let reply = ctx.connect().await?.restart(select(args)).await?;
    reply::action(ctx, out, reply)
}
