//! The master's end of its link with a zygote: the two pipes of
//! `crate::contract::zygote_lines`, read without blocking the event loop.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::time::Instant;

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::Pid;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::contract::zygote_lines::ZygoteCommand;

/// The master's end of one running zygote.
#[derive(Debug)]
pub struct ZygoteLink {
    pub pid: Pid,
    pub generation: u64,
    pub started: Instant,
    /// Set once the zygote reported `ready`.
    pub ready: bool,
    /// `None` once closed (the zygote is being stopped).
    commands: Option<File>,
    reports: LineReader,
}

impl ZygoteLink {
    /// Wraps the master's pipe ends. Must run inside the tokio runtime.
    pub fn new(
        pid: Pid,
        generation: u64,
        commands: OwnedFd,
        reports: OwnedFd,
    ) -> std::io::Result<ZygoteLink> {
        Ok(ZygoteLink {
            pid,
            generation,
            started: Instant::now(),
            ready: false,
            commands: Some(File::from(commands)),
            reports: LineReader::new(reports)?,
        })
    }

    /// Sends one command. A failure means the zygote is gone; its death is
    /// handled when it is reaped.
    pub fn send(&mut self, command: ZygoteCommand) -> std::io::Result<()> {
        match self.commands.as_mut() {
            Some(pipe) => pipe.write_all(command.to_line().as_bytes()),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "zygote is stopping",
            )),
        }
    }

    /// Closes the command pipe: the zygote exits when it reads EOF.
    pub fn close_commands(&mut self) {
        self.commands = None;
    }

    /// The next report line; `None` at EOF. Cancel-safe.
    pub async fn next_line(&mut self) -> std::io::Result<Option<String>> {
        self.reports.next_line().await
    }

    /// Whether the report pipe reached its end (or failed): nothing more
    /// will come from this zygote.
    pub fn at_eof(&self) -> bool {
        self.reports.eof && !self.reports.buf.contains(&b'\n')
    }

    /// Every complete line already in the pipe, without waiting (used after
    /// the zygote died, so that no birth it reported is lost).
    pub fn drain_now(&mut self) -> Vec<String> {
        self.reports.drain_now()
    }
}

/// Lines from a non-blocking pipe, readable both asynchronously and, after
/// the writer died, synchronously to the end of what is buffered.
#[derive(Debug)]
struct LineReader {
    pipe: AsyncFd<File>,
    buf: Vec<u8>,
    eof: bool,
}

impl LineReader {
    fn new(fd: OwnedFd) -> std::io::Result<LineReader> {
        let flags = fcntl(&fd, FcntlArg::F_GETFL)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(&fd, FcntlArg::F_SETFL(flags))?;
        // SAFETY: the `File` owns the descriptor, which stays open and the
        // same until the `AsyncFd` (its only owner) is dropped.
        let pipe = unsafe { AsyncFd::register_with_interest(File::from(fd), Interest::READABLE) }
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(LineReader {
            pipe,
            buf: Vec::new(),
            eof: false,
        })
    }

    async fn next_line(&mut self) -> std::io::Result<Option<String>> {
        loop {
            if let Some(line) = self.take_line() {
                return Ok(Some(line));
            }
            if self.eof {
                return Ok(None);
            }
            let mut guard = self.pipe.readable().await?;
            let mut chunk = [0u8; 512];
            match guard.try_io(|file| file.get_ref().read(&mut chunk)) {
                Ok(Ok(0)) => self.eof = true,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Ok(Err(e)) => {
                    self.eof = true;
                    return Err(e);
                }
                Err(_would_block) => {}
            }
        }
    }

    fn drain_now(&mut self) -> Vec<String> {
        let mut chunk = [0u8; 512];
        while !self.eof {
            match self.pipe.get_ref().read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => break,
            }
        }
        std::iter::from_fn(|| self.take_line()).collect()
    }

    fn take_line(&mut self) -> Option<String> {
        let end = self.buf.iter().position(|&b| b == b'\n')?;
        let line: Vec<u8> = self.buf.drain(..=end).collect();
        Some(String::from_utf8_lossy(&line[..end]).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_as_they_come_and_drains_what_a_dead_writer_left() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let (read, write) = nix::unistd::pipe().expect("pipe");
            let mut reader = LineReader::new(read).expect("reader");
            let mut writer = File::from(write);
            writer.write_all(b"ready\nborn 1 ").expect("write");
            assert_eq!(
                reader.next_line().await.expect("read").as_deref(),
                Some("ready")
            );
            writer.write_all(b"42\nborn 2 43\nfailed 3").expect("write");
            drop(writer);
            // A partial last line is not a report.
            assert_eq!(reader.drain_now(), ["born 1 42", "born 2 43"]);
            assert!(reader.eof);
            assert_eq!(reader.next_line().await.expect("read"), None);
        });
    }
}
