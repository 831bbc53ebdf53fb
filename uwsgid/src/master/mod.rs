//! The app master: binds the app's sockets once, runs its zygote and
//! workers, respawns them, and owns the app's signals.
//!
//! Startup follows uWSGI's order: config warnings and banner, pidfile,
//! `chdir`, systemd-activated or freshly bound sockets, then the children.
//! The master becomes `PR_SET_CHILD_SUBREAPER`, so workers the zygote forks
//! (double fork) are its children to reap; it never forks to run Python.
//! Everything after startup is the event loop in `supervisor.rs`.

mod banner;
pub(crate) mod child_env;
mod harakiri;
mod lifecycle;
pub(crate) mod log;
mod pidfile;
mod reap;
mod respawn;
mod shutdown;
mod signals;
mod sockets;
mod spawn;
mod supervisor;
mod vacuum;
mod workers;
mod zygote_life;
pub(crate) mod zygote_link;

use anyhow::Context;

use crate::config::{AppConfig, Loaded};
use crate::master::log::log_line;
use crate::scoreboard::{self, Scoreboard};
use sockets::{Activated, SocketFile};
use supervisor::Supervisor;

/// Runs one app in the foreground until it is stopped; returns the exit code.
pub fn run(loaded: Loaded) -> i32 {
    match run_app(loaded) {
        Ok(code) => code,
        Err(err) => {
            log_line!("{err:#}");
            1
        }
    }
}

fn run_app(loaded: Loaded) -> anyhow::Result<i32> {
    // First: systemd's sockets sit at fds 3.. until moved out of the way.
    let mut activated = Activated::from_env().context("while taking over the systemd sockets")?;
    for warning in &loaded.warnings {
        log_line!("{warning}");
    }
    let cfg = loaded.app;
    banner::starting();
    if let Some(warning) = harakiri::startup_warning(cfg.harakiri, cfg.post_buffering) {
        log_line!("{warning}");
    }
    if let Some(path) = &cfg.pidfile {
        pidfile::write(path, std::process::id())
            .with_context(|| format!("cannot write the pidfile {}", path.display()))?;
    }
    let mut files = Vec::new();
    let code = serve(cfg.clone(), &mut activated, &mut files);
    if cfg.vacuum {
        vacuum::run(&files, cfg.pidfile.as_deref());
    }
    code
}

/// Everything between the pidfile and vacuum; `files` collects the socket
/// files created, for vacuum.
fn serve(
    mut cfg: AppConfig,
    activated: &mut Activated,
    files: &mut Vec<SocketFile>,
) -> anyhow::Result<i32> {
    if let Some(dir) = &cfg.chdir {
        std::env::set_current_dir(dir).with_context(|| format!("chdir() to {}", dir.display()))?;
    }
    banner::details(&cfg, shutdown::mercy(&cfg));
    let sockets = sockets::open_all(&mut cfg, activated)?;
    files.extend(sockets.iter().filter_map(|s| s.file.clone()));
    nix::sys::prctl::set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER)")?;
    let mut board = Scoreboard::create().context("while creating the scoreboard")?;
    board
        .relocate_fd(sockets::HIGH_FD)
        .context("while moving the scoreboard's descriptor")?;
    scoreboard::install_master(board);
    let config_json = serde_json::to_string(&cfg).context("while serialising the configuration")?;
    let exe = std::env::current_exe().context("cannot find the uwsgid binary to exec")?;
    log_line!("spawned uWSGI master process (pid: {})", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the event loop")?;
    let code = runtime
        .block_on(Supervisor::new(cfg, config_json, exe, sockets).run())
        .context("in the master's event loop")?;
    if code == 0 {
        log_line!("goodbye to uWSGI.");
    }
    Ok(code)
}
