//! `uwsgictl check INI[:SECTION]`: the server resolves the ini as a start
//! would and says whether it is valid, what app name it gives, and every
//! warning and error (each naming file, line and option). Exit 1 when
//! invalid. With `--json`, the resolved configuration as
//! `uwsgid --check-config --json` prints it.

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::{CheckReply, CheckRequest};

use super::Context;
use crate::cli::CheckArgs;
use crate::exit::Exit;
use crate::output::json;
use crate::target::absolute;

pub async fn run(ctx: &Context, out: &mut dyn Write, args: CheckArgs) -> Result<Exit> {
    let request = CheckRequest {
        ini: absolute(&args.ini)?.to_string_lossy().into_owned(),
    };
    let reply = ctx.connect().await?.check(request).await?.into_inner();
    if !ctx.json {
        report(out, &args.ini, &reply)?;
    } else if reply.resolved_json.trim().is_empty() {
        json::pretty(out, &reply)?;
    } else {
        writeln!(out, "{}", reply.resolved_json.trim_end())?;
    }
    Ok(if reply.valid { Exit::Ok } else { Exit::Failed })
}

fn report(out: &mut dyn Write, ini: &str, reply: &CheckReply) -> std::io::Result<()> {
    let verdict = if reply.valid { "valid" } else { "invalid" };
    if reply.name.is_empty() {
        writeln!(out, "{ini}: {verdict}")?;
    } else {
        writeln!(out, "{ini}: {verdict}, app {}", reply.name)?;
    }
    for w in &reply.warnings {
        writeln!(out, "  warning: {w}")?;
    }
    for e in &reply.errors {
        writeln!(out, "  error: {e}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_ini_lists_its_errors() {
        let reply = CheckReply {
            valid: false,
            name: "bad".into(),
            warnings: vec![
                "bad.ini:2: proccesses: unknown option (did you mean processes?)".into(),
            ],
            errors: vec!["bad.ini:3: harakiri: not a number: abc".into()],
            ..CheckReply::default()
        };
        let mut out = Vec::new();
        report(&mut out, "bad.ini", &reply).expect("writes");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "bad.ini: invalid, app bad\n\
             \x20 warning: bad.ini:2: proccesses: unknown option (did you mean processes?)\n\
             \x20 error: bad.ini:3: harakiri: not a number: abc\n"
        );
    }
}
