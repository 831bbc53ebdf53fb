//! The log master's thread: reads what the processes write, writes it to
//! the log in whole lines, and rotates the file past `log-maxsize` (uWSGI's
//! `uwsgi_log_do_rotate`): a last line `<ctime> - logsize: N, triggering
//! rotation to NAME...` in the old file, the file renamed to
//! `log-backupname` or `<logto>.<epoch>`, a new empty file in its place.
//!
//! Only whole lines are written, so the rotation never splits one; with
//! the default name it happens at most once a second, so a backup is never
//! overwritten by the next.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use super::Asked;
use super::dispatch::Dispatch;
use crate::config::LogFile;

/// What one read takes at most.
const READ_BUF: usize = 64 * 1024;

/// A line longer than this is written in pieces (it cannot be held whole).
const MAX_PENDING: usize = 1024 * 1024;

/// The log file the master writes.
pub struct LogWriter {
    file: File,
    /// The file's path, when the log is a file uwsgid opened (only then it
    /// is rotated or reopened).
    path: Option<PathBuf>,
    maxsize: u64,
    backupname: Option<PathBuf>,
    size: u64,
    /// The epoch second of the last rotation to `<logto>.<epoch>`.
    last_rotation: u64,
    /// The start of a line whose end has not been read yet.
    pending: Vec<u8>,
}

impl LogWriter {
    pub fn new(file: File, path: Option<PathBuf>, options: &LogFile) -> LogWriter {
        let size = file.metadata().map_or(0, |m| m.len());
        LogWriter {
            file,
            path,
            maxsize: options.maxsize,
            backupname: options.backupname.clone(),
            size,
            last_rotation: 0,
            pending: Vec::new(),
        }
    }

    /// Copies `input` to the log (or through `dispatch` to the loggers)
    /// until every writer closed it.
    pub fn run(&mut self, mut input: File, asked: &Asked, mut dispatch: Option<Dispatch>) {
        let mut buf = vec![0u8; READ_BUF];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            if asked.reopen.swap(false, Ordering::AcqRel) {
                self.reopen();
            }
            if asked.rotate.swap(false, Ordering::AcqRel) {
                self.rotate_now(now_secs());
            }
            let data = buf.get(..n).unwrap_or_default();
            match &mut dispatch {
                Some(dispatch) => dispatch.take(data, self),
                None => self.take(data),
            }
        }
        if let Some(dispatch) = &mut dispatch {
            dispatch.finish(self);
        }
        let rest = std::mem::take(&mut self.pending);
        self.write(&rest);
    }

    /// Writes `data` (whole lines) and rotates if due.
    pub fn write_whole(&mut self, data: &[u8]) {
        self.write(data);
        self.rotate_if_due(now_secs());
    }

    /// Writes the whole lines of `data` (after what was pending), keeps the
    /// unfinished end, then rotates if due.
    pub fn take(&mut self, data: &[u8]) {
        let Some(last_nl) = data.iter().rposition(|&b| b == b'\n') else {
            self.pending.extend_from_slice(data);
            if self.pending.len() > MAX_PENDING {
                let long = std::mem::take(&mut self.pending);
                self.write(&long);
            }
            return;
        };
        let (lines, rest) = data.split_at(last_nl + 1);
        if self.pending.is_empty() {
            self.write(lines);
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(lines);
            self.write(&joined);
        }
        self.pending.extend_from_slice(rest);
        self.rotate_if_due(now_secs());
    }

    /// A failed write loses the data, never the process (a full disk).
    fn write(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.file.write_all(data).is_ok() {
            self.size += data.len() as u64;
        }
    }

    /// Rotates when the file is over `log-maxsize` (uWSGI: strictly over).
    pub fn rotate_if_due(&mut self, now: u64) {
        if self.maxsize == 0 || self.size <= self.maxsize {
            return;
        }
        let Some(path) = self.path.clone() else {
            return;
        };
        let target = match &self.backupname {
            Some(name) => name.clone(),
            None => {
                if now == self.last_rotation {
                    return;
                }
                let mut name = path.clone().into_os_string();
                name.push(format!(".{now}"));
                let name = PathBuf::from(name);
                if name.exists() {
                    return;
                }
                self.last_rotation = now;
                name
            }
        };
        self.rotate(&path, &target);
    }

    /// Rotates now, whatever the size (the master FIFO's `L`): to
    /// `log-backupname`, else to `FILE.EPOCH` as uWSGI does.
    pub fn rotate_now(&mut self, now: u64) {
        let Some(path) = self.path.clone() else {
            return;
        };
        let target = self.backupname.clone().unwrap_or_else(|| {
            let mut name = path.clone().into_os_string();
            name.push(format!(".{now}"));
            PathBuf::from(name)
        });
        self.last_rotation = now;
        self.rotate(&path, &target);
    }

    fn rotate(&mut self, path: &Path, target: &Path) {
        let mut line = String::new();
        crate::log::push_strftime(&mut line, c"%a %b %e %H:%M:%S %Y", now_secs() as i64);
        line.push_str(&format!(
            " - logsize: {}, triggering rotation to {}...\n",
            self.size,
            target.display()
        ));
        let _ = self.file.write_all(line.as_bytes());
        if let Err(err) = std::fs::rename(path, target) {
            let msg = format!("unable to rotate log: rename(): {err}\n");
            let _ = self.file.write_all(msg.as_bytes());
            return;
        }
        match super::open_append(path).and_then(|f| f.set_len(0).map(|()| f)) {
            Ok(file) => {
                self.file = file;
                self.size = 0;
            }
            Err(err) => {
                // Keep writing to the renamed file: nothing is lost.
                let msg = format!("cannot open {} after rotation: {err}\n", path.display());
                let _ = self.file.write_all(msg.as_bytes());
            }
        }
    }

    /// `log-reopen`: the file at `path` again (created if it was moved).
    fn reopen(&mut self) {
        let Some(path) = &self.path else {
            return;
        };
        if let Ok(file) = super::open_append(path) {
            self.size = file.metadata().map_or(0, |m| m.len());
            self.file = file;
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
