//! The zygote: a single-threaded process that starts CPython, imports the app
//! once and forks workers on the master's request, so workers share the
//! imported app copy-on-write. Also the entry of a `lazy-apps` worker.
//!
//! Each worker is forked twice (zygote → short-lived intermediate → worker):
//! the intermediate exits at once, so the worker is reparented to the master
//! (a `PR_SET_CHILD_SUBREAPER`), which reaps and signals it like any child.
//! The zygote reads the worker's pid from the intermediate and reports
//! `born ID PID` to the master (protocol in `crate::contract::zygote_lines`).
//! Zygote and workers die with the master (`PR_SET_PDEATHSIG`), and the
//! zygote exits when the master closes its command pipe.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::prctl::set_pdeathsig;
use nix::sys::signal::Signal;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork, getppid};

use crate::config::AppConfig;
use crate::contract::InheritedListener;
use crate::contract::child_env::{self, ChildEnv, ChildEnvError};
use crate::contract::exit::FAILED_APP_EXIT;
use crate::contract::titles;
use crate::contract::zygote_lines::{ZygoteCommand, ZygoteReport};
use crate::log::log_line;
use crate::proctitle;
use crate::scoreboard::{self, Scoreboard};
use crate::worker::{self, App};

/// Exit code when the process cannot even start (bad environment, Python
/// that does not initialise).
pub(super) const SETUP_FAILED_EXIT: i32 = 1;
/// How long a new worker waits to be adopted by the master.
const REPARENT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub(super) enum ZygoteError {
    #[error("{0}")]
    Env(#[from] ChildEnvError),
    #[error("pipe to the master: {0}")]
    Pipe(#[from] std::io::Error),
    #[error("fork(): {0}")]
    Fork(Errno),
    #[error("the intermediate process ended without reporting the worker's pid")]
    Intermediate,
    #[error("the master (pid {0}) is gone")]
    MasterGone(i32),
}

/// `uwsgid __zygote`: runs until the master closes its command pipe.
/// In a forked worker, returns the worker's exit code instead.
pub fn run_zygote() -> i32 {
    match zygote_main() {
        Ok(code) => code,
        Err(err) => {
            log_line!("uwsgid zygote: {err}");
            SETUP_FAILED_EXIT
        }
    }
}

/// `uwsgid __worker`: one `lazy-apps` worker that imports the app itself.
pub fn run_lazy_worker() -> i32 {
    match lazy_worker_main() {
        Ok(code) => code,
        Err(err) => {
            log_line!("uwsgid worker: {err}");
            SETUP_FAILED_EXIT
        }
    }
}

fn lazy_worker_main() -> Result<i32, ZygoteError> {
    let env = ChildEnv::from_env()?;
    crate::worker::logging::init_process(&env.cfg);
    let id = child_env::worker_id()?;
    let generation = child_env::worker_generation()?;
    let board = take_board().map(scoreboard::worker::install);
    take_caches(&env.cfg);
    // SAFETY: nothing has started a thread yet.
    unsafe {
        crate::contract::uwsgi_signals::take_from_env();
        crate::contract::mule_queues::take_from_env(env.cfg.mules.mules.len());
        child_env::scrub();
    }
    proctitle::set(&titles::worker(&env.cfg, id));
    tie_to_master(env.master_pid)?;
    let listeners = env.take_listeners()?;
    let cfg = Arc::new(env.cfg);
    if let Err(code) = worker::run_hooks("post-fork", &cfg.hooks.post_fork) {
        return Ok(code);
    }
    // The app sees its worker id while it is imported, as in uWSGI.
    worker::set_worker_id(id);
    let app = match prepare_app(&cfg) {
        Ok(app) => app,
        Err(code) => return Ok(code),
    };
    if let Some(board) = board {
        scoreboard::worker::attach(board, id, generation);
    }
    // The app was imported in this process: its fork hooks run now.
    worker::post_fork();
    Ok(worker::serve(cfg, app, listeners, id))
}

/// Maps the scoreboard the master passed; without it the process still
/// serves, unseen by harakiri and status, without `uwsgi.lock`.
pub(super) fn take_board() -> Option<Scoreboard> {
    child_env::take_scoreboard()
        .map_err(|err| log_line!("uwsgid: no scoreboard, harakiri is off for this process: {err}"))
        .ok()
}

/// Maps the caches and the sharedareas the master passed, for the `uwsgi`
/// module's `cache_*` and `sharedarea_*` functions (inherited by the
/// workers a zygote forks); without them those find none, as under uWSGI
/// without `cache2` or `sharedarea`.
pub(super) fn take_caches(cfg: &crate::config::AppConfig) {
    match child_env::take_caches(cfg) {
        Ok(Some(caches)) => {
            crate::cache::install(caches);
        }
        Ok(None) => {}
        Err(err) => log_line!("uwsgid: the caches are unavailable in this process: {err}"),
    }
    match child_env::take_sharedareas(cfg) {
        Ok(Some(areas)) => {
            crate::sharedarea::install(areas);
        }
        Ok(None) => {}
        Err(err) => log_line!("uwsgid: the sharedareas are unavailable in this process: {err}"),
    }
}

fn zygote_main() -> Result<i32, ZygoteError> {
    let env = ChildEnv::from_env()?;
    crate::worker::logging::init_process(&env.cfg);
    let (commands, reports) = child_env::take_zygote_pipes()?;
    let board = take_board().map(scoreboard::worker::install);
    take_caches(&env.cfg);
    // SAFETY: the zygote is single-threaded.
    unsafe {
        crate::contract::uwsgi_signals::take_from_env();
        crate::contract::mule_queues::take_from_env(env.cfg.mules.mules.len());
        child_env::scrub();
    }
    proctitle::set(&titles::zygote(&env.cfg));
    tie_to_master(env.master_pid)?;
    let master = env.master_pid;
    let listeners = env.take_listeners()?;
    let cfg = Arc::new(env.cfg);
    let app = match prepare_app(&cfg) {
        Ok(app) => app,
        Err(code) => return Ok(code),
    };
    let mut reports = File::from(reports);
    send(&mut reports, &ZygoteReport::Ready)?;
    let mut commands = BufReader::new(File::from(commands));
    match command_loop(&mut commands, &mut reports, fork_worker)? {
        // The master closed the pipe: it is stopping or gone.
        LoopEnd::MasterClosed => Ok(0),
        LoopEnd::InWorker { id, generation } => {
            // The worker keeps nothing of the zygote's link to the master.
            drop((commands, reports));
            if let Some(board) = board {
                scoreboard::worker::attach(board, id, generation);
            }
            Ok(run_forked_worker(cfg, app, listeners, id, master))
        }
    }
}

/// How the zygote's command loop ended.
#[derive(Debug, PartialEq, Eq)]
enum LoopEnd {
    /// EOF on the command pipe: the zygote exits.
    MasterClosed,
    /// This process is a newly forked worker for slot `id`.
    InWorker { id: u32, generation: u64 },
}

/// Reads commands until EOF, forking a worker for each `spawn` and
/// reporting its birth (or the failure) to the master.
fn command_loop(
    commands: &mut impl BufRead,
    reports: &mut impl Write,
    mut fork: impl FnMut() -> Result<Forked, ZygoteError>,
) -> Result<LoopEnd, ZygoteError> {
    let mut line = String::new();
    loop {
        line.clear();
        if commands.read_line(&mut line)? == 0 {
            return Ok(LoopEnd::MasterClosed);
        }
        let Some(ZygoteCommand::Spawn { id, generation }) = ZygoteCommand::parse(&line) else {
            log_line!("uwsgid zygote: unknown command {line:?}");
            continue;
        };
        let report = match fork() {
            Ok(Forked::Parent(pid)) => ZygoteReport::Born {
                id,
                pid: pid.as_raw(),
            },
            Ok(Forked::Child) => return Ok(LoopEnd::InWorker { id, generation }),
            Err(err) => ZygoteReport::Failed {
                id,
                reason: err.to_string(),
            },
        };
        send(reports, &report)?;
    }
}

/// Starts CPython and imports the app; on failure, the exit code to use
/// (22 when the app does not load, as uWSGI's `need-app`).
pub(super) fn prepare_app(cfg: &AppConfig) -> Result<App, i32> {
    if let Err(err) = worker::initialize(cfg) {
        log_line!("{err}");
        return Err(SETUP_FAILED_EXIT);
    }
    worker::run_hooks("pre-app", &cfg.hooks.pre_app)?;
    let app = worker::load(cfg).map_err(|err| {
        log_line!("{err}");
        FAILED_APP_EXIT
    })?;
    worker::run_hooks("post-app", &cfg.hooks.post_app)?;
    Ok(app)
}

fn send(pipe: &mut impl Write, report: &ZygoteReport) -> Result<(), ZygoteError> {
    Ok(pipe.write_all(report.to_line().as_bytes())?)
}

/// Dies with the master (SIGKILL when it goes), and refuses to start if it
/// is already gone.
pub(super) fn tie_to_master(master: i32) -> Result<(), ZygoteError> {
    set_pdeathsig(Signal::SIGKILL).map_err(|_| ZygoteError::MasterGone(master))?;
    if getppid().as_raw() != master {
        return Err(ZygoteError::MasterGone(master));
    }
    Ok(())
}

enum Forked {
    Parent(Pid),
    Child,
}

/// Double fork: returns the worker's pid in the zygote, `Child` in the worker.
fn fork_worker() -> Result<Forked, ZygoteError> {
    let (pid_read, pid_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(ZygoteError::Fork)?;
    worker::fork_prepare();
    // SAFETY: the zygote is single-threaded; the intermediate child only
    // calls async-signal-safe functions (fork, write, _exit).
    match unsafe { fork() } {
        Err(err) => {
            worker::fork_parent();
            Err(ZygoteError::Fork(err))
        }
        Ok(ForkResult::Child) => {
            // SAFETY: as above.
            match unsafe { libc::fork() } {
                0 => {
                    drop((pid_read, pid_write));
                    Ok(Forked::Child)
                }
                -1 => unsafe { libc::_exit(1) },
                worker_pid => {
                    let bytes = worker_pid.to_ne_bytes();
                    // SAFETY: write and _exit are async-signal-safe.
                    unsafe {
                        libc::write(pid_write.as_raw_fd(), bytes.as_ptr().cast(), bytes.len());
                        libc::_exit(0)
                    }
                }
            }
        }
        Ok(ForkResult::Parent { child }) => {
            worker::fork_parent();
            drop(pid_write);
            let mut bytes = [0u8; 4];
            let got = File::from(pid_read).read_exact(&mut bytes);
            reap_intermediate(child);
            got.map_err(|_| ZygoteError::Intermediate)?;
            Ok(Forked::Parent(Pid::from_raw(i32::from_ne_bytes(bytes))))
        }
    }
}

fn reap_intermediate(pid: Pid) {
    while let Err(Errno::EINTR) = waitpid(pid, None) {}
}

/// The worker side of the double fork.
fn run_forked_worker(
    cfg: Arc<AppConfig>,
    app: App,
    listeners: Vec<InheritedListener>,
    id: u32,
    master: i32,
) -> i32 {
    worker::fork_child();
    worker::set_worker_id(id);
    proctitle::set(&titles::worker(&cfg, id));
    if let Err(err) = await_adoption(master) {
        log_line!("uwsgid worker {id}: {err}");
        return SETUP_FAILED_EXIT;
    }
    if let Err(code) = worker::run_hooks("post-fork", &cfg.hooks.post_fork) {
        return code;
    }
    worker::post_fork();
    worker::serve(cfg, app, listeners, id)
}

/// Waits until the intermediate is gone and the master adopted this
/// process, then ties it to the master. The parent-death signal is set
/// only now: set earlier, the intermediate's exit would fire it.
fn await_adoption(master: i32) -> Result<(), ZygoteError> {
    let deadline = Instant::now() + REPARENT_TIMEOUT;
    while getppid().as_raw() != master {
        if Instant::now() > deadline {
            return Err(ZygoteError::MasterGone(master));
        }
        // The intermediate exits right after its fork: the wait is short,
        // and every worker's start (and a reload's) waits for it.
        std::thread::sleep(Duration::from_micros(100));
    }
    tie_to_master(master)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn reports_each_birth_and_exits_at_eof() {
        let mut commands = Cursor::new("spawn 1 1\nnonsense\nspawn 2 1\nspawn 3 1\n");
        let mut reports = Vec::new();
        let mut results = vec![
            Ok(Forked::Parent(Pid::from_raw(101))),
            Err(ZygoteError::Fork(Errno::EAGAIN)),
            Ok(Forked::Parent(Pid::from_raw(103))),
        ]
        .into_iter();
        let end = command_loop(&mut commands, &mut reports, || {
            results.next().unwrap_or(Err(ZygoteError::Intermediate))
        });
        assert_eq!(end.ok(), Some(LoopEnd::MasterClosed));
        assert_eq!(
            String::from_utf8_lossy(&reports),
            "born 1 101\nfailed 2 fork(): EAGAIN: Try again\nborn 3 103\n"
        );
    }

    #[test]
    fn the_forked_worker_leaves_the_loop_with_its_id() {
        let mut commands = Cursor::new("spawn 7 2\nspawn 8 2\n");
        let mut reports = Vec::new();
        let end = command_loop(&mut commands, &mut reports, || Ok(Forked::Child));
        assert_eq!(
            end.ok(),
            Some(LoopEnd::InWorker {
                id: 7,
                generation: 2
            })
        );
        assert!(reports.is_empty(), "a worker reports nothing");
    }
}
