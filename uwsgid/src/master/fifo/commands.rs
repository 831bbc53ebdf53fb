//! What each byte written to the master FIFO does: uWSGI 2.0's letters,
//! mapped onto the master's actions. Letters for features uwsgid does not
//! have are answered with a log line naming them; bytes uWSGI gives no
//! meaning (the newline of `echo`) are skipped, as uWSGI skips them.

use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::master::pidfile;
use crate::master::shutdown::StopMode;

/// Why the master did something, at the start of its log lines.
const WHY: &str = "master fifo";

/// A byte's meaning.
#[derive(Debug, PartialEq, Eq)]
enum Letter {
    /// `0`–`9`: the FIFO the next end-of-file makes active.
    Choose(usize),
    /// `r`, `w`: a graceful reload (uwsgid never re-execs the master, so
    /// both reload the workers only).
    Reload,
    /// `c`: a chain reload (one worker at a time).
    ChainReload,
    /// `R`, `W`: a brutal reload: the old workers are killed, not drained,
    /// once the new generation is ready.
    BrutalReload,
    /// `l`: open the log file again; `L`: rotate it now.
    ReopenLog,
    RotateLog,
    /// `C`: stop every worker until a connection comes (cheap mode).
    GoCheap,
    /// `p`: pause the workers, or resume them.
    Pause,
    /// `q`: a graceful stop; `Q`: an immediate one.
    Stop(StopMode),
    /// `s`: the stats lines (as SIGUSR1).
    Stats,
    /// `+`, `-`: a worker more or less.
    AddWorker,
    RemoveWorker,
    /// `P`: write the pidfile again.
    Pidfile,
    /// A letter uWSGI has for a feature uwsgid lacks.
    Unsupported(&'static str),
}

fn letter(byte: u8) -> Option<Letter> {
    Some(match byte {
        b'0'..=b'9' => Letter::Choose(usize::from(byte - b'0')),
        b'r' | b'w' => Letter::Reload,
        b'c' => Letter::ChainReload,
        b'q' => Letter::Stop(StopMode::Graceful),
        b'Q' => Letter::Stop(StopMode::Immediate),
        b's' => Letter::Stats,
        b'+' => Letter::AddWorker,
        b'-' => Letter::RemoveWorker,
        b'P' => Letter::Pidfile,
        b'R' | b'W' => Letter::BrutalReload,
        b'l' => Letter::ReopenLog,
        b'L' => Letter::RotateLog,
        b'C' => Letter::GoCheap,
        b'p' => Letter::Pause,
        b'f' => Letter::Unsupported(
            "reforking the master: uwsgid's master holds no app memory to refresh",
        ),
        b'B' | b'E' => Letter::Unsupported("the Emperor"),
        b'S' => Letter::Unsupported("subscriptions"),
        _ => return None,
    })
}

impl AppMaster {
    /// Runs the commands in `bytes`, in order.
    pub(in crate::master) fn on_fifo_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if let Some(letter) = letter(byte) {
                self.on_fifo_letter(byte, letter);
            }
        }
    }

    fn on_fifo_letter(&mut self, byte: u8, letter: Letter) {
        match letter {
            Letter::Choose(slot) => self.choose_fifo(slot),
            Letter::Reload => {
                log_line!("{WHY}: graceful reload requested");
                self.request_reload();
            }
            Letter::ChainReload => {
                log_line!("{WHY}: chain reload requested");
                self.request_chain_reload();
            }
            Letter::BrutalReload => {
                log_line!("{WHY}: brutal reload requested");
                self.request_brutal_reload();
            }
            Letter::ReopenLog => {
                crate::master::log_master::reopen(self.facts.log_path.as_deref());
                log_line!("{WHY}: log reopened");
            }
            Letter::RotateLog => {
                let backup = self.cfg.request_logging.file.backupname.as_deref();
                crate::master::log_master::rotate(self.facts.log_path.as_deref(), backup);
                log_line!("{WHY}: log rotated");
            }
            Letter::GoCheap => self.go_cheap_now(WHY),
            Letter::Pause => self.toggle_pause(),
            Letter::Stop(mode) => {
                log_line!("{WHY}: {mode:?} stop requested");
                self.begin_stop(mode, 0);
            }
            Letter::Stats => self.log_stats(),
            Letter::AddWorker => {
                self.add_worker(WHY);
            }
            Letter::RemoveWorker => {
                self.remove_worker(WHY);
            }
            Letter::Pidfile => self.rewrite_pidfile(),
            Letter::Unsupported(what) => log_line!(
                "{WHY}: command '{}' ({what}) is not supported by uwsgid; ignored",
                char::from(byte)
            ),
        }
    }

    fn choose_fifo(&mut self, slot: usize) {
        let Some(fifo) = self.fifo.as_mut() else {
            return;
        };
        if fifo.choose(slot) {
            log_line!("active master fifo is now {}", fifo.active().display());
        } else {
            log_line!("{WHY}: there is no master fifo {slot}; the active one stays");
        }
    }

    fn rewrite_pidfile(&self) {
        let Some(path) = &self.cfg.pidfile else {
            return;
        };
        match pidfile::write(path, std::process::id()) {
            Ok(()) => log_line!("{WHY}: pidfile {} written", path.display()),
            Err(err) => log_line!("{WHY}: cannot write the pidfile {}: {err}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uwsgi_letters_have_their_meaning_and_the_rest_is_skipped() {
        assert_eq!(letter(b'3'), Some(Letter::Choose(3)));
        assert_eq!(letter(b'r'), Some(Letter::Reload));
        assert_eq!(letter(b'w'), Some(Letter::Reload));
        assert_eq!(letter(b'q'), Some(Letter::Stop(StopMode::Graceful)));
        assert_eq!(letter(b'Q'), Some(Letter::Stop(StopMode::Immediate)));
        assert_eq!(letter(b'+'), Some(Letter::AddWorker));
        assert_eq!(letter(b'R'), Some(Letter::BrutalReload));
        assert_eq!(letter(b'W'), Some(Letter::BrutalReload));
        assert_eq!(letter(b'l'), Some(Letter::ReopenLog));
        assert_eq!(letter(b'L'), Some(Letter::RotateLog));
        assert_eq!(letter(b'C'), Some(Letter::GoCheap));
        assert_eq!(letter(b'p'), Some(Letter::Pause));
        assert!(matches!(letter(b'f'), Some(Letter::Unsupported(_))));
        assert_eq!(letter(b'\n'), None);
        assert_eq!(letter(b'x'), None);
    }
}
