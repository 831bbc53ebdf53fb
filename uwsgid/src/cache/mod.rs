//! The app's shared caches (uWSGI's `cache2` and `cache`): bounded
//! key-value stores in one shared mapping, read and written by every
//! worker of every generation through the `uwsgi` module's `cache_*`
//! functions.
//!
//! The master creates the mapping once, before any child (a memfd mapped
//! `MAP_SHARED`, sized `blocks × blocksize + items × keysize` per cache, fixed
//! for the master's life), and passes the descriptor to every child it
//! execs, after the scoreboard's (`crate::contract::child_env`); a
//! zygote's mapping is inherited by the workers it forks. A worker's
//! respawn and a reload keep the contents. The master sweeps expired
//! items (`sweeper.rs`) and reads the figures status shows.
//!
//! - `layout.rs`: where each part of a cache sits;
//! - `region.rs`: one cache's memory and its held lock;
//! - `blocks.rs`: the block bitmap of a `bitmap` cache;
//! - `store.rs`: uWSGI's operations (get, set, update, math, delete,
//!   clear, keys, sweep);
//! - `sweeper.rs`: the master's thread removing expired items;
//! - `preload.rs`: `add-cache-item` and `load-file-in-cache`, stored by the
//!   master at startup.

mod blocks;
mod layout;
pub mod preload;
mod region;
mod store;
pub mod sweeper;

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use crate::config::CacheSpec;
use crate::shared_memory::{Mapping, MappingError};
use layout::{Layout, header};
use region::Region;
pub use store::{MathOp, Mode};

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the caches: {0}")]
    Memory(#[from] MappingError),
    #[error("the caches do not fit in the address space")]
    TooBig,
}

/// One cache: its options and its memory.
pub struct Cache {
    pub spec: CacheSpec,
    region: Region,
}

/// Figures of one cache, for status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStats {
    pub name: String,
    pub items: u64,
    /// Items it can hold (`items - 1`, as in uWSGI).
    pub max_items: u64,
    pub blocksize: u64,
    /// Bytes reserved for it (its pages are used as written).
    pub bytes: u64,
    pub hits: u64,
    pub misses: u64,
    pub full: u64,
}

/// Every cache of the app, in one mapping.
pub struct Caches {
    /// Declared first, dropped first: the regions point into `memory`.
    caches: Vec<Cache>,
    memory: Mapping,
}

impl Caches {
    /// Creates the caches (in the master, before any child), empty.
    pub fn create(specs: &[CacheSpec]) -> Result<Caches, CacheError> {
        let size = Layout::total(specs).ok_or(CacheError::TooBig)?;
        let caches = Caches::place(Mapping::create(c"uwsgid-caches", size)?, specs)?;
        for cache in &caches.caches {
            cache.region.lock().reset();
        }
        Ok(caches)
    }

    /// Maps the caches the master passed down, and closes the descriptor.
    pub fn from_fd(fd: OwnedFd, specs: &[CacheSpec]) -> Result<Caches, CacheError> {
        let size = Layout::total(specs).ok_or(CacheError::TooBig)?;
        Caches::place(Mapping::inherit(fd, size)?, specs)
    }

    /// Each cache's region in `memory`, which `Layout::total` sized.
    fn place(memory: Mapping, specs: &[CacheSpec]) -> Result<Caches, CacheError> {
        let base = memory.base();
        let mut at = 0;
        let mut caches = Vec::with_capacity(specs.len());
        for spec in specs {
            let layout = Layout::of(spec).ok_or(CacheError::TooBig)?;
            // SAFETY: `at` is a page multiple inside the mapping, and the
            // layouts add up to its size; the mapping lives as long as the
            // regions (both owned here, the regions dropped first).
            let region = unsafe { Region::new(base.add(at), layout) };
            at += layout.size;
            caches.push(Cache {
                spec: spec.clone(),
                region,
            });
        }
        Ok(Caches { caches, memory })
    }

    /// The descriptor, to pass to a child (the master's only).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.memory.fd()
    }

    /// Moves the descriptor to one at or above `min` (close-on-exec), out
    /// of the range children's descriptors are placed in.
    pub fn relocate_fd(&mut self, min: RawFd) -> std::io::Result<()> {
        self.memory.relocate_fd(min)
    }

    /// The cache `name` names; the first one for None or "" (uWSGI's
    /// default cache).
    pub fn get(&self, name: Option<&str>) -> Option<&Cache> {
        match name {
            None | Some("") => self.caches.first(),
            Some(name) => self.caches.iter().find(|c| c.spec.name == name),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Cache> {
        self.caches.iter()
    }
}

impl Cache {
    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.region.lock().read(&self.spec, key, now())
    }

    /// uWSGI's `cache_set`/`cache_update`/math ops; false when it fails.
    pub fn set(&self, key: &[u8], value: &[u8], expires: u64, mode: Mode) -> bool {
        self.region
            .lock()
            .write(&self.spec, key, value, expires, mode, now())
    }

    pub fn exists(&self, key: &[u8]) -> bool {
        self.region.lock().find(key, now()).is_some()
    }

    pub fn delete(&self, key: &[u8]) -> bool {
        self.region.lock().delete(key, now())
    }

    pub fn clear(&self) {
        self.region.lock().clear();
    }

    pub fn keys(&self) -> Vec<Vec<u8>> {
        self.region.lock().keys(now())
    }

    /// Removes what expired; how many items.
    pub fn sweep(&self) -> u64 {
        self.region.lock().sweep(now())
    }

    pub fn stats(&self) -> CacheStats {
        let r = &self.region;
        let read = |w| r.header(w).load(std::sync::atomic::Ordering::Relaxed);
        CacheStats {
            name: self.spec.name.clone(),
            items: r.used(),
            max_items: self.spec.items.saturating_sub(1),
            blocksize: self.spec.blocksize,
            bytes: r.layout.size as u64,
            hits: read(header::HITS),
            misses: read(header::MISSES),
            full: read(header::FULL),
        }
    }
}

/// Seconds since the epoch (uWSGI's `uwsgi_now`).
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// This process's caches: the master's, or the mapping a child was passed.
static CACHES: OnceLock<Caches> = OnceLock::new();

/// Keeps the caches for the life of the process (a second call keeps the
/// first).
pub fn install(caches: Caches) -> &'static Caches {
    CACHES.get_or_init(|| caches)
}

/// The caches, once installed (None: the app has none).
pub fn installed() -> Option<&'static Caches> {
    CACHES.get()
}
