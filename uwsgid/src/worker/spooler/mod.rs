//! A spooler process: runs the tasks written into its directory, as
//! uWSGI's spooler (`core/spooler.c`). Each pass lists the directory
//! (`scan.rs`), takes each task it can lock (`read.rs`), runs it in
//! Python (`runner.rs`) and deletes it when it is done; then it waits for
//! a new task, a signal or `spooler-frequency` (`wake.rs`). Tasks are
//! written by `uwsgi.spool()` in any process of the app (`write.rs`), in
//! uWSGI's file format (`packet.rs`).

mod harakiri;
pub(crate) mod packet;
pub(crate) mod read;
mod runner;
mod scan;
mod wake;
pub(crate) mod write;

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config::AppConfig;
use crate::log::log_line;
use crate::worker::zygote::SETUP_FAILED_EXIT;
use read::TakeError;
use runner::Outcome;
use wake::Waker;

/// How soon a pass runs again after it met a task still being written.
const SOON: Duration = Duration::from_secs(1);

/// Runs spooler process `n` until it is told to stop; returns its exit code.
pub fn serve(cfg: Arc<AppConfig>, n: u32) -> i32 {
    let Some(dir) = cfg.spooler.dir_of(n) else {
        log_line!("uwsgid: spooler process {n} has no directory");
        return SETUP_FAILED_EXIT;
    };
    let dir = match prepare_dir(dir) {
        Ok(dir) => dir,
        Err(err) => {
            log_line!("[spooler directory] access(): {err} [{}]", dir.display());
            return SETUP_FAILED_EXIT;
        }
    };
    let waker = match Waker::install(&dir) {
        Ok(waker) => waker,
        Err(err) => {
            log_line!(
                "uwsgid: spooler on {}: cannot wait for tasks: {err}",
                dir.display()
            );
            return SETUP_FAILED_EXIT;
        }
    };
    if cfg.spooler.harakiri > 0
        && let Err(err) = harakiri::start()
    {
        log_line!("uwsgid: spooler-harakiri: cannot start its thread: {err}");
    }
    quiet_down();
    runner::import_modules(&cfg.spooler.imports);
    crate::worker::wsgi::uwsgi_module::open_signal_channel();
    Spooler {
        cfg,
        dir,
        pid: std::process::id(),
        tasks: 0,
    }
    .run(&waker)
}

/// Makes the directory when it is missing (mode 0750, the parent must
/// exist), as uWSGI does when it reads `spooler = DIR`, and returns its
/// real path.
pub fn prepare_dir(dir: &Path) -> std::io::Result<PathBuf> {
    if !dir.is_dir() {
        match std::fs::DirBuilder::new().mode(0o750).create(dir) {
            // Another process of the app made it meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            other => other?,
        }
    }
    std::fs::canonicalize(dir)
}

/// What uWSGI does to a spooler process: the lowest CPU priority, and
/// stdin from /dev/null so a task reading it gets an end of file.
fn quiet_down() {
    // SAFETY: plain syscalls on this process; failures change nothing.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 20);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
        if null > 0 {
            libc::dup2(null, 0);
            libc::close(null);
        }
    }
}

/// Why a pass ended.
enum Pass {
    /// Every task was looked at; wait this long.
    Wait(Duration),
    /// Stop (asked to, or `spooler-max-tasks` reached) with this code.
    Exit(i32),
}

struct Spooler {
    cfg: Arc<AppConfig>,
    dir: PathBuf,
    pid: u32,
    /// Tasks run by this process (`spooler-max-tasks`).
    tasks: u32,
}

impl Spooler {
    fn run(mut self, waker: &Waker) -> i32 {
        loop {
            if wake::stop_requested() {
                return 0;
            }
            match self.pass(waker) {
                Pass::Wait(timeout) => waker.wait(timeout),
                Pass::Exit(code) => return code,
            }
        }
    }

    fn frequency(&self) -> Duration {
        let set = crate::scoreboard::worker::board().and_then(|b| b.spooler_frequency());
        let secs = set.unwrap_or(self.cfg.spooler.frequency);
        // uWSGI's 0 would poll without pause; one second is the least.
        Duration::from_secs(u64::from(secs.max(1)))
    }

