//! The supervisor: `uwsgid` without `--ini` runs one app master per ini
//! file of its apps directory, serves the control API on a unix socket and
//! talks to systemd. See `docs/architecture.md` ("The supervisor") for how
//! the pieces fit:
//! - `options.rs`: the command line, default paths, the man page;
//! - `scan.rs`, `app_ini.rs`: the apps directory and what each ini names;
//! - `registry.rs`: the apps, wanted and actual state;
//! - `event_loop.rs`: the event loop; `actions.rs`, `watch.rs`, `adopt.rs`
//!   its handlers; `spawn.rs`, `pidfd.rs`, `exit_status.rs` the processes (backoff: `crate::backoff`);
//! - `state_file.rs`: the apps stopped on purpose, across restarts;
//! - `service.rs` (with `status.rs`): the control API;
//! - `signals.rs`, `notify.rs`: signals and systemd.

mod actions;
mod adopt;
mod app_ini;
mod apps_files;
pub mod emperor;
mod event_loop;
mod exit_status;
mod notify;
mod options;
mod pidfd;
mod registry;
mod scan;
mod service;
mod signals;
mod spawn;
mod state_file;
mod status;
mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::{mpsc, oneshot};

pub use options::{Options, Paths, print_man_page};

use crate::control::socket::ControlSocket;
use crate::log::log_line;
use event_loop::Supervisor;
use service::Service;

/// How long the control server gets to finish its calls at exit (a
/// following `logs` stream would hold it forever).
const SERVER_GRACE: Duration = Duration::from_secs(2);

/// Runs the supervisor until it is stopped; returns the exit code.
pub fn run(options: Options) -> i32 {
    match run_supervisor(&options) {
        Ok(()) => 0,
        Err(err) => {
            log_line!("uwsgid: {err:#}");
            1
        }
    }
}

/// Runs the supervisor on `paths` (resolved from `options`, the Emperor's
/// vassal settings added) until it is stopped; returns the exit code.
pub fn run_paths(options: &Options, paths: Paths) -> i32 {
    match supervise(options, paths) {
        Ok(()) => 0,
        Err(err) => {
            log_line!("uwsgid: {err:#}");
            1
        }
    }
}

fn run_supervisor(options: &Options) -> anyhow::Result<()> {
    supervise(options, options.resolve()?)
}

fn supervise(options: &Options, paths: Paths) -> anyhow::Result<()> {
    if !paths.apps_dir.is_dir() {
        bail!(
            "the apps directory {} does not exist (create it, or pass --apps-dir)",
            paths.apps_dir.display()
        );
    }
    if let Some(log) = &options.daemonize {
        detach(log)?;
    }
    let exe = std::env::current_exe().context("cannot find the uwsgid binary")?;
    if let Some(pidfile) = &paths.pidfile {
        std::fs::write(pidfile, format!("{}\n", std::process::id()))
            .with_context(|| format!("cannot write the pidfile {}", pidfile.display()))?;
    }
    // As uWSGI's Emperor: apps are resolved and run from the apps directory.
    let result = std::env::set_current_dir(&paths.apps_dir)
        .with_context(|| format!("cannot enter {}", paths.apps_dir.display()))
        .and_then(|()| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the tokio runtime")?;
            runtime.block_on(serve(paths.clone(), exe))
        });
    if let Some(pidfile) = &paths.pidfile {
        let _ = std::fs::remove_file(pidfile);
    }
    result
}

/// Binds the control socket, runs the event loop and the control service
/// until every app is stopped, then removes the socket.
async fn serve(paths: Paths, exe: PathBuf) -> anyhow::Result<()> {
    let mut socket = ControlSocket::bind(&paths.control, paths.control_group)?;
    let (incoming, rebinder) = socket.serve().context("cannot serve the control socket")?;
    let (commands_tx, commands) = mpsc::channel(64);
    let (events_tx, events) = mpsc::unbounded_channel();
    let (stop_server, server_stopped) = oneshot::channel::<()>();
    let service = Service::new(commands_tx, paths.clone());
    let server = tokio::spawn(crate::control::serve(incoming, service, async {
        let _ = server_stopped.await;
    }));
    log_line!(
        "uwsgid: supervising the apps of {} (control socket {})",
        paths
            .vassals
            .glob
            .as_deref()
            .map_or_else(|| paths.apps_dir.display().to_string(), str::to_owned),
        paths.control.display()
    );
    let result = Supervisor::new(paths, exe, events_tx)
        .with_control(rebinder)
        .run(commands, events)
        .await
        .context("the supervisor failed");
    let _ = stop_server.send(());
    let _ = tokio::time::timeout(SERVER_GRACE, server).await;
    socket.remove();
    log_line!("uwsgid: every app is stopped; exiting");
    result
}

/// `--daemonize LOGFILE`: fork, setsid, fork (the `daemonize` crate), with
/// stdout and stderr appended to the file. Runs before any thread exists.
fn detach(log: &Path) -> anyhow::Result<()> {
    let open = || spawn::open_log(log);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    daemonize::Daemonize::new()
        .working_directory(cwd)
        .stdout(open()?)
        .stderr(open()?)
        .start()
        .context("cannot daemonize")
}
