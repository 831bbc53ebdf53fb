//! Static files (`static-map`, `static-map2`, `check-static` and their
//! options), served by the worker without entering Python, as uWSGI's
//! `core/static.c` serves them: before a request reaches a Python thread,
//! its PATH_INFO is looked up under every `check-static` root, then every
//! `static-map` and `static-map2` whose prefix it starts with, in
//! configuration order; the first regular file found (a directory's
//! `static-index` file) is answered, anything else (a missing file, a
//! directory without index, a method other than GET and HEAD, a file
//! outside its root) goes on to the app.
//!
//! - `mod.rs`: the lookup, one `open` per candidate (a miss costs that
//!   alone; a hit adds one `readlink` of `/proc/self/fd/N` for the real
//!   path and one `fstat`);
//! - `mime.rs`, `expires.rs`, `range.rs`: the mime table, HTTP dates and
//!   `static-expires*`, `Range`;
//! - `answer.rs`: the status and headers of a hit;
//! - `send.rs`: the body, with `sendfile(2)` on uwsgi connections and in
//!   chunks through hyper on HTTP ones, and the request log line.
//!
//! A configuration without maps pays one check of three empty lists per
//! request ([`find`]); the tables are built on a worker's first request.

mod answer;
mod expires;
mod mime;
mod range;
mod send;
mod variant;

use std::borrow::Cow;
use std::ffi::OsString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use send::{SendFile, answer_http, send_uwsgi, spawn_uwsgi};

use crate::config::StaticFiles;
use crate::log::log_line;
use crate::protocol::mounts;
use crate::protocol::request::RequestHead;
use crate::worker::runtime::context::WorkerCtx;

/// A file found for a request, open.
#[derive(Debug)]
pub struct Found {
    pub file: File,
    pub size: u64,
    pub mtime: i64,
    /// The resolved path: its name gives the mime type and is what
    /// `static-expires` matches.
    pub real: PathBuf,
    /// Served from a precompressed sibling (`variant.rs`): its encoding and
    /// its path (which `static-expires` matches then, as in uWSGI).
    pub encoded: Option<(&'static str, PathBuf)>,
}

/// A document root: resolved once, as uWSGI resolves it on first use.
struct Root {
    prefix: String,
    /// The `realpath` of the directory (or file); `None` when it does not
    /// resolve (never looked in, as uWSGI).
    real: Option<PathBuf>,
    is_file: bool,
}

impl Root {
    fn new(prefix: &str, dir: &Path) -> Root {
        let real = match std::fs::canonicalize(dir) {
            Ok(real) => Some(real),
            Err(err) => {
                log_line!(
                    "[uwsgi-static] {} cannot be resolved ({err}): not looked in",
                    dir.display()
                );
                None
            }
        };
        let is_file = real.as_ref().is_some_and(|r| r.is_file());
        Root {
            prefix: prefix.to_owned(),
            real,
            is_file,
        }
    }
}

/// The worker's static-file tables.
pub struct Server {
    check: Vec<Root>,
    maps: Vec<Root>,
    maps2: Vec<Root>,
    index: Vec<String>,
    skip_ext: Vec<String>,
    safe: Vec<String>,
    expires: expires::Rules,
    mime: mime::MimeTable,
    honour_range: bool,
    gzip: crate::config::GzipRules,
    serve_mode: crate::config::ServeMode,
}

impl Server {
    /// Resolves the roots and reads the mime tables (logged as uWSGI
    /// logs them).
    pub fn new(cfg: &StaticFiles) -> Server {
        let (mime, notes) = mime::MimeTable::load(&cfg.mime_tables());
        for note in notes {
            log_line!("{note}");
        }
        Server {
            check: cfg.check.iter().map(|d| Root::new("", d)).collect(),
            maps: cfg
                .maps
                .iter()
                .map(|m| Root::new(&m.prefix, &m.dir))
                .collect(),
            maps2: cfg
                .maps2
                .iter()
                .map(|m| Root::new(&m.prefix, &m.dir))
                .collect(),
            index: cfg.index.clone(),
            skip_ext: cfg.skip_ext.clone(),
            safe: cfg.safe.clone(),
            expires: expires::Rules::new(&cfg.expires),
            mime,
            honour_range: cfg.honour_range,
            gzip: cfg.gzip.clone(),
            serve_mode: cfg.serve_mode,
        }
    }