    /// One scan of the directory, running what is due.
    fn pass(&mut self, waker: &Waker) -> Pass {
        let ordered = self.cfg.spooler.ordered;
        let found = match scan::scan(&self.dir, ordered) {
            Ok(found) => found,
            Err(err) => {
                log_line!("opendir(): {err} [{}]", self.dir.display());
                return Pass::Wait(self.frequency());
            }
        };
        for dir in &found.priority_dirs {
            let _ = waker.watch(dir);
        }
        let mut timeout = self.frequency();
        for path in &found.tasks {
            if wake::stop_requested() {
                return Pass::Exit(0);
            }
            match self.try_task(path) {
                Step::Next => {}
                Step::Soon => timeout = timeout.min(SOON),
                Step::Exit(code) => return Pass::Exit(code),
            }
        }
        Pass::Wait(timeout)
    }

    fn try_task(&mut self, path: &Path) -> Step {
        if !is_due(path) {
            return Step::Next;
        }
        match read::take(path) {
            Ok(locked) => self.run_task(path, locked),
            Err(TakeError::Busy) => Step::Next,
            Err(TakeError::Unwritten) => Step::Soon,
            Err(TakeError::Broken(err)) => {
                log_line!("[spooler] {}: {err}; removed", path.display());
                let _ = std::fs::remove_file(path);
                Step::Next
            }
            Err(TakeError::Io(err)) => {
                log_line!("open(\"{}\"): {err}", path.display());
                Step::Next
            }
        }
    }

    fn run_task(&mut self, path: &Path, locked: read::Locked) -> Step {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let quiet = self.cfg.spooler.quiet;
        if !quiet {
            log_line!(
                "[spooler {} pid: {}] managing request {name} ...",
                self.dir.display(),
                self.pid
            );
        }
        if let Some(code) = self.enter_task_dir(path) {
            return Step::Exit(code);
        }
        let started = SystemTime::now();
        harakiri::arm(self.cfg.spooler.harakiri);
        wake::set_running(true);
        let outcome = runner::run(&name, &locked.task);
        wake::set_running(false);
        harakiri::disarm();
        match outcome {
            Outcome::Done => {
                self.tasks += 1;
                if !quiet {
                    let secs = started.elapsed().map_or(0, |d| d.as_secs());
                    log_line!(
                        "[spooler {} pid: {}] done with task {name} after {secs} seconds",
                        self.dir.display(),
                        self.pid
                    );
                }
                if let Err(err) = std::fs::remove_file(path) {
                    log_line!("unlink(): {err} [{}]", path.display());
                }
            }
            Outcome::Retry => self.tasks += 1,
            Outcome::Ignored => {}
        }
        drop(locked);
        let max = self.cfg.spooler.max_tasks;
        if max > 0 && self.tasks >= max {
            log_line!(
                "[spooler {} pid: {}] maximum number of tasks reached ({max}) recycling ...",
                self.dir.display(),
                self.pid
            );
            return Step::Exit(0);
        }
        if outcome == Outcome::Ignored {
            log_line!(
                "unable to find the spooler function, have you loaded it into the spooler process ?"
            );
        }
        Step::Next
    }

    /// A task runs in its directory (uWSGI's spooler lives there), or in
    /// `spooler-chdir`. Losing the spool directory ends the process.
    fn enter_task_dir(&self, path: &Path) -> Option<i32> {
        let dir = path.parent().unwrap_or(&self.dir);
        if let Err(err) = std::env::set_current_dir(dir) {
            log_line!("chdir(): {err} [{}]", dir.display());
            log_line!("[spooler] something horrible happened to the spooler. Better to kill it.");
            return Some(1);
        }
        if let Some(chdir) = &self.cfg.spooler.chdir
            && let Err(err) = std::env::set_current_dir(chdir)
        {
            log_line!("chdir(): {err} [{}]", chdir.display());
        }
        None
    }
}

/// What to do after one task.
enum Step {
    Next,
    /// A task was still being written: scan again soon.
    Soon,
    Exit(i32),
}

/// A regular file whose time has come (`at` sets the mtime ahead).
fn is_due(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    meta.is_file() && meta.modified().is_ok_and(|m| m <= SystemTime::now())
}
