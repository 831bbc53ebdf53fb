//! The supervisor's signals: TERM, INT and QUIT stop every app gracefully
//! and then the supervisor (uWSGI's Emperor stops its vassals on all
//! three); HUP rescans the apps directory and reloads every app.

use tokio::signal::unix::SignalKind;

use crate::signals::SignalSet;

/// What a signal asks of the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupervisorSignal {
    /// Stop every app, then exit; the signal's name for the log.
    Stop(&'static str),
    Reload,
}

/// The installed handlers.
pub type Signals = SignalSet<SupervisorSignal>;

/// Installs the supervisor's handlers.
pub fn install() -> std::io::Result<Signals> {
    SignalSet::install(&[
        (SignalKind::terminate(), SupervisorSignal::Stop("SIGTERM")),
        (SignalKind::interrupt(), SupervisorSignal::Stop("SIGINT")),
        (SignalKind::quit(), SupervisorSignal::Stop("SIGQUIT")),
        (SignalKind::hangup(), SupervisorSignal::Reload),
    ])
}
