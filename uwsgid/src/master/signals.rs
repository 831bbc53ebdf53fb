//! The signals the app master acts on (uWSGI 2.1's table, plus
//! Gunicorn's scaling): SIGTERM = graceful stop, SIGINT/SIGQUIT = immediate
//! stop, SIGHUP = graceful reload, SIGUSR1 = workers' stats to the log,
//! SIGTTIN/SIGTTOU = one worker more/less, SIGTSTP = pause or resume
//! (uWSGI's `suspend_resume_them_all`), SIGCHLD = reap.

use nix::sys::signal::Signal;
use tokio::signal::unix::SignalKind;

use crate::signals::{SignalSet, kind};

/// A signal delivered to the master.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterSignal {
    Child,
    Term,
    Int,
    Quit,
    Hup,
    Usr1,
    Ttin,
    Ttou,
    Tstp,
}

impl MasterSignal {
    /// Its number, for `unix_signal` hooks.
    pub fn number(self) -> i32 {
        let signal = match self {
            MasterSignal::Child => Signal::SIGCHLD,
            MasterSignal::Term => Signal::SIGTERM,
            MasterSignal::Int => Signal::SIGINT,
            MasterSignal::Quit => Signal::SIGQUIT,
            MasterSignal::Hup => Signal::SIGHUP,
            MasterSignal::Usr1 => Signal::SIGUSR1,
            MasterSignal::Ttin => Signal::SIGTTIN,
            MasterSignal::Ttou => Signal::SIGTTOU,
            MasterSignal::Tstp => Signal::SIGTSTP,
        };
        signal as i32
    }
}

/// `unix_signal` hooks may remap only the signals the master listens to.
pub fn check_hooked(actions: &[(i32, crate::hooks::SignalAction)]) -> Result<(), String> {
    use MasterSignal::*;
    let known: Vec<i32> = [Term, Int, Quit, Hup, Usr1, Ttin, Ttou, Tstp]
        .into_iter()
        .map(MasterSignal::number)
        .collect();
    match actions.iter().find(|(n, _)| !known.contains(n)) {
        Some((n, _)) => Err(format!(
            "hook unix_signal:{n}: uwsgid's master handles signals {known:?} (TERM, INT, QUIT, HUP, USR1, TTIN, TTOU, TSTP) only"
        )),
        None => Ok(()),
    }
}

/// The master's signal streams.
pub type Signals = SignalSet<MasterSignal>;

/// Installs the master's handlers, stop requests first: when several are
/// pending, a dying worker is not respawned just before the stop. TTIN,
/// TTOU and TSTP are caught too: their default action would suspend the
/// master.
pub fn install() -> std::io::Result<Signals> {
    SignalSet::install(&[
        (SignalKind::terminate(), MasterSignal::Term),
        (SignalKind::interrupt(), MasterSignal::Int),
        (SignalKind::quit(), MasterSignal::Quit),
        (SignalKind::hangup(), MasterSignal::Hup),
        (SignalKind::child(), MasterSignal::Child),
        (SignalKind::user_defined1(), MasterSignal::Usr1),
        (kind(Signal::SIGTTIN), MasterSignal::Ttin),
        (kind(Signal::SIGTTOU), MasterSignal::Ttou),
        (kind(Signal::SIGTSTP), MasterSignal::Tstp),
    ])
}
