//! The supervisor's signals: TERM, INT and QUIT stop every app gracefully
//! and then the supervisor (uWSGI's Emperor stops its vassals on all
//! three); HUP rescans the apps directory and reloads every app.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// What a signal asks of the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupervisorSignal {
    /// Stop every app, then exit; the signal's name for the log.
    Stop(&'static str),
    Reload,
}

/// The installed handlers.
#[derive(Debug)]
pub struct Signals {
    term: Signal,
    int: Signal,
    quit: Signal,
    hup: Signal,
}

impl Signals {
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal received.
    pub async fn next(&mut self) -> SupervisorSignal {
        tokio::select! {
            _ = self.term.recv() => SupervisorSignal::Stop("SIGTERM"),
            _ = self.int.recv() => SupervisorSignal::Stop("SIGINT"),
            _ = self.quit.recv() => SupervisorSignal::Stop("SIGQUIT"),
            _ = self.hup.recv() => SupervisorSignal::Reload,
        }
    }
}
