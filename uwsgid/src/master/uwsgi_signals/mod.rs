//! uWSGI signals, served by the master (`uwsgi.register_signal`,
//! `uwsgi.signal`, timers, crons and file monitors).
//!
//! The children talk to the master over one socket pair
//! (`crate::contract::uwsgi_signals`): registrations, timers and raised
//! signals come in with the sender's pid, so the master knows which
//! generation each belongs to (`route.rs`). Each generation has its table:
//! where each signal goes (its target) and its timers. Only the serving
//! generation's timers fire, so a reload whose new zygote adds the same
//! timers again never doubles them: the old generation's table goes when
//! its workers stop serving. Timers from the ini (`timer`, `rbtimer`,
//! `touch-signal`, `fs-signal`) belong to the master and fire across
//! reloads.
//!
//! A worker that has handlers sends a `hello` with the write end of its
//! own pipe; the master writes one byte per signal into it (uWSGI's
//! per-worker signal pipe), and the worker runs the handler
//! (`worker/wsgi/uwsgi_module/signal_thread.rs`). Every mule says hello as
//! a mule, so the mule targets reach it (`mules.rs`).

pub(in crate::master) mod cron;
mod mules;
mod route;
mod schedule;

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

pub use schedule::{Timer, Trigger};

use super::sockets::move_high;
use crate::config::AppConfig;
use crate::contract::uwsgi_signals::{self, ToMaster};
use crate::log::log_line;

/// uWSGI's limit on each kind of timer (`you can register max 64 timers`).
const MAX_TIMERS: usize = 64;

/// The socket pair, made before the first child and kept for the
/// master's life: `(master end, child end)`.
fn pair() -> Option<&'static (OwnedFd, OwnedFd)> {
    static PAIR: OnceLock<Option<(OwnedFd, OwnedFd)>> = OnceLock::new();
    PAIR.get_or_init(|| {
        let made = uwsgi_signals::create().and_then(|(master, child)| {
            let high = |fd| move_high(fd).map_err(io::Error::other);
            Ok((high(master)?, high(child)?))
        });
        made.map_err(|err| log_line!("cannot create the uWSGI signal socket: {err}"))
            .ok()
    })
    .as_ref()
}

/// The end every child inherits (`master/spawn.rs`).
pub fn child_end() -> Option<BorrowedFd<'static>> {
    pair().map(|(_, child)| std::os::fd::AsFd::as_fd(child))
}

/// One message from a child.
#[derive(Debug)]
pub struct Received {
    /// The sender, as the kernel vouches for it.
    pub pid: i32,
    pub message: Option<ToMaster>,
    /// The text, for the log when it is not understood.
    pub text: String,
    /// A `hello`'s pipe.
    pub pipe: Option<OwnedFd>,
}

/// A worker's or a mule's pipe: signals for it are written there.
#[derive(Debug)]
struct Channel {
    pid: i32,
    /// The worker's id; 0 for a mule.
    wid: u32,
    /// The mule's id; 0 for a worker.
    mule: u32,
    pipe: OwnedFd,
}

/// One generation's signals.
#[derive(Debug, Default)]
struct Table {
    generation: u64,
    targets: HashMap<u8, String>,
    timers: Vec<Timer>,
}

/// The master's part (`AppMaster::uwsgi_signals`).
#[derive(Debug, Default)]
pub struct SignalHub {
    socket: Option<AsyncFd<BorrowedFd<'static>>>,
    /// Timers from the ini: the master's own, kept across reloads.
    own_timers: Vec<Timer>,
    tables: Vec<Table>,
    channels: Vec<Channel>,
    /// Signals for the spooler raised before any spooler process said
    /// hello (they import the app first): handed to the first one that
    /// does, as uWSGI's spooler pipe, made before the fork, holds them.
    spooler_backlog: Vec<u8>,
    /// The mule that took the last signal meant for any mule.
    last_mule: u32,
}

impl SignalHub {
    /// Makes the socket pair (before any child is spawned) and the ini's
    /// timers.
    pub fn new(cfg: &AppConfig) -> SignalHub {
        let _ = pair();
        let now = Instant::now();
        let own_timers: Vec<Timer> = cfg
            .signal_timers
            .iter()
            .map(|t| {
                let every = Duration::from_secs(t.seconds);
                let trigger = if t.red_black {
                    Trigger::RedBlack {
                        every,
                        iterations: 0,
                        done: 0,
                    }
                } else {
                    Trigger::Every(every)
                };
                Timer::new(t.signal, trigger, now)
            })
            .chain(cfg.file_signals.iter().map(|f| {
                let trigger = Trigger::FileMonitor {
                    path: f.path.clone(),
                    seen: None,
                };
                Timer::new(f.signal, trigger, now)
            }))
            .collect();
        SignalHub {
            own_timers,
            ..SignalHub::default()
        }
    }

