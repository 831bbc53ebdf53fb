//! Options of the process tree and the app: processes and threads,
//! Python and the app, files and the log file, options read while loading,
//! and those meaningless for uwsgid.

use super::*;

/// The options of this family.
pub(super) static TABLE: &[Spec] = &[
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
    opt("paste", Setter::Str(|c, v| c.paste = Some(v))),
    opt("paste-logger", Setter::Bool(|c, v| c.paste_logger = v)),
    opt("no-site", Setter::Bool(|c, v| c.no_site = v)),
    opt("locks", Setter::Parse(set_locks)),
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
        "fs-reload",
        &["fs-brutal-reload"],
        Setter::Str(|c, v| c.fs_reload.push(PathBuf::from(v))),
    ),
    list(
        "touch-logreopen",
        &[],
        Setter::Str(|c, v| c.touch_logreopen.push(PathBuf::from(v))),
    ),
    list(
        "touch-exec",
        &[],
        Setter::Parse(|c, v| {
            let (file, command) = v
                .split_once(' ')
                .ok_or("expected FILE COMMAND (uWSGI: touch-exec = <file> <command>)")?;
            c.touch_exec
                .push((PathBuf::from(file), command.trim().to_owned()));
            Ok(())
        }),
    ),
    // Reload triggers uwsgid lacks stop the start (never ignored).
    list(
        "touch-logrotate",
        &[],
        Setter::Parse(|_, _| {
            Err(refused(
                "rotation is log-maxsize's (or logrotate's, with touch-logreopen)",
            ))
        }),
    ),
    list(
        "touch-mules-reload",
        &[],
        Setter::Str(|c, v| c.mules.touch_reload.push(PathBuf::from(v))),
    ),
    list(
        "touch-spoolers-reload",
        &[],
        Setter::Str(|c, v| c.spooler.touch_reload.push(PathBuf::from(v))),
    ),
    list(
        "master-fifo",
        &[],
        Setter::Str(|c, v| c.master_fifo.push(PathBuf::from(v))),
    ),
    // Read while loading (see `load.rs`).
    opt("ini", Setter::Immediate),
    opt("include", Setter::Immediate),
    opt("ini-paste", Setter::Immediate),
    opt("ini-paste-logged", Setter::Immediate),
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
    // Every forked worker runs CPython's fork hooks (PyOS_BeforeFork,
    // PyOS_AfterFork_Child): `os.register_at_fork` handlers always run.
    opt("py-call-osafterfork", Setter::Noop),
    opt("py-call-uwsgi-fork-hooks", Setter::Noop),
    // uwsgid never sets TCP_DEFER_ACCEPT on its sockets.
    opt("no-defer-accept", Setter::Noop),
    // uWSGI forks once more around its privilege drop or jail, for PID
    // namespaces; uwsgid has no jail, and the extra parent would only sit
    // with every signal blocked.
    alias("refork", &["re-fork"], Setter::Noop),
    alias("refork-as-root", &["re-fork-as-root"], Setter::Noop),
    alias("refork-post-jail", &["re-fork-post-jail"], Setter::Noop),
    // Read by uWSGI's carbon plugin only, which does nothing without
    // `carbon = HOST:PORT` (warned about: uwsgid has no carbon exporter).
    list(
        "carbon-root",
        &[
            "carbon-freq",
            "carbon-hostname-dots",
            "carbon-id",
            "carbon-idle-avg",
            "carbon-max-retry",
            "carbon-name-resolve",
            "carbon-no-workers",
            "carbon-resolve-names",
            "carbon-retry-delay",
            "carbon-timeout",
            "carbon-use-metrics",
        ],
        Setter::Noop,
    ),
    opt("thunder-lock", Setter::Noop),
];

/// The error of an option uwsgid refuses rather than ignore.
fn refused(why: &str) -> String {
    format!("not implemented by uwsgid: {why}")
}

/// `locks = N`: user locks 0 ..= N (at most [`MAX_LOCKS`]).
fn set_locks(c: &mut AppConfig, v: &str) -> Result<(), String> {
    let n: u32 = v
        .trim()
        .parse()
        .map_err(|_| "expected a number of locks".to_string())?;
    if n > MAX_LOCKS {
        return Err(format!("uwsgid has room for locks 0 to {MAX_LOCKS}"));
    }
    c.locks = n;
    Ok(())
}
