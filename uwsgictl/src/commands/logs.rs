//! `uwsgictl logs APP [-n LINES] [--follow]`: the app's log as it is
//! written, chunk by chunk (the bytes are passed through as they are, with
//! or without `--json`).

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::LogsRequest;

use super::Context;
use crate::cli::LogsArgs;
use crate::exit::Exit;

pub async fn run(ctx: &Context, out: &mut dyn Write, args: LogsArgs) -> Result<Exit> {
    let request = LogsRequest {
        app: args.app,
        lines: args.lines,
        follow: args.follow,
    };
    let mut stream = ctx.connect().await?.logs(request).await?.into_inner();
    while let Some(chunk) = stream.message().await? {
        out.write_all(&chunk.data)?;
        out.flush()?;
    }
    Ok(Exit::Ok)
}
