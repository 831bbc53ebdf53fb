//! uWSGI's stats server (`stats = ADDRESS`, `stats-http`): on every
//! connection the master writes one JSON object (`json.rs`) and closes;
//! with `stats-http` it first reads the request and answers as an HTTP
//! server. The address is a unix path, `@abstract`, `host:port` or
//! `:port`; it is bound with the app's sockets, and `vacuum` removes a
//! unix one.
//!
//! The figures come from the event loop (a [`Command::Stats`]), memory
//! from `/proc` afterwards, so a slow client never holds the loop.

mod json;
pub(super) mod queue;
mod usr1_log;

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};
use tokio_stream::{Stream, StreamExt};

use super::control::command::Command;
use super::event_loop::AppMaster;
use super::sockets::{self, BoundAddr, SocketFile};
use super::views::WorkerView;
use crate::config::{AppConfig, ListenSpec, Protocol};
use crate::log::log_line;
use crate::procmem;

/// How long an HTTP client gets to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of a request read (the answer never depends on it).
const MAX_REQUEST: usize = 8 * 1024;

/// What the event loop hands the stats server.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The current generation's worker slots, as uWSGI lists its workers.
    pub workers: Vec<WorkerView>,
    pub sockets: Vec<SocketStats>,
    pub chdir: String,
    /// Attached daemons, in config order.
    pub daemons: Vec<uwsgid_proto::v1::DaemonStatus>,
}

/// One listen socket's figures.
#[derive(Debug, Clone)]
pub struct SocketStats {
    pub name: String,
    pub proto: &'static str,
    pub queue: u64,
    pub max_queue: u64,
}

/// The bound stats socket.
#[derive(Debug)]
pub struct StatsServer {
    fd: OwnedFd,
    unix: bool,
    http: bool,
    /// The socket file, for vacuum.
    pub file: Option<SocketFile>,
}

/// Binds the stats socket of `cfg`, if it has one.
pub fn bind(cfg: &AppConfig) -> anyhow::Result<Option<StatsServer>> {
    let Some(raw) = &cfg.stats else {
        return Ok(None);
    };
    let address = crate::config::parse_addr(raw)
        .map_err(|e| anyhow::anyhow!("invalid stats address {raw:?}: {e}"))?;
    let spec = ListenSpec {
        protocol: Protocol::Http,
        address,
        option: "stats".into(),
        raw: raw.clone(),
    };
    let socket = sockets::bind_one(&spec, cfg.listen)
        .with_context(|| format!("unable to create the stats server on {raw}"))?;
    let unix = !matches!(socket.bound, BoundAddr::Tcp(_));
    log_line!("*** Stats server enabled on {} ***", socket.bound);
    Ok(Some(StatsServer {
        fd: socket.fd,
        unix,
        http: cfg.stats_http,
        file: socket.file,
    }))
}

impl StatsServer {
    /// Serves as a task of the current runtime until the master exits.
    pub fn spawn(self, commands: mpsc::Sender<Command>) -> anyhow::Result<()> {
        let http = self.http;
        if self.unix {
            let std = std::os::unix::net::UnixListener::from(self.fd);
            std.set_nonblocking(true)?;
            let incoming = UnixListenerStream::new(tokio::net::UnixListener::from_std(std)?);
            tokio::spawn(serve(incoming, http, commands));
        } else {
            let std = std::net::TcpListener::from(self.fd);
            std.set_nonblocking(true)?;
            let incoming = TcpListenerStream::new(tokio::net::TcpListener::from_std(std)?);
            tokio::spawn(serve(incoming, http, commands));
        }
        Ok(())
    }
}

/// Answers every connection of `incoming`, each in a task of its own.
async fn serve<S>(
    mut incoming: impl Stream<Item = std::io::Result<S>> + Unpin,
    http: bool,
    commands: mpsc::Sender<Command>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    while let Some(conn) = incoming.next().await {
        match conn {
            Ok(conn) => {
                let commands = commands.clone();
                // A client that goes away early is its own business.
                tokio::spawn(async move { answer(conn, http, commands).await });
            }
            Err(err) => accept_failed(&err).await,
        }
    }
}

/// A failed accept (out of descriptors, …): logged, and a pause so the
/// loop does not spin on it.
async fn accept_failed(err: &std::io::Error) {
    log_line!("stats server: accept() failed: {err}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn answer<S>(mut conn: S, http: bool, commands: mpsc::Sender<Command>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if http {
        let _ = tokio::time::timeout(REQUEST_TIMEOUT, read_request(&mut conn)).await;
    }
    let (reply, snapshot) = oneshot::channel();
    if commands.send(Command::Stats { reply }).await.is_err() {
        return;
    }
    let Ok(snapshot) = snapshot.await else {
        return;
    };
    let memory = |pid: i32| procmem::read(pid, false).ok().map(|m| (m.rss, m.vsz));
    let mut out = Vec::new();
    let body = json::render(&snapshot, &memory);
    if http {
        out.extend_from_slice(
            format!(
                "HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(body.as_bytes());
    // A client that went away early is its own business.
    if conn.write_all(&out).await.is_ok() {
        let _ = conn.shutdown().await;
    }
}

/// Reads up to the end of the request head (its content is not used).
async fn read_request<S: AsyncRead + Unpin>(conn: &mut S) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while head.len() < MAX_REQUEST && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

impl AppMaster {
    /// The figures the stats server shows.
    pub(in crate::master) fn stats_snapshot(&self) -> Snapshot {
        let current = self.table.len();
        let sockets = self
            .sockets
            .iter()
            .zip(&self.cfg.sockets)
            .map(|(socket, spec)| {
                let (queue, max_queue) = queue::tcp_accept_queue(socket.fd.as_fd())
                    .unwrap_or((0, u64::from(self.cfg.listen)));
                SocketStats {
                    name: spec.raw.clone(),
                    proto: match spec.protocol {
                        Protocol::Uwsgi => "uwsgi",
                        Protocol::Http => "http",
                    },
                    queue,
                    max_queue,
                }
            })
            .collect();
        let mut workers = self.worker_views();
        workers.truncate(current);
        Snapshot {
            workers,
            sockets,
            chdir: self
                .cfg
                .chdir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            daemons: self.daemon_statuses(),
        }
    }
}