    /// The file a request names, if it is one to serve.
    /// `cut`: the bytes of `PATH_INFO` that `manage-script-name` makes
    /// the mountpoint (maps apply to what follows, as in uWSGI).
    pub fn find(&self, head: &RequestHead, cut: usize) -> Option<Found> {
        let method = head.get("REQUEST_METHOD")?;
        if method != "GET" && method != "HEAD" {
            return None;
        }
        let path = latin1(head.get("PATH_INFO")?.get(cut..)?);
        if self.skips(&path) {
            return None;
        }
        let candidates = self
            .check
            .iter()
            .map(|root| (root, &path[..]))
            .chain(
                self.maps
                    .iter()
                    .filter(|m| path.starts_with(m.prefix.as_bytes()))
                    .map(|m| (m, &path[m.prefix.len()..])),
            )
            .chain(
                self.maps2
                    .iter()
                    .filter(|m| path.starts_with(m.prefix.as_bytes()))
                    .map(|m| (m, &path[..])),
            );
        let accept = head.get("HTTP_ACCEPT_ENCODING").unwrap_or("");
        candidates
            .filter_map(|(root, rest)| Some((root.real.as_deref()?, root.is_file, rest)))
            .find_map(|(real, is_file, rest)| self.look(real, is_file, rest, accept))
    }

    /// `static-skip-ext`: a suffix of the name never served.
    fn skips(&self, name: &[u8]) -> bool {
        self.skip_ext
            .iter()
            .any(|ext| name.ends_with(ext.as_bytes()))
    }

    /// The file `rest` names under `root` (the root itself when it is a
    /// file), or a directory's index file.
    fn look(&self, root: &Path, is_file: bool, rest: &[u8], accept: &str) -> Option<Found> {
        let candidate: Cow<'_, Path> = if is_file {
            Cow::Borrowed(root)
        } else {
            let mut name = Vec::with_capacity(root.as_os_str().len() + 1 + rest.len());
            name.extend_from_slice(root.as_os_str().as_bytes());
            name.push(b'/');
            name.extend_from_slice(rest);
            Cow::Owned(PathBuf::from(OsString::from_vec(name)))
        };
        let (file, real, meta) = self.open_under(root, &candidate)?;
        let (file, real, meta) = if meta.is_dir() {
            self.index.iter().find_map(|index| {
                let (file, real, meta) = self.open_under(root, &real.join(index))?;
                meta.is_file().then_some((file, real, meta))
            })?
        } else {
            (file, real, meta)
        };
        if !meta.is_file() || self.skips(real.as_os_str().as_bytes()) {
            return None;
        }
        let dir = if is_file {
            root.parent().unwrap_or(root)
        } else {
            root
        };
        if let Some(v) = self.variant(dir, &real, accept) {
            return Some(Found {
                file: v.file,
                size: v.meta.len(),
                mtime: v.meta.mtime(),
                real,
                encoded: Some((v.encoding, v.real)),
            });
        }
        Some(Found {
            file,
            size: meta.len(),
            mtime: meta.mtime(),
            real,
            encoded: None,
        })
    }

    /// Opens `name` and checks that its real path lies under `root` (or a
    /// `static-safe` prefix): a `..` or a symlink out of the root is
    /// refused with uWSGI's log line.
    fn open_under(&self, root: &Path, name: &Path) -> Option<(File, PathBuf, std::fs::Metadata)> {
        // Non-blocking: opening a FIFO must not hang the worker.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(name)
            .ok()?;
        let real = real_path(&file, name)?;
        let inside = real == root || real.starts_with(root);
        let safe = || {
            self.safe
                .iter()
                .any(|s| real.as_os_str().as_bytes().starts_with(s.as_bytes()))
        };
        if !inside && !safe() {
            log_line!(
                "[uwsgi-fileserve] security error: {} is not under {} or a safe path",
                real.display(),
                root.display()
            );
            return None;
        }
        let meta = file.metadata().ok()?;
        Some((file, real, meta))
    }
}

/// The real path of an open file: `/proc/self/fd/N`, else `realpath`.
fn real_path(file: &File, name: &Path) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .or_else(|_| std::fs::canonicalize(name))
        .ok()
}

/// PATH_INFO's bytes (a latin-1 native string, one char per byte).
fn latin1(s: &str) -> Cow<'_, [u8]> {
    if s.is_ascii() {
        Cow::Borrowed(s.as_bytes())
    } else {
        Cow::Owned(s.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect())
    }
}

/// The worker's tables, built on first use.
fn server(cfg: &StaticFiles) -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| Server::new(cfg))
}

/// The static file a request names, when the configuration has maps: an
/// app request on a configuration without them pays this check alone.
#[inline]
pub fn find(ctx: &WorkerCtx, head: &RequestHead) -> Option<Found> {
    let cfg = &ctx.cfg.static_files;
    if !cfg.is_active() {
        return None;
    }
    let cut = match (ctx.cfg.manage_script_name, head.get("PATH_INFO")) {
        (true, Some(path)) => {
            mounts::managed_cut(path, ctx.cfg.mounts.iter().map(|(m, _)| m.as_str()))
        }
        _ => 0,
    };
    server(cfg).find(head, cut)
}

#[cfg(test)]
mod tests;
