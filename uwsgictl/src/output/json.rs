//! JSON for scripts: a reply as one pretty object, a stream as one compact
//! object per line (so `jq` and line readers both work).

use std::io::Write;

use anyhow::{Context, Result};
use serde::Serialize;

/// Writes `value` as an indented object.
pub fn pretty(out: &mut dyn Write, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).context("cannot encode the reply as JSON")?;
    writeln!(out, "{text}")?;
    Ok(())
}

/// Writes `value` as one line, flushed at once (a stream's reader waits
/// for it).
pub fn line(out: &mut dyn Write, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string(value).context("cannot encode the reply as JSON")?;
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}
