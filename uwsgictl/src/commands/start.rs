//! `uwsgictl start APP|INI`: an app by name, or an ini file (sent absolute;
//! the supervisor adds it to the apps directory first).

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::AppRequest;

use super::{Context, reply};
use crate::cli::StartArgs;
use crate::exit::Exit;
use crate::target::{Target, classify};

pub async fn run(ctx: &Context, out: &mut dyn Write, args: StartArgs) -> Result<Exit> {
    let request = match classify(&args.target)? {
        Target::App(app) => AppRequest {
            app,
            ..AppRequest::default()
        },
        Target::Ini(ini) => AppRequest {
            ini: ini.to_string_lossy().into_owned(),
            ..AppRequest::default()
        },
    };
    let reply = ctx.connect().await?.start(request).await?;
    reply::action(ctx, out, reply)
}
