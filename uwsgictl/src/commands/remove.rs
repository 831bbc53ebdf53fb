//! `uwsgictl remove APP`: stops the app and takes its ini out of the apps
//! directory (the file an ini link points to stays).

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::AppRequest;

use super::{Context, reply};
use crate::cli::AppArgs;
use crate::exit::Exit;

pub async fn run(ctx: &Context, out: &mut dyn Write, args: AppArgs) -> Result<Exit> {
    let request = AppRequest {
        app: args.app,
        ..AppRequest::default()
    };
    let reply = ctx.connect().await?.remove(request).await?;
    reply::action(ctx, out, reply)
}
