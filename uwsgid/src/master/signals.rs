//! The signals the app master acts on (uWSGI 2.1's table, plus
//! Gunicorn's scaling): SIGTERM = graceful stop, SIGINT/SIGQUIT = immediate
//! stop, SIGHUP = graceful reload, SIGUSR1 = workers' stats to the log,
//! SIGTTIN/SIGTTOU = one worker more/less, SIGCHLD = reap.

use tokio::signal::unix::{Signal, SignalKind, signal};

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
}

/// The master's signal streams. Installing them replaces the default
/// actions, so create this before any child exists.
#[derive(Debug)]
pub struct Signals {
    child: Signal,
    term: Signal,
    int: Signal,
    quit: Signal,
    hup: Signal,
    usr1: Signal,
    ttin: Signal,
    ttou: Signal,
}

impl Signals {
    /// Must run inside the tokio runtime.
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            child: signal(SignalKind::child())?,
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            hup: signal(SignalKind::hangup())?,
            usr1: signal(SignalKind::user_defined1())?,
            // Their default action would stop (suspend) the master.
            ttin: signal(SignalKind::from_raw(libc_sig(
                nix::sys::signal::Signal::SIGTTIN,
            )))?,
            ttou: signal(SignalKind::from_raw(libc_sig(
                nix::sys::signal::Signal::SIGTTOU,
            )))?,
        })
    }

    /// The next signal. Stop requests come first when several are pending,
    /// so a dying worker is not respawned just before the stop. Cancel-safe.
    pub async fn next(&mut self) -> MasterSignal {
        tokio::select! {
            biased;
            Some(()) = self.term.recv() => MasterSignal::Term,
            Some(()) = self.int.recv() => MasterSignal::Int,
            Some(()) = self.quit.recv() => MasterSignal::Quit,
            Some(()) = self.hup.recv() => MasterSignal::Hup,
            Some(()) = self.child.recv() => MasterSignal::Child,
            Some(()) = self.usr1.recv() => MasterSignal::Usr1,
            Some(()) = self.ttin.recv() => MasterSignal::Ttin,
            Some(()) = self.ttou.recv() => MasterSignal::Ttou,
            else => std::future::pending().await,
        }
    }
}

fn libc_sig(sig: nix::sys::signal::Signal) -> i32 {
    sig as i32
}
