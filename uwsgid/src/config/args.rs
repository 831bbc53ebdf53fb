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
        let (name, inline) = if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (long.to_string(), None),
            }
        } else if let Some(short) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let c = chars.next().unwrap_or('-');
            let name = options::short(c)
                .ok_or_else(|| ConfigError::Usage(format!("unknown option '-{c}'")))?;
            let rest = chars.as_str();
            (
                name.to_string(),
                (!rest.is_empty()).then(|| rest.trim_start_matches('=').to_string()),
            )
        } else if is_ini_arg(arg) {
            loader.push(RawOption::new("ini", arg, origin));
            continue;
        } else {
            return Err(ConfigError::Usage(format!(
                "unexpected argument '{arg}' (options start with --, ini files end in .ini)"
            )));
        };
        let kind = arg_kind(&name).ok_or_else(|| unknown(&name))?;
        let next = args.get(i).copied();
        let (value, flag) = match (inline, kind) {
            (Some(v), _) => (v, false),
            (None, ArgKind::Flag) => (String::new(), true),
            (None, ArgKind::Required) => match next {
                Some(v) => {
                    i += 1;
                    (v.to_string(), false)
                }
                None => {
                    return Err(ConfigError::Usage(format!(
                        "option '--{name}' needs a value"
                    )));
                }
            },
            (None, ArgKind::Optional) => {
                match next.filter(|v| !v.starts_with('-') && !is_ini_arg(v)) {
                    Some(v) => {
                        i += 1;
                        (v.to_string(), false)
                    }
                    None => (String::new(), true),
                }
            }
        };
        loader.push(RawOption {
            flag,
            ..RawOption::new(name, value, origin)
        });
    }
    Ok(())
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
