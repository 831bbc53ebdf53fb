//! `uwsgictl add INI [--no-start]`: the supervisor links the ini into its
//! apps directory, so the app survives restarts of uwsgid and of the host.

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::AddRequest;

use super::{Context, reply};
use crate::cli::AddArgs;
use crate::exit::Exit;
use crate::target::absolute;

pub async fn run(ctx: &Context, out: &mut dyn Write, args: AddArgs) -> Result<Exit> {
    let request = AddRequest {
        ini: absolute(&args.ini)?.to_string_lossy().into_owned(),
        start: !args.no_start,
    };
    let reply = ctx.connect().await?.add(request).await?;
    reply::action(ctx, out, reply)
}
