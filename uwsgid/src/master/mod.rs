//! The app master: binds the app's sockets once, runs its zygote and
//! workers, respawns them, and owns the app's signals.
//!
//! Startup follows uWSGI's order (`uwsgi_setup` → `uwsgi_start`):
//! `daemonize`/`logto`, config warnings and banner, pidfile, the early
//! privilege drop (`uid`/`gid` without `chown-socket`), `chdir`,
//! systemd-activated or freshly bound sockets (chown/chmod), the late drop
//! (with `chown-socket`), the scoreboard, then the children.
//! The master becomes `PR_SET_CHILD_SUBREAPER`, so workers the zygote forks
//! (double fork) are its children to reap; it never forks to run Python.
//! Everything after startup is the event loop in `supervisor.rs`.
//!
//! With `--control PATH` the master serves the control API there
//! (`control/`), bound before the pidfile and any privilege drop and
//! removed at exit; `stats =` adds uWSGI's stats server (`stats/`), and
//! under systemd the master speaks the notify protocol (`notify.rs`).
//! uWSGI signals and their timers are the master's too (`uwsgi_signals/`).

mod banner;
mod cheaper;
mod control;
mod cron;
mod daemonize;
mod daemons;
mod event_loop;
mod fifo;
mod harakiri;
mod log_master;
mod mule_queues;
mod notify;
mod pause;
mod pidfile;
pub(crate) mod privileges;
mod reap;
mod reload;
mod shutdown;
mod side_processes;
mod signals;
mod sockets;
mod spawn;
mod stats;
mod touch;
mod uwsgi_signals;
mod vacuum;
mod views;
mod workers;
mod zygote;

use anyhow::Context;

use std::path::{Path, PathBuf};

use crate::config::{AppConfig, Loaded};
use crate::control::socket::ControlSocket;
use crate::log::log_line;
use crate::scoreboard::{self, Scoreboard};
use control::AppControl;
use event_loop::AppMaster;
use sockets::{Activated, SocketFile};
use views::AppFacts;

/// Runs one app in the foreground until it is stopped; returns the exit
/// code. With `control`, the app serves the control API on that unix socket.
pub fn run(loaded: Loaded, control: Option<PathBuf>) -> i32 {
    // Before any chdir: a reload resolves the arguments from here.
    reload::reread::remember_launch_dir();
    match run_app(loaded, control) {
        Ok(code) => code,
        Err(err) => {
            log_line!("{err:#}");
            1
        }
    }
}

/// Creates the app's caches (if it has any) before any child, with
/// uWSGI's lines, stores the items the options name, and starts the
/// sweeper.
fn create_caches(cfg: &AppConfig) -> anyhow::Result<()> {
    let specs = cfg.cache.all();
    if specs.is_empty() {
        return Ok(());
    }
    let mut caches = crate::cache::Caches::create(&specs).context("while creating the caches")?;
    caches
        .relocate_fd(sockets::HIGH_FD)
        .context("while moving the caches' descriptor")?;
    let caches = crate::cache::install(caches);
    for cache in caches.iter() {
        let s = cache.stats();
        log_line!(
            "*** Cache \"{}\" initialized: {}MB (max items: {}, blocksize: {} bytes) preallocated ***",
            s.name,
            s.bytes >> 20,
            s.max_items,
            s.blocksize
        );
    }
    crate::cache::preload::run(caches, &cfg.cache);
    crate::cache::sweeper::start(&cfg.cache);
    Ok(())
}

/// Creates the app's sharedareas (if it has any) before any child, with
/// uWSGI's lines.
fn create_sharedareas(cfg: &AppConfig) -> anyhow::Result<()> {
    if cfg.sharedareas.is_empty() {
        return Ok(());
    }
    let mut areas = crate::sharedarea::SharedAreas::create(&cfg.sharedareas)
        .context("while creating the sharedareas")?;
    areas
        .relocate_fd(sockets::HIGH_FD)
        .context("while moving the sharedareas' descriptor")?;
    let areas = crate::sharedarea::install(areas);
    for (id, area) in areas.iter().enumerate() {
        let (data, len) = area.memory();
        log_line!(
            "sharedarea {id} created at {:p} ({} pages, area at {:p})",
            area,
            len as u64 / crate::config::SHAREDAREA_PAGE,
            data
        );
    }
    Ok(())
}

