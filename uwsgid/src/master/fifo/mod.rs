//! `master-fifo`: named pipes the master reads one-letter commands from
//! (`echo r > /run/app.fifo`), as uWSGI does. Several may be configured;
//! one is active at a time, `0`–`9` choose which (`commands.rs`).
//!
//! As in uWSGI the FIFO is made (after any old file at its path is removed)
//! mode 0600 by the master after it dropped privileges, so only the app's
//! user may write to it, and opened read-only: when the last writer closes,
//! the master reads end-of-file and makes the active FIFO again. That is
//! also how a deleted FIFO comes back, and how a newly chosen one is made.

mod commands;

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::sys::stat::Mode;
use tokio::net::unix::pipe;

use crate::log::log_line;

/// How many command bytes one read takes.
const READ_CHUNK: usize = 64;

/// The master's FIFOs and the open active one.
#[derive(Debug)]
pub struct MasterFifo {
    paths: Vec<PathBuf>,
    /// Index into `paths` of the FIFO made on the next end-of-file.
    slot: usize,
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    path: PathBuf,
    rx: pipe::Receiver,
    /// The file made, so vacuum never removes someone else's.
    dev: u64,
    ino: u64,
}

impl MasterFifo {
    /// The FIFOs of `master-fifo`, none made yet; `None` without any.
    pub fn new(paths: &[PathBuf]) -> Option<MasterFifo> {
        (!paths.is_empty()).then(|| MasterFifo {
            paths: paths.to_vec(),
            slot: 0,
            open: None,
        })
    }

    /// Makes and opens the active FIFO (inside the runtime).
    pub fn make(&mut self) -> io::Result<()> {
        let path = self.paths[self.slot].clone();
        self.open = None;
        match std::fs::remove_file(&path) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => {
                return Err(with_path(err, "cannot remove the old", &path));
            }
            _ => {}
        }
        nix::unistd::mkfifo(&path, Mode::S_IRUSR | Mode::S_IWUSR)
            .map_err(|errno| with_path(errno.into(), "mkfifo() failed for", &path))?;
        let meta = std::fs::metadata(&path).map_err(|e| with_path(e, "cannot stat", &path))?;
        let rx = pipe::OpenOptions::new()
            .open_receiver(&path)
            .map_err(|e| with_path(e, "cannot open", &path))?;
        self.open = Some(Open {
            path,
            rx,
            dev: meta.dev(),
            ino: meta.ino(),
        });
        Ok(())
    }

    /// The next command bytes; makes the FIFO again whenever its last
    /// writer closed. Pending forever once it cannot be made.
    pub async fn next(&mut self) -> Vec<u8> {
        let mut buf = [0u8; READ_CHUNK];
        loop {
            let Some(open) = &self.open else {
                return std::future::pending().await;
            };
            let read = match open.rx.readable().await {
                Ok(()) => open.rx.try_read(&mut buf),
                Err(err) => Err(err),
            };
            match read {
                Ok(0) => self.remake(),
                Ok(n) => return buf[..n].to_vec(),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => {
                    log_line!("master fifo: read(): {err}");
                    self.remake();
                }
            }
        }
    }

    /// Makes the active FIFO again, or gives up on it with a log line.
    fn remake(&mut self) {
        if let Err(err) = self.make() {
            log_line!("master fifo: {err}; no more commands are read");
        }
    }

    /// Makes the active FIFO again if its file is gone or replaced
    /// (`touch`ed over, deleted): on reload, as the control socket is.
    pub fn ensure(&mut self) {
        let intact = self.open.as_ref().is_some_and(|open| {
            std::fs::metadata(&open.path)
                .is_ok_and(|meta| meta.dev() == open.dev && meta.ino() == open.ino)
        });
        if !intact {
            log_line!(
                "master fifo: {} was gone: made it again",
                self.active().display()
            );
            self.remake();
        }
    }

    /// Chooses the FIFO made on the next end-of-file; false past the list.
    fn choose(&mut self, slot: usize) -> bool {
        if slot >= self.paths.len() {
            return false;
        }
        self.slot = slot;
        true
    }

    fn active(&self) -> &Path {
        &self.paths[self.slot]
    }

    /// `vacuum`: removes the FIFO this master made, if it is still there.
    pub fn remove(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let ours = std::fs::metadata(&open.path)
            .is_ok_and(|meta| meta.dev() == open.dev && meta.ino() == open.ino);
        if ours {
            match std::fs::remove_file(&open.path) {
                Ok(()) => log_line!("VACUUM: master fifo {} removed.", open.path.display()),
                Err(err) => log_line!(
                    "VACUUM: cannot remove master fifo {}: {err}",
                    open.path.display()
                ),
            }
        }
    }
}

fn with_path(err: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{what} {}: {err}", path.display()))
}

/// Waits for the next command bytes, or forever without a FIFO.
pub async fn next_bytes(fifo: Option<&mut MasterFifo>) -> Vec<u8> {
    match fifo {
        Some(fifo) => fifo.next().await,
        None => std::future::pending().await,
    }
}
