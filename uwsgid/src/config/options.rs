//! The declarative option table: every option uwsgid applies, with its
//! aliases, command-line short flags, whether it repeats, and how its value
//! is parsed and stored. Options uWSGI has and uwsgid does not are listed in
//! [`super::uwsgi_names`]; they are accepted with a warning.

use super::app::{AppConfig, HeaderUnderscores, Protocol};
use super::daemons;
use super::hooks;
use super::logging::date_format;
use super::routing::{self, Subject};
use super::static_files::{self, ExpiresOn};
use std::path::PathBuf;

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

/// A `static-expires*` option: one setter per (what it matches, from
/// now or from the mtime); the rules keep their configuration order.
const fn expires(name: &'static str, on: ExpiresOn, from_mtime: bool) -> Spec {
    let setter = match (on, from_mtime) {
        (ExpiresOn::File, false) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::File, false, v)),
        (ExpiresOn::File, true) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::File, true, v)),
        (ExpiresOn::PathInfo, false) => {
            Setter::Parse(|c, v| push_rule(c, ExpiresOn::PathInfo, false, v))
        }
        (ExpiresOn::PathInfo, true) => {
            Setter::Parse(|c, v| push_rule(c, ExpiresOn::PathInfo, true, v))
        }
        (ExpiresOn::Uri, false) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::Uri, false, v)),
        (ExpiresOn::Uri, true) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::Uri, true, v)),
        (ExpiresOn::Type, false) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::Type, false, v)),
        (ExpiresOn::Type, true) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::Type, true, v)),
    };
    list(name, &[], setter)
}

fn push_rule(c: &mut AppConfig, on: ExpiresOn, from_mtime: bool, v: &str) -> Result<(), String> {
    let rule = match on {
        ExpiresOn::Type => static_files::parse_type_rule(from_mtime, v)?,
        _ => static_files::parse_regex_rule(on, from_mtime, v)?,
    };
    c.static_files.expires.push(rule);
    Ok(())
}