fn run_app(loaded: Loaded, control: Option<PathBuf>) -> anyhow::Result<i32> {
    // First: systemd's sockets sit at fds 3.. until moved out of the way.
    let mut activated = Activated::from_env().context("while taking over the systemd sockets")?;
    let cfg = loaded.app;
    if let Some(date) = &cfg.request_logging.date {
        crate::log::set_date(date.as_deref());
    }
    crate::hooks::run("asap", &cfg.hooks.asap)?;
    setup_log(&cfg)?;
    let _log_master = log_master::early(&cfg, log_file(&cfg))?;
    for warning in &loaded.warnings {
        log_line!("{warning}");
    }
    for line in &cfg.print {
        log_line!("{line}");
    }
    if cfg.show_config {
        banner::show_config(&loaded.options);
    }
    if let Some(mask) = cfg.umask {
        nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(mask));
    }
    banner::starting();
    crate::proctitle::set(&crate::contract::titles::master(&cfg));
    let warnings = [
        harakiri::startup_warning(cfg.harakiri, cfg.post_buffering),
        privileges::root_warning(&cfg),
    ];
    for warning in warnings.into_iter().flatten() {
        log_line!("{warning}");
    }
    // Before the pidfile: a second master on the same control socket must
    // not take the first one's pidfile.
    let mut control = control.as_deref().map(control::bind).transpose()?;
    let log_path = log_file(&cfg);
    if let Some(path) = &cfg.pidfile {
        pidfile::write(path, std::process::id())
            .with_context(|| format!("cannot write the pidfile {}", path.display()))?;
    }
    if let Some(path) = &cfg.safe_pidfile {
        pidfile::write_safe(path, std::process::id())
            .with_context(|| format!("cannot write the safe-pidfile {}", path.display()))?;
    }
    let identity = privileges::to_drop(&cfg)?;
    // Without chown-socket, root is dropped as early as possible: before
    // binding; with it, after the socket files are chowned (uWSGI's order).
    let (early, late) = match identity {
        Some(id) if cfg.chown_socket.is_none() => (Some(id), None),
        other => (None, other),
    };
    let h = &cfg.hooks;
    for (phase, lines) in [
        ("pre-jail", &h.pre_jail),
        ("in-jail", &h.in_jail),
        ("post-jail", &h.post_jail),
        ("as-root", &h.as_root),
    ] {
        crate::hooks::run(phase, lines)?;
    }
    if let Some(id) = &early {
        drop_privileges(&cfg, id)?;
    }
    let mut files = Vec::new();
    let code = serve(
        Startup {
            cfg: cfg.clone(),
            log_path,
            control: control.as_mut(),
        },
        &mut activated,
        &mut files,
        late.as_ref(),
    );
    // Not fatal: the app is over either way.
    let _ = crate::hooks::run("as-user-atexit", &cfg.hooks.as_user_atexit);
    if let Some(control) = &control {
        control.remove();
    }
    if cfg.vacuum {
        // As uWSGI: a master that dropped root may not be able to remove
        // a pidfile root wrote, so with `uid` it is left in place.
        // Those written after the drop (`pidfile2`, `safe-pidfile2`) go.
        let as_root = [&cfg.pidfile, &cfg.safe_pidfile]
            .into_iter()
            .filter(|_| cfg.uid.is_none());
        let pidfiles: Vec<&Path> = as_root
            .chain([&cfg.pidfile2, &cfg.safe_pidfile2])
            .filter_map(|p| p.as_deref())
            .collect();
        vacuum::run(&files, &pidfiles);
    }
    code
}

/// `daemonize` (detach, then log to the file) or `logto`. Under a
/// supervisor `daemonize` only logs to its file, as uWSGI does under its
/// Emperor: a process manager loses track of a service that detaches.
fn setup_log(cfg: &AppConfig) -> anyhow::Result<()> {
    if let Some(path) = &cfg.daemonize {
        match daemonize::supervisor() {
            Some(by) => {
                daemonize::log_to(path)?;
                log_line!(
                    "started by {by}: logging to {} without detaching",
                    path.display()
                );
            }
            None => daemonize::detach(path)?,
        }
    } else if let Some(path) = &cfg.logto {
        daemonize::log_to(path)?;
    }
    Ok(())
}

/// The file the app logs to, absolute (the master changes directory later).
fn log_file(cfg: &AppConfig) -> Option<PathBuf> {
    let path = (cfg.request_logging.file.logto2.as_ref())
        .or(cfg.daemonize.as_ref())
        .or(cfg.logto.as_ref())?;
    Some(std::path::absolute(path).unwrap_or_else(|_| path.clone()))
}

/// What `serve` needs besides the sockets.
struct Startup<'a> {
    cfg: AppConfig,
    log_path: Option<PathBuf>,
    /// The bound control socket (`--control`).
    control: Option<&'a mut ControlSocket>,
}