    /// The next message from a child; never, without the socket.
    pub async fn next(&mut self) -> Received {
        if self.socket.is_none()
            && let Some((master, _)) = pair()
        {
            let fd = std::os::fd::AsFd::as_fd(master);
            // SAFETY: the descriptor lives as long as the process (`pair`
            // never drops it) and is registered once.
            match unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) } {
                Ok(socket) => self.socket = Some(socket),
                Err(err) => log_line!("cannot watch the uWSGI signal socket: {err}"),
            }
        }
        let Some(socket) = self.socket.as_ref() else {
            return std::future::pending().await;
        };
        loop {
            let Ok(mut ready) = socket.readable().await else {
                return std::future::pending().await;
            };
            match ready.try_io(|fd| receive(fd.get_ref().as_raw_fd())) {
                Ok(Ok(received)) => return received,
                Ok(Err(err)) => {
                    log_line!("cannot read the uWSGI signal socket: {err}");
                    // Wait for the next readiness rather than spin on the error.
                    ready.clear_ready();
                }
                Err(_would_block) => {}
            }
        }
    }

    /// The table of `generation`, made when first needed.
    fn table(&mut self, generation: u64) -> &mut Table {
        let at = match self.tables.iter().position(|t| t.generation == generation) {
            Some(at) => at,
            None => {
                self.tables.push(Table {
                    generation,
                    ..Table::default()
                });
                self.tables.len() - 1
            }
        };
        &mut self.tables[at]
    }

    /// Adds a timer to `generation`'s table, once.
    fn add_timer(&mut self, generation: u64, signal: u8, trigger: Trigger) {
        let table = self.table(generation);
        if table.timers.iter().any(|t| t.same_as(signal, &trigger)) {
            return;
        }
        let kind = std::mem::discriminant(&trigger);
        let same_kind = table
            .timers
            .iter()
            .filter(|t| std::mem::discriminant(&t.trigger) == kind)
            .count();
        if same_kind >= MAX_TIMERS {
            log_line!("you can register max {MAX_TIMERS} timers !!!");
            return;
        }
        table
            .timers
            .push(Timer::new(signal, trigger, Instant::now()));
    }

    /// Forgets the tables of generations that no longer serve nor start.
    fn keep_generations(&mut self, keep: &[u64]) {
        self.tables.retain(|t| keep.contains(&t.generation));
    }

    pub fn next_wake(&self, serving: u64) -> Option<Instant> {
        let table = self.tables.iter().find(|t| t.generation == serving);
        self.own_timers
            .iter()
            .chain(table.into_iter().flat_map(|t| t.timers.iter()))
            .filter_map(Timer::next_wake)
            .min()
    }

    /// The signals due now, from the master's timers and `serving`'s
    /// (with whether a cron raised it: uWSGI logs those).
    fn due(&mut self, serving: u64, now: Instant) -> Vec<(u8, bool)> {
        let own = self.own_timers.iter_mut();
        let table = self.tables.iter_mut().find(|t| t.generation == serving);
        own.chain(table.into_iter().flat_map(|t| t.timers.iter_mut()))
            .filter_map(|t| {
                let cron = matches!(t.trigger, Trigger::Cron { .. });
                t.fire(now).then_some((t.signal, cron))
            })
            .collect()
    }

    /// Where `signal` goes in `generation` ("" = the default, a worker).
    fn target(&self, generation: u64, signal: u8) -> &str {
        self.tables
            .iter()
            .find(|t| t.generation == generation)
            .and_then(|t| t.targets.get(&signal))
            .map_or("", String::as_str)
    }
}

/// Reads one message with its sender's pid (and a pipe).
fn receive(fd: RawFd) -> io::Result<Received> {
    let packet = uwsgi_signals::receive(fd)?;
    Ok(Received {
        pid: packet.pid,
        message: ToMaster::parse(&packet.text),
        text: packet.text,
        pipe: packet.fd,
    })
}
