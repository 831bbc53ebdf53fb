//! What every part of a running worker shares: configuration, the accept
//! gate, the runtime handle, the Python threads' queue, the request log,
//! whether the worker still takes connections, whether it is stuck, and
//! where it passes connections on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::{Notify, mpsc, watch};

use super::gate::Gate;
use super::handoff::Outbox;
use super::queue::JobQueue;
use crate::config::AppConfig;
use crate::log::log_line;
use crate::worker::fronts::read_ahead::{self, Budget};
use crate::worker::logging::request_log::RequestLog;

/// One worker's shared state.
pub struct WorkerCtx {
    pub cfg: Arc<AppConfig>,
    pub worker_id: u32,
    pub gate: Arc<Gate>,
    pub rt: Handle,
    /// The queue of the Python threads.
    pub jobs: JobQueue,
    pub log: RequestLog,
    /// Requests this worker has served.
    pub requests: AtomicU64,
    pub socket_timeout: Duration,
    /// The HTTP front's timeout: `http-timeout`, else `socket-timeout`.
    pub http_timeout: Duration,
    /// `add-header`, parsed once; `None` without any.
    pub extra_headers: Option<Arc<[(String, String)]>>,
    /// The `route*` table; `None` without rules.
    pub routes: Option<crate::worker::routing::Routes>,
    pub started: Instant,
    /// Set once the worker decided to retire itself (`max-requests`,
    /// `reload-on-rss`/`reload-on-as`); `retire` wakes the serve loop.
    retiring: AtomicBool,
    pub retire: Notify,
    /// Set when the worker stops gracefully (connections then answer and
    /// close).
    pub stop: watch::Sender<bool>,
    /// Cloned by every connection being served; gone once the worker
    /// stops taking connections, so the graceful stop waits for the
    /// clones alone.
    alive: Mutex<Option<mpsc::Sender<()>>>,
    /// Every Python thread has been in the same request for a while
    /// (`stuck.rs`): the worker takes no connection, and its idle
    /// keep-alive connections go to a sibling.
    pub stuck: watch::Sender<bool>,
    /// Where idle keep-alive connections go when the worker is stuck;
    /// `None` without a hand-off pair, or with `processes=1`.
    pub handoff: Option<Outbox>,
    /// What request bodies may still be read ahead of their call.
    pub read_ahead: Arc<Budget>,
}

impl WorkerCtx {
    pub fn new(
        cfg: Arc<AppConfig>,
        worker_id: u32,
        rt: Handle,
        jobs: JobQueue,
        alive: mpsc::Sender<()>,
        handoff: Option<Outbox>,
    ) -> WorkerCtx {
        let log = RequestLog::new(worker_id, &cfg);
        let threads = usize::try_from(cfg.threads).unwrap_or(1);
        WorkerCtx {
            worker_id,
            gate: Gate::new(threads),
            rt,
            jobs,
            log,
            requests: AtomicU64::new(0),
            socket_timeout: Duration::from_secs(cfg.socket_timeout.max(1)),
            http_timeout: Duration::from_secs(
                cfg.http_timeout.unwrap_or(cfg.socket_timeout).max(1),
            ),
            extra_headers: extra_headers(&cfg.add_header),
            routes: crate::worker::routing::Routes::new(&cfg.routes),
            started: Instant::now(),
            retiring: AtomicBool::new(false),
            retire: Notify::new(),
            stop: watch::Sender::new(false),
            alive: Mutex::new(Some(alive)),
            stuck: watch::Sender::new(false),
            handoff,
            read_ahead: Budget::new(read_ahead::BUDGET),
            cfg,
        }
    }

    fn alive_lock(&self) -> std::sync::MutexGuard<'_, Option<mpsc::Sender<()>>> {
        self.alive.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What a new connection holds while it is served; `None` once the
    /// worker stops or retires: it must then not accept.
    pub fn connection_token(&self) -> Option<mpsc::Sender<()>> {
        if self.retiring.load(Ordering::Acquire) {
            return None;
        }
        self.alive_lock().clone()
    }

