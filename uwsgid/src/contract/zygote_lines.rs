//! The text-line protocol between an app master and its zygote: two pipes.
//!
//! - command pipe, master → zygote: `spawn ID GENERATION\n` asks for one
//!   worker. The master closing it (EOF) tells the zygote to exit.
//! - report pipe, zygote → master: `ready\n` once the app is imported;
//!   `born ID PID\n` for each worker forked (the worker is already the
//!   master's child then, by the double fork and the subreaper);
//!   `failed ID REASON\n` when a fork failed.
//!
//! Lines are short (well under `PIPE_BUF`), so each write is atomic.

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
}