/// Every option uwsgid applies.
pub static SPECS: &[Spec] = &[
    // Processes.
    opt("master", Setter::Bool(|c, v| c.master = v)),
    alias(
        "processes",
        &["workers"],
        Setter::Int(|c, v| c.processes = v),
    ),
    opt("threads", Setter::Int(|c, v| c.threads = v)),
    opt("enable-threads", Setter::Bool(|c, v| c.enable_threads = v)),
    opt("lazy-apps", Setter::Bool(|c, v| c.lazy_apps = v)),
    opt("lazy", Setter::Bool(|c, v| c.lazy_apps = v)),
    opt("uid", Setter::Str(|c, v| c.uid = Some(v))),
    opt("gid", Setter::Str(|c, v| c.gid = Some(v))),
    // Python and the app.
    alias(
        "home",
        &["virtualenv", "venv", "pyhome"],
        Setter::Str(|c, v| c.home = Some(PathBuf::from(v))),
    ),
    opt(
        "chdir",
        Setter::Str(|c, v| c.chdir = Some(PathBuf::from(v))),
    ),
    alias("module", &["wsgi"], Setter::Str(|c, v| c.module = Some(v))),
    alias(
        "wsgi-file",
        &["file"],
        Setter::Str(|c, v| c.wsgi_file = Some(PathBuf::from(v))),
    ),
    opt("callable", Setter::Str(|c, v| c.callable = v)),
    list(
        "pythonpath",
        &["python-path", "pp"],
        Setter::Str(|c, v| c.pythonpath.push(PathBuf::from(v))),
    ),
    list("env", &[], Setter::Env),
    opt("need-app", Setter::Bool(|c, v| c.need_app = v)),
    // Hooks (`config/hooks.rs`, `crate::hooks`).
    list(
        "hook-asap",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.asap, v)),
    ),
    list(
        "hook-pre-jail",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.pre_jail, v)),
    ),
    list(
        "hook-in-jail",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.in_jail, v)),
    ),
    list(
        "hook-post-jail",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.post_jail, v)),
    ),
    list(
        "hook-as-root",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.as_root, v)),
    ),
    list(
        "hook-as-user",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.as_user, v)),
    ),
    list(
        "hook-as-user-atexit",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.as_user_atexit, v)),
    ),
    list(
        "hook-master-start",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.master_start, v)),
    ),
    list(
        "hook-pre-app",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.pre_app, v)),
    ),
    list(
        "hook-post-app",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.post_app, v)),
    ),
    list(
        "hook-post-fork",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.post_fork, v)),
    ),
    list(
        "hook-accepting",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.accepting, v)),
    ),
    list(
        "hook-accepting1",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.accepting1, v)),
    ),
    list("mount", &[], Setter::Mount),
    // Internal routing, request chain (`config/routing.rs`).
    list(
        "route",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("PATH_INFO".into()), v)),
    ),
    list(
        "route-uri",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("REQUEST_URI".into()), v)),
    ),
    list(
        "route-qs",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("QUERY_STRING".into()), v)),
    ),
    list(
        "route-host",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("HTTP_HOST".into()), v)),
    ),
    list(
        "route-user-agent",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("HTTP_USER_AGENT".into()), v)),
    ),
    list(
        "route-remote-addr",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("REMOTE_ADDR".into()), v)),
    ),
    list(
        "route-referer",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("HTTP_REFERER".into()), v)),
    ),
    list(
        "route-run",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Always, v)),
    ),
    list(
        "route-if",
        &[],
        Setter::Parse(|c, v| route(c, Subject::If { negate: false }, v)),
    ),
    list(
        "route-if-not",
        &[],
        Setter::Parse(|c, v| route(c, Subject::If { negate: true }, v)),
    ),
    // Process titles (`contract/titles.rs`).
    opt("procname", Setter::Str(|c, v| c.procname = Some(v))),
    opt(
        "procname-master",
        Setter::Str(|c, v| c.procname_master = Some(v)),
    ),
    opt(
        "procname-prefix",
        Setter::Str(|c, v| c.procname_prefix = Some(v)),
    ),
    opt(
        "procname-prefix-spaced",
        Setter::Str(|c, v| c.procname_prefix_spaced = Some(v)),
    ),
    opt(
        "procname-append",
        Setter::Str(|c, v| c.procname_append = Some(v)),
    ),
    opt(
        "manage-script-name",
        Setter::Bool(|c, v| c.manage_script_name = v),
    ),
    // Sockets.
    list("socket", &[], Setter::Socket(None)),
    list("uwsgi-socket", &[], Setter::Socket(Some(Protocol::Uwsgi))),
    list("http-socket", &[], Setter::Socket(Some(Protocol::Http))),
    list("http11-socket", &[], Setter::Socket(Some(Protocol::Http))),
    list("http", &[], Setter::Socket(Some(Protocol::Http))),
    opt("protocol", Setter::DefaultProtocol),
    opt("listen", Setter::Int(|c, v| c.listen = v)),
    opt("chown-socket", Setter::Str(|c, v| c.chown_socket = Some(v))),
    alias("chmod-socket", &["chmod"], Setter::Chmod),
    opt(
        "buffer-size",
        Setter::U64(|c, v| c.buffer_size = usize::try_from(v).unwrap_or(usize::MAX)),
    ),
    opt("post-buffering", Setter::U64(|c, v| c.post_buffering = v)),
    opt("limit-post", Setter::U64(|c, v| c.limit_post = v)),
    // uwsgid's own (see `docs/compatibility.md`).
    opt(
        "http-header-underscores",
        Setter::Choice(HeaderUnderscores::VALUES, |c, v| {
            if let Some(choice) = HeaderUnderscores::parse(v) {
                c.http_header_underscores = choice;
            }
        }),
    ),
    opt(
        "socket-timeout",
        Setter::Int(|c, v| c.socket_timeout = u64::from(v)),
    ),
    // The HTTP front: uWSGI's router (`http =`) and `http-socket` spell
    // these differently; the in-worker front honours both spellings.
    opt(
        "http-timeout",
        Setter::Int(|c, v| c.http_timeout = Some(u64::from(v))),
    ),
    alias(
        "enable-proxy-protocol",
        &["http-enable-proxy-protocol"],
        Setter::Bool(|c, v| c.proxy_protocol = v),
    ),
    // Keep-alive and chunked responses are always on in the HTTP front.
    opt("http-keepalive", Setter::Noop),
    opt("http-auto-chunked", Setter::Noop),
    list("add-header", &[], Setter::Str(|c, v| c.add_header.push(v))),
    // Files and logging.
    opt(
        "pidfile",
        Setter::Str(|c, v| c.pidfile = Some(PathBuf::from(v))),
    ),
    opt(
        "pidfile2",
        Setter::Str(|c, v| c.pidfile2 = Some(PathBuf::from(v))),
    ),
    opt(
        "safe-pidfile",
        Setter::Str(|c, v| c.safe_pidfile = Some(PathBuf::from(v))),
    ),
    opt(
        "safe-pidfile2",
        Setter::Str(|c, v| c.safe_pidfile2 = Some(PathBuf::from(v))),
    ),
    opt("honour-stdin", Setter::Bool(|c, v| c.honour_stdin = v)),
    // Children always die with the master (`PR_SET_PDEATHSIG`).
    opt("no-orphans", Setter::Noop),
    opt(
        "daemonize",
        Setter::Str(|c, v| c.daemonize = Some(PathBuf::from(v))),
    ),
    opt(
        "logto",
        Setter::Str(|c, v| c.logto = Some(PathBuf::from(v))),
    ),
    opt("vacuum", Setter::Bool(|c, v| c.vacuum = v)),
    opt("memory-report", Setter::Bool(|c, v| c.memory_report = v)),
    opt(
        "disable-logging",
        Setter::Bool(|c, v| c.disable_logging = v),
    ),
    alias(
        "stats",
        &["stats-server"],
        Setter::Str(|c, v| c.stats = Some(v)),
    ),
    opt("stats-http", Setter::Bool(|c, v| c.stats_http = v)),
    list(
        "touch-reload",
        &[],
        Setter::Str(|c, v| c.touch_reload.push(PathBuf::from(v))),
    ),
    alias(
        "py-autoreload",
        &["py-auto-reload", "python-autoreload", "python-auto-reload"],
        Setter::U64(|c, v| c.py_autoreload = v),
    ),
    list(
        "py-auto-reload-ignore",
        &[],
        Setter::Str(|c, v| c.py_autoreload_ignore.push(v)),
    ),
    list(
        "touch-workers-reload",
        &[],
        Setter::Str(|c, v| c.touch_workers_reload.push(PathBuf::from(v))),
    ),
    list(
        "touch-chain-reload",
        &[],
        Setter::Str(|c, v| c.touch_chain_reload.push(PathBuf::from(v))),
    ),
    list(
        "master-fifo",
        &[],
        Setter::Str(|c, v| c.master_fifo.push(PathBuf::from(v))),
    ),
    // Worker life cycle.
    opt("max-requests", Setter::U64(|c, v| c.max_requests = v)),
    opt(
        "max-requests-delta",
        Setter::U64(|c, v| c.max_requests_delta = v),
    ),
    opt(
        "wsgi-disable-file-wrapper",
        Setter::Bool(|c, v| c.wsgi_disable_file_wrapper = v),
    ),
    opt("reaper", Setter::Bool(|c, v| c.reaper = v)),
    opt("pyargv", Setter::Str(|c, v| c.pyargv = Some(v))),
    opt(
        "umask",
        Setter::Parse(|c, v| {
            let mask = u32::from_str_radix(v.trim(), 8)
                .ok()
                .filter(|m| *m <= 0o777)
                .ok_or("expected an octal mask such as 022")?;
            c.umask = Some(mask);
            Ok(())
        }),
    ),
    list("print", &[], Setter::Str(|c, v| c.print.push(v))),
    opt("show-config", Setter::Bool(|c, v| c.show_config = v)),
    opt(
        "max-worker-lifetime",
        Setter::U64(|c, v| c.max_worker_lifetime = (v > 0).then_some(v)),
    ),
    opt(
        "max-worker-lifetime-delta",
        Setter::U64(|c, v| c.max_worker_lifetime_delta = v),
    ),
    opt(
        "min-worker-lifetime",
        Setter::U64(|c, v| c.min_worker_lifetime = v),
    ),
    opt("harakiri", Setter::Int(|c, v| c.harakiri = u64::from(v))),
    opt(
        "harakiri-verbose",
        Setter::Bool(|c, v| c.harakiri_verbose = v),
    ),
    opt(
        "harakiri-graceful-timeout",
        Setter::Int(|c, v| c.harakiri_graceful_timeout = u64::from(v)),
    ),
    opt(
        "harakiri-graceful-signal",
        Setter::Int(|c, v| c.harakiri_graceful_signal = i32::try_from(v).unwrap_or(i32::MAX)),
    ),
    opt(
        "reload-mercy",
        Setter::Int(|c, v| c.reload_mercy = Some(u64::from(v))),
    ),
    opt(
        "worker-reload-mercy",
        Setter::Int(|c, v| c.worker_reload_mercy = u64::from(v)),
    ),
    opt("reload-on-as", Setter::MiB(|c, v| c.reload_on_as = Some(v))),
    opt(
        "reload-on-rss",
        Setter::MiB(|c, v| c.reload_on_rss = Some(v)),
    ),
    opt("limit-as", Setter::MiB(|c, v| c.limit_as = Some(v))),
    opt("die-on-term", Setter::Bool(|c, v| c.die_on_term = v)),
    // Static files.
    list(
        "static-map",
        &[],
        Setter::Parse(|c, v| {
            let map = static_files::parse_map(v)?;
            c.static_files.maps.push(map);
            Ok(())
        }),
    ),
    list(
        "static-map2",
        &[],
        Setter::Parse(|c, v| {
            let map = static_files::parse_map(v)?;
            c.static_files.maps2.push(map);
            Ok(())
        }),
    ),
    list(
        "check-static",
        &["static-check"],
        Setter::Str(|c, v| c.static_files.check.push(PathBuf::from(v))),
    ),
    list(
        "static-index",
        &[],
        Setter::Str(|c, v| c.static_files.index.push(v)),
    ),
    list(
        "static-skip-ext",
        &[],
        Setter::Str(|c, v| c.static_files.skip_ext.push(v)),
    ),
    list(
        "static-safe",
        &[],
        Setter::Str(|c, v| c.static_files.safe.push(v)),
    ),
    expires("static-expires", ExpiresOn::File, false),
    expires("static-expires-mtime", ExpiresOn::File, true),
    expires("static-expires-path-info", ExpiresOn::PathInfo, false),
    expires("static-expires-path-info-mtime", ExpiresOn::PathInfo, true),
    expires("static-expires-uri", ExpiresOn::Uri, false),
    expires("static-expires-uri-mtime", ExpiresOn::Uri, true),
    expires("static-expires-type", ExpiresOn::Type, false),
    expires("static-expires-type-mtime", ExpiresOn::Type, true),
    opt(
        "honour-range",
        Setter::Bool(|c, v| c.static_files.honour_range = v),
    ),
    list(
        "mimefile",
        &["mime-file"],
        Setter::Str(|c, v| c.static_files.mime_files.push(PathBuf::from(v))),
    ),
    alias(
        "offload-threads",
        &["offload-thread"],
        Setter::Int(|c, v| c.static_files.offload_threads = v),
    ),
    // Read while loading (see `load.rs`).
    opt("ini", Setter::Immediate),
    opt("include", Setter::Immediate),
    opt("inherit", Setter::Immediate),
    opt("set", Setter::Immediate),
    alias("set-placeholder", &["set-ph"], Setter::Immediate),
    opt("strict", Setter::Immediate),
    // Meaningless for uwsgid: one embedded Python, no plugins to load.
    list(
        "plugins",
        &[
            "plugin",
            "plugins-dir",
            "plugin-dir",
            "need-plugin",
            "need-plugins",
        ],
        Setter::Noop,
    ),
    opt("single-interpreter", Setter::Noop),
    opt("thunder-lock", Setter::Noop),
    // Titles are always on (`contract/titles.rs`).
    opt("auto-procname", Setter::Noop),
    // Request logging.
    alias(
        "log-format",
        &["logformat"],
        Setter::Str(|c, v| c.request_logging.format = Some(v)),
    ),
    alias(
        "log-format-strftime",
        &["logformat-strftime"],
        Setter::Bool(|c, v| c.request_logging.format_strftime = v),
    ),
    alias(
        "log-date",
        &["logdate", "log-prefix"],
        Setter::OptStr(|c, v| c.request_logging.date = Some(date_format(v))),
    ),
    opt(
        "log-micros",
        Setter::Bool(|c, v| c.request_logging.micros = v),
    ),
    opt(
        "log-x-forwarded-for",
        Setter::Bool(|c, v| c.request_logging.x_forwarded_for = v),
    ),
    opt(
        "log-zero",
        Setter::Bool(|c, v| c.request_logging.conditions.zero = v),
    ),
    opt(
        "log-slow",
        Setter::Int(|c, v| c.request_logging.conditions.slow_ms = v),
    ),
    opt(
        "log-4xx",
        Setter::Bool(|c, v| c.request_logging.conditions.status_4xx = v),
    ),
    opt(
        "log-5xx",
        Setter::Bool(|c, v| c.request_logging.conditions.status_5xx = v),
    ),
    opt(
        "log-big",
        Setter::U64(|c, v| c.request_logging.conditions.big = v),
    ),
    opt(
        "log-sendfile",
        Setter::Bool(|c, v| c.request_logging.conditions.sendfile = v),
    ),
    opt(
        "log-ioerror",
        Setter::Bool(|c, v| c.request_logging.conditions.ioerror = v),
    ),
    opt(
        "log-master",
        Setter::Bool(|c, v| c.request_logging.file.master = v),
    ),
    opt(
        "log-maxsize",
        Setter::U64(|c, v| c.request_logging.file.maxsize = v),
    ),
    opt(
        "log-backupname",
        Setter::Str(|c, v| c.request_logging.file.backupname = Some(PathBuf::from(v))),
    ),
    opt(
        "log-reopen",
        Setter::Bool(|c, v| c.request_logging.file.reopen = v),
    ),
    opt(
        "logto2",
        Setter::Str(|c, v| c.request_logging.file.logto2 = Some(PathBuf::from(v))),
    ),
    opt(
        "ignore-write-errors",
        Setter::Bool(|c, v| c.request_logging.write_errors.ignore_write_errors = v),
    ),
    opt(
        "disable-write-exception",
        Setter::Bool(|c, v| c.request_logging.write_errors.disable_write_exception = v),
    ),
    list(
        "logger",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.logger.push(v)),
    ),
    list(
        "req-logger",
        &["logger-req"],
        Setter::Str(|c, v| c.request_logging.loggers.req_logger.push(v)),
    ),
    list(
        "log-route",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.route.push(v)),
    ),
    list(
        "log-req-route",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.req_route.push(v)),
    ),
    list(
        "log-encoder",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.encoder.push(v)),
    ),
    list(
        "log-req-encoder",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.req_encoder.push(v)),
    ),
    // Adaptive workers (cheaper).
    opt("cheaper", Setter::Int(|c, v| c.cheaper.workers = v)),
    opt("cheaper-initial", Setter::Int(|c, v| c.cheaper.initial = v)),
    opt("cheaper-step", Setter::Int(|c, v| c.cheaper.step = v)),
    opt(
        "cheaper-overload",
        Setter::U64(|c, v| c.cheaper.overload = v),
    ),
    opt("cheaper-algo", Setter::Str(|c, v| c.cheaper.set_algo(&v))),
    opt(
        "cheaper-busyness-max",
        Setter::U64(|c, v| c.cheaper.busyness.max = nonzero(v, 50)),
    ),
    opt(
        "cheaper-busyness-min",
        Setter::U64(|c, v| c.cheaper.busyness.min = nonzero(v, 25)),
    ),
    opt(
        "cheaper-busyness-multiplier",
        Setter::U64(|c, v| c.cheaper.busyness.multiplier = nonzero(v, 10)),
    ),
    opt(
        "cheaper-busyness-penalty",
        Setter::U64(|c, v| c.cheaper.busyness.penalty = nonzero(v, 2)),
    ),
    opt(
        "cheaper-busyness-verbose",
        Setter::Bool(|c, v| c.cheaper.busyness.verbose = v),
    ),
    opt(
        "cheaper-busyness-backlog-alert",
        Setter::Int(|c, v| c.cheaper.busyness.backlog_alert = nonzero(u64::from(v), 33)),
    ),
    opt(
        "cheaper-busyness-backlog-multiplier",
        Setter::U64(|c, v| c.cheaper.busyness.backlog_multiplier = nonzero(v, 3)),
    ),
    opt(
        "cheaper-busyness-backlog-step",
        Setter::Int(|c, v| c.cheaper.busyness.backlog_step = v.max(1)),
    ),
    opt(
        "cheaper-busyness-backlog-nonzero",
        Setter::U64(|c, v| c.cheaper.busyness.backlog_nonzero = nonzero(v, 60)),
    ),
    opt("idle", Setter::Int(|c, v| c.cheaper.idle = u64::from(v))),
    opt(
        "die-on-idle",
        Setter::Bool(|c, v| c.cheaper.die_on_idle = v),
    ),
    opt("cheap", Setter::Bool(|c, v| c.cheaper.cheap = v)),
    // uwsgid ignores SIGPIPE in every process and never reports it.
    opt("ignore-sigpipe", Setter::Noop),
    // Attached daemons.
    list("attach-daemon", &[], Setter::Parse(daemons::attach)),
    list(
        "attach-control-daemon",
        &[],
        Setter::Parse(daemons::attach_control),
    ),
    list(
        "smart-attach-daemon",
        &[],
        Setter::Parse(daemons::smart_attach),
    ),
    list(
        "smart-attach-daemon2",
        &[],
        Setter::Parse(daemons::smart_attach2),
    ),
    list("attach-daemon2", &[], Setter::Parse(daemons::attach2)),
    opt(
        "daemons-honour-stdin",
        Setter::Bool(|c, v| c.daemons_honour_stdin = v),
    ),
];

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

/// uWSGI's busyness plugin reads 0 as "the default".
const fn nonzero(v: u64, default: u64) -> u64 {
    if v == 0 { default } else { v }
}

/// The option `name` names, by its name or an alias.
pub fn find(name: &str) -> Option<&'static Spec> {
    SPECS
        .iter()
        .find(|s| s.name == name || s.aliases.contains(&name))
}

/// The long name of a short flag.
pub fn short(c: char) -> Option<&'static str> {
    SHORTS.iter().find(|(s, _)| *s == c).map(|(_, n)| *n)
}

/// Whether `name` is an option at all (uwsgid's or uWSGI's).
pub fn is_option(name: &str) -> bool {
    find(name).is_some() || super::uwsgi_names::is_uwsgi_option(name)
}

/// Adds a hook line to its point.
fn hook(lines: &mut Vec<String>, value: &str) -> Result<(), String> {
    lines.push(hooks::check(value)?);
    Ok(())
}

/// Adds a routing rule.
fn route(c: &mut AppConfig, subject: Subject, value: &str) -> Result<(), String> {
    c.routes.push(routing::parse(subject, value)?);
    Ok(())
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
        for s in SPECS {
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