/// `pidfile2` and `safe-pidfile2`: written as the app's user, after the
/// privilege drop, as uWSGI writes them.
fn write_late_pidfiles(cfg: &AppConfig) -> anyhow::Result<()> {
    let pid = std::process::id();
    if let Some(path) = &cfg.pidfile2 {
        pidfile::write(path, pid)
            .with_context(|| format!("cannot write the pidfile2 {}", path.display()))?;
    }
    if let Some(path) = &cfg.safe_pidfile2 {
        pidfile::write_safe(path, pid)
            .with_context(|| format!("cannot write the safe-pidfile2 {}", path.display()))?;
    }
    Ok(())
}

/// uWSGI reopens stdin on `/dev/null` (unless `honour-stdin`), so no
/// process of the app reads the terminal or the pipe it was started from.
/// After the sockets: a listening socket on stdin is one of them.
fn stdin_to_dev_null() -> anyhow::Result<()> {
    let null = std::fs::File::open("/dev/null").context("open /dev/null for stdin")?;
    nix::unistd::dup2_stdin(&null).context("dup2(/dev/null, 0)")?;
    Ok(())
}

/// `limit-as = MiB`: the address-space limit of the master and, inherited,
/// of every process it starts, set and announced as uWSGI does.
fn limit_address_space(cfg: &AppConfig) -> anyhow::Result<()> {
    let Some(bytes) = cfg.limit_as else {
        return Ok(());
    };
    log_line!("limiting address space of processes...");
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_AS, bytes, bytes)
        .with_context(|| format!("setrlimit(RLIMIT_AS, {bytes}) for limit-as"))?;
    log_line!(
        "your process address space limit is {bytes} bytes ({} MB)",
        bytes / (1024 * 1024)
    );
    Ok(())
}

/// Drops to `id`, then checks the Python installation is still readable.
fn drop_privileges(cfg: &AppConfig, id: &privileges::Identity) -> anyhow::Result<()> {
    privileges::drop_to(id)?;
    privileges::check_python_access(cfg)?;
    Ok(())
}

/// Everything between the pidfile and vacuum; `files` collects the socket
/// files created, for vacuum.
fn serve(
    startup: Startup<'_>,
    activated: &mut Activated,
    files: &mut Vec<SocketFile>,
    late_drop: Option<&privileges::Identity>,
) -> anyhow::Result<i32> {
    let Startup {
        mut cfg,
        log_path,
        control,
    } = startup;
    let facts = AppFacts::new(&cfg, log_path.clone());
    if let Some(dir) = &cfg.chdir {
        std::env::set_current_dir(dir).with_context(|| format!("chdir() to {}", dir.display()))?;
    }
    banner::details(&cfg, shutdown::mercy(&cfg));
    limit_address_space(&cfg)?;
    let sockets = sockets::open_all(&mut cfg, activated)?;
    if !cfg.honour_stdin {
        stdin_to_dev_null()?;
    }
    files.extend(sockets.iter().filter_map(|s| s.file.clone()));
    let stats = stats::bind(&cfg)?;
    files.extend(stats.as_ref().and_then(|s| s.file.clone()));
    if let Some(id) = late_drop {
        drop_privileges(&cfg, id)?;
    }
    write_late_pidfiles(&cfg)?;
    crate::hooks::run("as-user", &cfg.hooks.as_user)?;
    log_master::after_privileges(&cfg, log_path)?;
    nix::sys::prctl::set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER)")?;
    let mut board = Scoreboard::create().context("while creating the scoreboard")?;
    board
        .relocate_fd(sockets::HIGH_FD)
        .context("while moving the scoreboard's descriptor")?;
    scoreboard::install_master(board);
    create_caches(&cfg)?;
    create_sharedareas(&cfg)?;
    let config_json = serde_json::to_string(&cfg).context("while serialising the configuration")?;
    let exe = std::env::current_exe().context("cannot find the uwsgid binary to exec")?;
    log_line!("spawned uWSGI master process (pid: {})", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the event loop")?;
    let code = runtime
        .block_on(async {
            let (commands, inbox) = control::channel();
            let mut serving = None;
            let mut rebinder = None;
            if let Some(socket) = control {
                let service = AppControl {
                    commands: commands.clone(),
                    name: facts.name.clone(),
                    ini: cfg.ini.clone(),
                    log_path: facts.log_path.clone(),
                };
                let (served, rebind) = control::spawn(socket, service)?;
                serving = Some(served);
                rebinder = Some(rebind);
            }
            if let Some(stats) = stats {
                stats.spawn(commands)?;
            }
            let supervisor =
                AppMaster::new(cfg, config_json, exe, sockets).with_control(inbox, facts, rebinder);
            let code = supervisor.run().await.map_err(anyhow::Error::from);
            if let Some(serving) = serving {
                serving.finish().await;
            }
            code
        })
        .context("in the master's event loop")?;
    if code == 0 {
        log_line!("goodbye to uWSGI.");
    }
    Ok(code)
}
