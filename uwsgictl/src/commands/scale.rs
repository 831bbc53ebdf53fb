//! `uwsgictl scale APP N`: N workers, at runtime only (the ini stays the
//! truth: it is not rewritten).

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::ScaleRequest;

use super::{Context, reply};
use crate::cli::ScaleArgs;
use crate::exit::Exit;

pub async fn run(ctx: &Context, out: &mut dyn Write, args: ScaleArgs) -> Result<Exit> {
    let request = ScaleRequest {
        app: args.app,
        processes: args.processes,
    };
    let reply = ctx.connect().await?.scale(request).await?;
    reply::action(ctx, out, reply)
}
