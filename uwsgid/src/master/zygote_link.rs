//! The master's link with its zygote: two pipes of text lines.
//!
//! - command pipe, master → zygote: `spawn ID GENERATION\n` asks for one
//!   worker. The master closing it (EOF) tells the zygote to exit.
//! - report pipe, zygote → master: `ready\n` once the app is imported;
//!   `born ID PID\n` for each worker forked (the worker is already the
//!   master's child then, by the double fork and the subreaper);
//!   `failed ID REASON\n` when a fork failed.
//!
//! Lines are short (well under `PIPE_BUF`), so each write is atomic.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::time::Instant;

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::Pid;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// A request from the master to the zygote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZygoteCommand {
    Spawn { id: u32, generation: u64 },
}

impl ZygoteCommand {
    pub fn to_line(self) -> String {
        match self {
            ZygoteCommand::Spawn { id, generation } => format!("spawn {id} {generation}\n"),
        }
    }

    pub fn parse(line: &str) -> Option<ZygoteCommand> {
        let mut words = line.split_whitespace();
        match (words.next()?, words.next(), words.next(), words.next()) {
            ("spawn", Some(id), Some(generation), None) => Some(ZygoteCommand::Spawn {
                id: id.parse().ok()?,
                generation: generation.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// A report from the zygote to the master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZygoteReport {
    Ready,
    Born { id: u32, pid: i32 },
    Failed { id: u32, reason: String },
}

impl ZygoteReport {
    pub fn to_line(&self) -> String {
        match self {
            ZygoteReport::Ready => "ready\n".to_string(),
            ZygoteReport::Born { id, pid } => format!("born {id} {pid}\n"),
            ZygoteReport::Failed { id, reason } => {
                format!("failed {id} {}\n", reason.replace('\n', " "))
            }
        }
    }

    pub fn parse(line: &str) -> Option<ZygoteReport> {
        let line = line.trim_end();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "ready" if rest.is_empty() => Some(ZygoteReport::Ready),
            "born" => {
                let (id, pid) = rest.split_once(' ')?;
                Some(ZygoteReport::Born {
                    id: id.parse().ok()?,
                    pid: pid.parse().ok()?,
                })
            }
            "failed" => {
                let (id, reason) = rest.split_once(' ').unwrap_or((rest, ""));
                Some(ZygoteReport::Failed {
                    id: id.parse().ok()?,
                    reason: reason.to_string(),
                })
            }
            _ => None,
        }
    }
}

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
    fn commands_round_trip() {
        let cmd = ZygoteCommand::Spawn {
            id: 3,
            generation: 7,
        };
        assert_eq!(cmd.to_line(), "spawn 3 7\n");
        assert_eq!(ZygoteCommand::parse(&cmd.to_line()), Some(cmd));
        assert_eq!(ZygoteCommand::parse("spawn 3"), None);
        assert_eq!(ZygoteCommand::parse("spawn x 1"), None);
        assert_eq!(ZygoteCommand::parse("spawn 1 2 3"), None);
        assert_eq!(ZygoteCommand::parse("explode"), None);
    }

    #[test]
    fn reports_round_trip() {
        for report in [
            ZygoteReport::Ready,
            ZygoteReport::Born { id: 2, pid: 4242 },
            ZygoteReport::Failed {
                id: 1,
                reason: "fork(): EAGAIN".into(),
            },
        ] {
            assert_eq!(ZygoteReport::parse(&report.to_line()), Some(report.clone()));
        }
        assert_eq!(ZygoteReport::parse("born 1"), None);
        assert_eq!(ZygoteReport::parse("ready now"), None);
        assert_eq!(ZygoteReport::parse(""), None);
        let multi = ZygoteReport::Failed {
            id: 1,
            reason: "a\nb".into(),
        };
        assert_eq!(multi.to_line(), "failed 1 a b\n");
    }

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
