//! Printing the plain reply of an action (start, stop, scale, …): the
//! server's sentence for people, the reply object with `--json`.

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::ActionReply;

use super::Context;
use crate::exit::Exit;
use crate::output::json;

pub fn action(
    ctx: &Context,
    out: &mut dyn Write,
    reply: tonic::Response<ActionReply>,
) -> Result<Exit> {
    let reply = reply.into_inner();
    if ctx.json {
        json::pretty(out, &reply)?;
    } else if !reply.message.is_empty() {
        writeln!(out, "{}", reply.message)?;
    }
    Ok(Exit::Ok)
}
