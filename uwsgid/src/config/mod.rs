//! The configuration engine: uWSGI's ini semantics, the environment and the
//! command line, resolved into one typed [`AppConfig`]. Pure: no tokio, no
//! pyo3, no global state; the only files it reads are ini files and
//! `@(file)` references (and `if-exists`-style tests).
//!
//! Two stages, as uWSGI itself works:
//! 1. `load.rs` (with `ini.rs`, `magic.rs`, `args.rs`): every source in uWSGI's
//!    order — `UWSGI_*` environment variables, then the arguments left to
//!    right with `--ini` files spliced in — becomes one ordered list of
//!    `key = value` options, each with its file and line (`raw.rs`);
//! 2. `resolve.rs` (with `expand.rs`, `setters.rs`, `listen.rs`): `$()`, `@()`
//!    and `%()` are expanded, and each option is applied through its setter
//!    from the table in `options.rs`. Unknown keys get a suggestion
//!    (`suggest.rs`); uWSGI options uwsgid does not implement a warning.
//!
//! One deliberate difference from uWSGI: inline comments (`key = value #
//! comment`) are stripped, see `ini.rs`.

mod app;
mod args;
mod cache;
mod cheaper;
mod context;
mod cron;
mod daemons;
mod emperor;
mod error;
mod expand;
pub mod hooks;
mod ini;
mod listen;
mod load;
mod logging;
mod magic;
mod mules;
mod options;
mod raw;
mod resolve;
pub mod routing;
mod setters;
mod sharedarea;
mod signal_timers;
mod spooler;
mod static_files;
mod suggest;
mod uwsgi_names;

#[cfg(test)]
mod tests;

use std::ffi::OsString;

pub use app::{AppConfig, HeaderUnderscores, ListenAddr, ListenSpec, MAX_LOCKS, Protocol};
pub use cache::{CacheConfig, CacheSpec};
pub use cheaper::{Busyness, CheaperAlgo, CheaperConfig};
pub use context::Context;
pub use cron::{CronHarakiri, CronSpec};
pub use daemons::DaemonSpec;
pub use emperor::Emperor;
pub use error::ConfigError;
pub use listen::parse_addr;
pub use load::split_spec;
pub use logging::{Conditions, LogFile, Loggers, REQUEST_LINE_MARK, RequestLogging};
pub use mules::{FarmSpec, MuleConfig, MuleSpec};
pub use resolve::Resolution;
pub use sharedarea::{PAGE as SHAREDAREA_PAGE, SharedAreaSpec};
pub use signal_timers::{FileSignal, SignalTimer};
pub use spooler::SpoolerConfig;
pub use static_files::{ExpiresOn, Expiry, GzipRules, ServeMode, StaticFiles, StaticMap};

/// A configuration resolved for running.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub app: AppConfig,
    /// One line per warning (unknown or unimplemented option, …), each naming
    /// file, line and option.
    pub warnings: Vec<String>,
    /// Each option set and its value (`show-config`).
    pub options: serde_json::Map<String, serde_json::Value>,
}

/// Resolves the command line (without the program name), uWSGI style:
/// `UWSGI_*` environment variables, then the arguments in order, `--ini`
/// files spliced in where they appear.
pub fn load_from_args(args: &[OsString]) -> Result<Loaded, ConfigError> {
    let r = check_with(args, &Context::from_process());
    match ConfigError::from_list(r.errors) {
        Some(e) => Err(e),
        None => Ok(Loaded {
            app: r.app,
            warnings: r.warnings,
            options: r.options,
        }),
    }
}

/// Resolves like [`load_from_args`] but keeps everything, errors included:
/// what `uwsgid --check-config` reports.
pub fn check_from_args(args: &[OsString]) -> Resolution {
    check_with(args, &Context::from_process())
}

/// Resolves `args` against the given process facts.
pub fn check_with(args: &[OsString], ctx: &Context) -> Resolution {
    let mut loader = load::Loader::new(ctx);
    loader.push_env();
    let usage = args::push_args(&mut loader, args).err();
    let mut errors = std::mem::take(&mut loader.errors);
    errors.extend(usage);
    let mut r = resolve::resolve(loader.raw, ctx);
    errors.append(&mut r.errors);
    r.errors = errors;
    r
}

/// Adds a `cache2` line to `cfg`, panicking on an error (unit tests of
/// the caches).
#[cfg(test)]
pub fn parse_cache2_for_tests(cfg: &mut AppConfig, value: &str) {
    if let Err(err) = cache::add(cfg, value) {
        panic!("{value}: {err}");
    }
}
