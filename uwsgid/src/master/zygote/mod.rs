//! The app's zygotes as the master sees them: the current one (which forks
//! this generation's workers), its restart schedule, and the retired ones
//! (of past generations, or of a failed reload) until they are reaped.
//! - `link.rs`: the master's end of a zygote's two pipes;
//! - `life.rs`: the master's handlers: start, reports, death.

mod life;
pub(super) mod link;

use std::time::{Duration, Instant};

use nix::unistd::Pid;

use crate::backoff::{Backoff, WORKER_RESPAWN};
use crate::contract::zygote_lines::ZygoteCommand;
use link::ZygoteLink;

/// Every zygote of the app and what the master decided about them.
#[derive(Debug)]
pub struct Zygotes {
    /// The zygote of the current generation, while it runs.
    pub current: Option<ZygoteLink>,
    backoff: Backoff,
    /// When the current zygote is to be started again after a death.
    restart_at: Option<Instant>,
    /// Whether any zygote of this app imported the app: until then a
    /// zygote's death is fatal (the app cannot load), after it a restart.
    ever_ready: bool,
    /// Zygotes of past generations (or of a failed reload), until reaped.
    retired: Vec<ZygoteLink>,
}

impl Default for Zygotes {
    fn default() -> Zygotes {
        Zygotes {
            current: None,
            backoff: Backoff::new(WORKER_RESPAWN),
            restart_at: None,
            ever_ready: false,
            retired: Vec::new(),
        }
    }
}

impl Zygotes {
    /// Whether `pid` is the current zygote.
    pub fn is_current(&self, pid: Pid) -> bool {
        self.current.as_ref().is_some_and(|z| z.pid == pid)
    }

    /// Whether `pid` is a retired zygote.
    pub fn is_retired(&self, pid: Pid) -> bool {
        self.retired.iter().any(|z| z.pid == pid)
    }

    /// Removes and returns the retired zygote `pid`.
    pub fn take_retired(&mut self, pid: Pid) -> Option<ZygoteLink> {
        let at = self.retired.iter().position(|z| z.pid == pid)?;
        Some(self.retired.remove(at))
    }

    /// Closes the command pipe of `link` (the zygote exits at EOF; births it
    /// still reports are read at its exit) and keeps it until it is reaped.
    pub fn retire(&mut self, mut link: ZygoteLink) {
        link.close_commands();
        self.retired.push(link);
    }

    /// The pids of every zygote, current and retired.
    pub fn pids(&self) -> impl Iterator<Item = Pid> + '_ {
        self.current.iter().chain(&self.retired).map(|z| z.pid)
    }

    /// Whether a zygote ever imported the app.
    pub fn ever_ready(&self) -> bool {
        self.ever_ready
    }

    /// A zygote was started: it is the current one.
    pub fn started(&mut self, link: ZygoteLink) {
        self.restart_at = None;
        self.current = Some(link);
    }

    /// The current zygote reported `ready`; returns it.
    pub fn mark_ready(&mut self) -> Option<&ZygoteLink> {
        let link = self.current.as_mut()?;
        link.ready = true;
        self.ever_ready = true;
        Some(link)
    }

    /// Asks the current zygote, if it is ready, for a worker; false when it
    /// could not be asked (it is starting, or gone).
    pub fn request(&mut self, id: u32, generation: u64) -> bool {
        match self.current.as_mut() {
            Some(link) if link.ready => link.send(ZygoteCommand::Spawn { id, generation }).is_ok(),
            _ => false,
        }
    }

    /// A zygote died (or could not start) after living `lived`: how long
    /// until the next one.
    pub fn backoff(&mut self, lived: Duration) -> Duration {
        self.backoff.on_death(lived)
    }

    /// Starts the next zygote at `at`.
    pub fn schedule_restart(&mut self, at: Instant) {
        self.restart_at = Some(at);
    }

    /// When the next zygote is due, if one is waiting.
    pub fn restart_at(&self) -> Option<Instant> {
        self.restart_at
    }

    /// No zygote is to be started any more (the app is stopping).
    pub fn cancel_restart(&mut self) {
        self.restart_at = None;
    }

    /// A reload's new generation took over with `new` (`None` with
    /// `lazy-apps`): it becomes the current zygote, the old one retires.
    pub fn take_over(&mut self, new: Option<ZygoteLink>) {
        self.restart_at = None;
        self.ever_ready = true;
        if let Some(new) = new
            && let Some(old) = self.current.replace(new)
        {
            self.retire(old);
        }
    }
}
