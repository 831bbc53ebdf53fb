//! `uwsgictl stop APP|--all`: a graceful stop; the app stays stopped across
//! restarts of uwsgid until started again.

use std::io::Write;

use anyhow::Result;

use super::{Context, reply, select};
use crate::cli::SelectArgs;
use crate::exit::Exit;

pub async fn run(ctx: &Context, out: &mut dyn Write, args: SelectArgs) -> Result<Exit> {
    let reply = ctx.connect().await?.stop(select(args)).await?;
    reply::action(ctx, out, reply)
}
