//! The declarative option table: every option uwsgid applies, with its
//! aliases, command-line short flags, whether it repeats, and how its value
//! is parsed and stored. Options uWSGI has and uwsgid does not are listed in
//! [`super::uwsgi_names`]; they are accepted with a warning. The table is
//! kept by family: `tree.rs` (processes, the app, files), `request_path.rs`
//! (sockets, the HTTP front, routing, static files, request logging),
//! `management.rs` (life cycle, reload triggers, hooks, titles, cheaper,
//! daemons), `caches.rs` (the shared caches).

use super::app::{AppConfig, HeaderUnderscores, MAX_LOCKS, Protocol};
use super::cache as cache_options;
use super::cron;
use super::daemons;
use super::hooks;
use super::logging::date_format;
use super::routing::{self, Subject};
use super::signal_timers;
use super::static_files::{self, ExpiresOn};
use std::path::PathBuf;

mod caches;
mod emperor;
mod management;
mod request_path;
mod side_processes;
mod tree;

/// How an option's value is parsed and where it goes (uWSGI's setters, §1.6
/// of the reference).
#[derive(Clone, Copy)]
pub enum Setter {
    /// `uwsgi_opt_true`: everything but false/off/no/0 is true.
    Bool(fn(&mut AppConfig, bool)),
    /// `uwsgi_opt_set_int`: `atoi`, negative rejected.
    Int(fn(&mut AppConfig, u32)),
    /// `uwsgi_opt_set_64bit`: `strtoul`.
    U64(fn(&mut AppConfig, u64)),
    /// `uwsgi_opt_set_megabytes`: MiB; the setter receives bytes.
    MiB(fn(&mut AppConfig, u64)),
    /// `uwsgi_opt_set_str`: the value verbatim (must not be empty).
    Str(fn(&mut AppConfig, String)),
    /// A value that may be absent (`log-date`): the value as written, or
    /// the empty string.
    OptStr(fn(&mut AppConfig, &str)),
    /// `chmod-socket`: three octal digits, or `1`/no value for 666.
    Chmod,
    /// A listen socket; `None` = the default protocol (`protocol=`).
    Socket(Option<Protocol>),
    /// `env = KEY=VALUE`.
    Env,
    /// `mount = MOUNTPOINT=APP`.
    Mount,
    /// `protocol`: the default protocol of `socket=`.
    DefaultProtocol,
    /// One of a fixed set of words (case-insensitive); the setter gets the
    /// value as written, already checked against the list.
    Choice(&'static [&'static str], fn(&mut AppConfig, &str)),
    /// A value parsed by the setter itself; its error is the option's.
    Parse(fn(&mut AppConfig, &str) -> Result<(), String>),
    /// Refused with the reason given: a uWSGI option uwsgid does not
    /// implement and must not ignore, since the config would run
    /// differently.
    Refused(&'static str),
    /// Applied while reading (`ini`, `set`, `strict`, …).
    Immediate,
    /// Accepted and ignored on purpose: meaningless for uwsgid (`plugins`,
    /// `thunder-lock`, `procname-*`, …).
    Noop,
}

/// What a command-line option expects after it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArgKind {
    /// `--opt value` or `--opt=value`.
    Required,
    /// `--flag` (or `--flag=value`).
    Flag,
    /// `--opt`, `--opt value` or `--opt=value`.
    Optional,
}

/// One option uwsgid knows.
pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// Repeats accumulate (otherwise the last occurrence wins).
    pub list: bool,
    pub setter: Setter,
}

impl Spec {
    /// What the option takes on the command line.
    pub fn arg_kind(&self) -> ArgKind {
        match self.setter {
            Setter::Bool(_) => ArgKind::Flag,
            Setter::Chmod | Setter::Noop | Setter::OptStr(_) => ArgKind::Optional,
            _ => ArgKind::Required,
        }
    }
}

const fn opt(name: &'static str, setter: Setter) -> Spec {
    Spec {
        name,
        aliases: &[],
        list: false,
        setter,
    }
}