    /// Every Python thread has been in the same request for a while.
    pub fn is_stuck(&self) -> bool {
        *self.stuck.borrow()
    }

    /// The worker still takes connections.
    pub fn is_accepting(&self) -> bool {
        !self.retiring.load(Ordering::Acquire) && self.alive_lock().is_some()
    }

    /// Stops taking connections (graceful stop): the accept loops and the
    /// polling Python threads let go of the listen sockets at once.
    pub fn stop_accepting(&self) {
        self.alive_lock().take();
        self.stop.send_replace(true);
        self.jobs.post(u64::from(self.cfg.threads.max(1)));
    }

    /// Counts a finished request; returns its number.
    pub fn count_request(&self) -> u64 {
        self.requests.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// After a request: retires the worker once it has served
    /// `max-requests` or grown past `reload-on-rss`/`reload-on-as` (uWSGI
    /// checks both in the worker, after `min-worker-lifetime`).
    pub fn check_recycle(&self, served: u64) {
        let cfg = &self.cfg;
        if self.started.elapsed() < Duration::from_secs(cfg.min_worker_lifetime) {
            return;
        }
        // `max-requests-delta` staggers the workers, as uWSGI does.
        let max_requests =
            cfg.max_requests + u64::from(self.worker_id).saturating_mul(cfg.max_requests_delta);
        let reason = if cfg.max_requests > 0 && served >= max_requests {
            Some(format!("max requests reached ({served} >= {max_requests})"))
        } else if let (Some((vsz, rss)), true) = (
            self.log.memory(),
            cfg.reload_on_rss.is_some() || cfg.reload_on_as.is_some(),
        ) {
            crate::scoreboard::worker::memory(rss, vsz);
            match (cfg.reload_on_rss, cfg.reload_on_as) {
                (Some(limit), _) if rss >= limit => {
                    Some(format!("reload-on-rss limit reached ({rss} >= {limit})"))
                }
                (_, Some(limit)) if vsz >= limit => {
                    Some(format!("reload-on-as limit reached ({vsz} >= {limit})"))
                }
                _ => None,
            }
        } else {
            None
        };
        if let Some(reason) = reason {
            self.retire_because(&reason);
        }
    }

    /// Stops accepting and finishes gracefully, to be replaced by the
    /// master (once: later reasons are ignored).
    pub fn retire_because(&self, reason: &str) {
        if !self.retiring.swap(true, Ordering::AcqRel) {
            crate::scoreboard::worker::retiring(reason);
            log_line!(
                "...The work of process {} is done ({reason}). Seeya!",
                std::process::id()
            );
            self.retire.notify_one();
        }
    }

    /// `max-worker-lifetime` (+ `max-worker-lifetime-delta` per worker id
    /// after the first, as uWSGI staggers them): how long this worker
    /// serves before it is replaced; `None` without the option.
    pub fn lifetime(&self) -> Option<Duration> {
        let base = self.cfg.max_worker_lifetime?;
        let extra =
            u64::from(self.worker_id.saturating_sub(1)) * self.cfg.max_worker_lifetime_delta;
        Some(Duration::from_secs(base.saturating_add(extra)))
    }
}

/// Resolves once the worker is stopping (the guard `wait_for` returns is
/// not `Send`, so it must not live across an await).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// `add-header = Name: value` lines as headers; a line without a colon is
/// named in the log and left out.
fn extra_headers(lines: &[String]) -> Option<Arc<[(String, String)]>> {
    let headers: Vec<(String, String)> = lines
        .iter()
        .filter_map(|line| match line.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                Some((name.trim().to_owned(), value.trim_start().to_owned()))
            }
            _ => {
                log_line!("add-header = {line}: not `Name: value`; left out");
                None
            }
        })
        .collect();
    (!headers.is_empty()).then(|| headers.into())
}
