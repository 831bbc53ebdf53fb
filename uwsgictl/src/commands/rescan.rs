//! `uwsgictl rescan`: the supervisor scans its apps directory now instead
//! of at its next periodic scan.

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::RescanRequest;

use super::{Context, reply};
use crate::exit::Exit;

pub async fn run(ctx: &Context, out: &mut dyn Write) -> Result<Exit> {
    let reply = ctx.connect().await?.rescan(RescanRequest {}).await?;
    reply::action(ctx, out, reply)
}