const fn alias(name: &'static str, aliases: &'static [&'static str], setter: Setter) -> Spec {
    Spec {
        name,
        aliases,
        list: false,
        setter,
    }
}

const fn list(name: &'static str, aliases: &'static [&'static str], setter: Setter) -> Spec {
    Spec {
        name,
        aliases,
        list: true,
        setter,
    }
}

/// Every option uwsgid applies, by family.
pub static SPECS: &[&[Spec]] = &[
    tree::TABLE,
    request_path::TABLE,
    management::TABLE,
    emperor::TABLE,
    caches::TABLE,
    side_processes::TABLE,
];

/// Every option uwsgid applies.
pub fn specs() -> impl Iterator<Item = &'static Spec> {
    SPECS.iter().flat_map(|table| table.iter())
}

/// uWSGI's short command-line flags (`uwsgi --help`), including those of
/// options uwsgid does not implement, so `-x` is recognised either way.
pub static SHORTS: &[(char, &str)] = &[
    ('s', "socket"),
    ('p', "processes"),
    ('t', "harakiri"),
    ('x', "xmlconfig"),
    ('S', "set"),
    ('d', "daemonize"),
    ('l', "listen"),
    ('v', "max-vars"),
    ('b', "buffer-size"),
    ('m', "memory-report"),
    ('c', "cgi-mode"),
    ('a', "abstract-socket"),
    ('C', "chmod-socket"),
    ('T', "enable-threads"),
    ('i', "single-interpreter"),
    ('M', "master"),
    ('r', "reaper"),
    ('R', "max-requests"),
    ('z', "socket-timeout"),
    ('A', "sharedarea"),
    ('Q', "spooler"),
    ('L', "disable-logging"),
    ('y', "yaml"),
    ('w', "module"),
    ('J', "test"),
    ('H', "home"),
    ('O', "optimize"),
];

/// The option `name` names, by its name or an alias.
pub fn find(name: &str) -> Option<&'static Spec> {
    specs().find(|s| s.name == name || s.aliases.contains(&name))
}

/// The long name of a short flag.
pub fn short(c: char) -> Option<&'static str> {
    SHORTS.iter().find(|(s, _)| *s == c).map(|(_, n)| *n)
}

/// Whether `name` is an option at all (uwsgid's or uWSGI's).
pub fn is_option(name: &str) -> bool {
    find(name).is_some() || super::uwsgi_names::is_uwsgi_option(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_to_one_spec() {
        for (a, b) in [
            ("workers", "processes"),
            ("venv", "home"),
            ("virtualenv", "home"),
            ("pyhome", "home"),
            ("wsgi", "module"),
            ("file", "wsgi-file"),
            ("chmod", "chmod-socket"),
            ("stats-server", "stats"),
            ("set-ph", "set-placeholder"),
        ] {
            assert_eq!(find(a).map(|s| s.name), Some(b), "{a}");
        }
    }

    /// Options uwsgid has and uWSGI does not (documented in
    /// `docs/compatibility.md`).
    const UWSGID_ONLY: &[&str] = &["http-header-underscores"];

    #[test]
    fn every_spec_is_a_uwsgi_option() {
        for s in specs() {
            for n in std::iter::once(&s.name).chain(s.aliases) {
                if UWSGID_ONLY.contains(n) {
                    assert!(!super::super::uwsgi_names::is_uwsgi_option(n), "{n}");
                    continue;
                }
                assert!(super::super::uwsgi_names::is_uwsgi_option(n), "{n}");
            }
        }
        for (_, n) in SHORTS {
            assert!(super::super::uwsgi_names::is_uwsgi_option(n), "{n}");
        }
    }

    #[test]
    fn shorts() {
        assert_eq!(short('p'), Some("processes"));
        assert_eq!(short('w'), Some("module"));
        assert_eq!(short('H'), Some("home"));
        assert_eq!(short('j'), None);
    }
}
