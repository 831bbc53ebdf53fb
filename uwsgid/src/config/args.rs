//! The command line, read as uWSGI's `getopt_long` loop reads it: left to
//! right, every `--option value`, `--option=value`, `--flag`, short flag
//! (`-p 4`, `-p4`, `-M`) or bare `*.ini` argument becomes one exported
//! option in order, `--ini` files being spliced in where they appear.
//!
//! Options uwsgid implements know whether they take a value. For uWSGI
//! options uwsgid does not implement, a following argument that does not
//! start with `-` and is not an ini file is taken as the value.
//! `--check-config` and `--json` belong to `uwsgid --check-config` and are
//! skipped here.

use super::error::ConfigError;
use super::load::Loader;
use super::options::{self, ArgKind};
use super::raw::{Origin, RawOption};
use super::suggest;
use std::ffi::OsString;

/// Arguments that are not configuration options.
const NOT_OPTIONS: [&str; 2] = ["--check-config", "--json"];

/// Reads `args` (program name excluded) into the loader.
pub fn push_args(loader: &mut Loader<'_>, args: &[OsString]) -> Result<(), ConfigError> {
    let args: Vec<&str> = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            a.to_str()
                .ok_or_else(|| ConfigError::Usage(format!("argument {} is not valid UTF-8", i + 1)))
        })
        .collect::<Result<_, _>>()?;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        let origin = Origin::Arg { index: i + 1 };
        i += 1;
        if NOT_OPTIONS.contains(&arg) || arg == "--" {
            continue;
        }
        let Some((name, inline)) = split_option(arg)? else {
            loader.push(RawOption::new("ini", arg, origin));
            continue;
        };
        let kind = arg_kind(&name).ok_or_else(|| unknown(&name))?;
        let (value, flag) = match inline {
            Some(v) => (v, false),
            None => take_value(&name, kind, args.get(i).copied(), &mut i)?,
        };
        loader.push(RawOption {
            flag,
            ..RawOption::new(name, value, origin)
        });
    }
    Ok(())
}

/// `--name[=value]` or `-c[value]` into (long name, inline value); `None`
/// for a bare ini file.
fn split_option(arg: &str) -> Result<Option<(String, Option<String>)>, ConfigError> {
    if let Some(long) = arg.strip_prefix("--") {
        return Ok(Some(match long.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (long.to_string(), None),
        }));
    }
    if let Some(short) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
        let mut chars = short.chars();
        let c = chars.next().unwrap_or('-');
        let name = options::short(c)
            .ok_or_else(|| ConfigError::Usage(format!("unknown option '-{c}'")))?;
        let rest = chars.as_str();
        let inline = (!rest.is_empty()).then(|| rest.trim_start_matches('=').to_string());
        return Ok(Some((name.to_string(), inline)));
    }
    if is_ini_arg(arg) {
        return Ok(None);
    }
    Err(ConfigError::Usage(format!(
        "unexpected argument '{arg}' (options start with --, ini files end in .ini)"
    )))
}

/// The value of an option given without `=value`: the next argument when
/// the option takes one (advancing `i`), else a bare flag.
fn take_value(
    name: &str,
    kind: ArgKind,
    next: Option<&str>,
    i: &mut usize,
) -> Result<(String, bool), ConfigError> {
    let next = match kind {
        ArgKind::Flag => None,
        ArgKind::Required => Some(
            next.ok_or_else(|| ConfigError::Usage(format!("option '--{name}' needs a value")))?,
        ),
        ArgKind::Optional => next.filter(|v| !v.starts_with('-') && !is_ini_arg(v)),
    };
    Ok(match next {
        Some(v) => {
            *i += 1;
            (v.to_string(), false)
        }
        None => (String::new(), true),
    })
}

/// A bare argument uWSGI loads as an ini file (`x.ini`, `x.ini:section`).
fn is_ini_arg(arg: &str) -> bool {
    let (file, _) = super::load::split_spec(arg);
    file.ends_with(".ini")
}

/// What the option takes, or `None` when it is no option at all.
fn arg_kind(name: &str) -> Option<ArgKind> {
    match options::find(name) {
        Some(spec) if spec.name == "strict" => Some(ArgKind::Flag),
        Some(spec) => Some(spec.arg_kind()),
        None if super::uwsgi_names::is_uwsgi_option(name) => Some(ArgKind::Optional),
        None => None,
    }
}

fn unknown(name: &str) -> ConfigError {
    let hint =
        suggest::nearest(name).map_or_else(String::new, |s| format!(" (did you mean '--{s}'?)"));
    ConfigError::Usage(format!("unknown option '--{name}'{hint}"))
}
