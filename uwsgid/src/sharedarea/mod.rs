//! uWSGI's shared memory areas (`sharedarea`): raw bytes every process of
//! the app reads and writes through the `uwsgi` module's `sharedarea_*`
//! functions, as in uWSGI 2.0.31's `core/sharedarea.c`.
//!
//! The master makes one memfd for all of them before any child and passes
//! the descriptor after the caches' (`crate::contract::child_env`). It
//! starts with one page of headers, 64 bytes per area (its lock, a
//! `crate::shared_lock` word, and its update and read counters), then
//! each area, page-aligned. A worker's respawn and a reload keep the
//! contents.

mod area;

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use crate::config::{SHAREDAREA_PAGE, SharedAreaSpec};
use crate::shared_memory::{Mapping, MappingError};
pub use area::{Area, Header};

#[derive(Debug, thiserror::Error)]
pub enum SharedAreaError {
    #[error("the sharedareas: {0}")]
    Memory(#[from] MappingError),
    #[error("the sharedareas do not fit in the address space")]
    TooBig,
}

/// Every area of the app, in one mapping.
pub struct SharedAreas {
    /// Declared first, dropped first: the areas point into `memory`.
    areas: Vec<Area>,
    memory: Mapping,
}

/// Where each area starts, and the mapping's size.
fn layout(specs: &[SharedAreaSpec]) -> Option<(Vec<(usize, usize)>, usize)> {
    let page = usize::try_from(SHAREDAREA_PAGE).ok()?;
    let headers = (specs.len() * size_of::<Header>()).div_ceil(page) * page;
    let mut at = headers;
    let mut places = Vec::with_capacity(specs.len());
    for spec in specs {
        let len = usize::try_from(spec.pages).ok()?.checked_mul(page)?;
        places.push((at, len));
        at = at.checked_add(len)?;
    }
    Some((places, at))
}

impl SharedAreas {
    /// Creates the areas (in the master, before any child), zeroed.
    pub fn create(specs: &[SharedAreaSpec]) -> Result<SharedAreas, SharedAreaError> {
        let (_, size) = layout(specs).ok_or(SharedAreaError::TooBig)?;
        SharedAreas::place(Mapping::create(c"uwsgid-sharedareas", size)?, specs)
    }

    /// Maps the areas the master passed down, and closes the descriptor.
    pub fn from_fd(fd: OwnedFd, specs: &[SharedAreaSpec]) -> Result<SharedAreas, SharedAreaError> {
        let (_, size) = layout(specs).ok_or(SharedAreaError::TooBig)?;
        SharedAreas::place(Mapping::inherit(fd, size)?, specs)
    }

    /// Each area in `memory`, which `layout` sized.
    fn place(memory: Mapping, specs: &[SharedAreaSpec]) -> Result<SharedAreas, SharedAreaError> {
        let (places, _) = layout(specs).ok_or(SharedAreaError::TooBig)?;
        let base = memory.base();
        let areas = places
            .iter()
            .enumerate()
            .map(|(i, &(at, len))| {
                // SAFETY: the headers sit in the first page(s) and each area
                // inside the mapping, as `layout` placed them; the mapping
                // lives as long as the areas (both owned here, the areas
                // dropped first).
                unsafe {
                    let header = base.add(i * size_of::<Header>()).cast::<Header>();
                    Area::new(header, base.add(at), len)
                }
            })
            .collect();
        Ok(SharedAreas { areas, memory })
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

    /// Area `id`, if there is one.
    pub fn get(&self, id: i64) -> Option<&Area> {
        self.areas.get(usize::try_from(id).ok()?)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Area> {
        self.areas.iter()
    }
}

static AREAS: OnceLock<SharedAreas> = OnceLock::new();

/// Makes `areas` this process's, once.
pub fn install(areas: SharedAreas) -> &'static SharedAreas {
    AREAS.get_or_init(|| areas)
}

/// The areas, once installed (None: the app has none).
pub fn installed() -> Option<&'static SharedAreas> {
    AREAS.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_follow_the_header_page_each_page_aligned() {
        let specs = [SharedAreaSpec { pages: 1 }, SharedAreaSpec { pages: 3 }];
        let (places, size) = layout(&specs).expect("fits");
        assert_eq!(places, [(4096, 4096), (8192, 12288)]);
        assert_eq!(size, 20480);
    }

    #[test]
    fn a_child_sees_what_the_master_wrote() {
        let specs = [SharedAreaSpec { pages: 1 }, SharedAreaSpec { pages: 2 }];
        let master = SharedAreas::create(&specs).expect("created");
        assert!(master.get(1).expect("area 1").write(8190, b"hi"));
        let fd = master
            .fd()
            .expect("the master's")
            .try_clone_to_owned()
            .expect("dup");
        let child = SharedAreas::from_fd(fd, &specs).expect("mapped");
        assert_eq!(
            child.get(1).and_then(|a| a.read(8190, 2)),
            Some(b"hi".to_vec())
        );
        assert!(child.get(2).is_none() && child.get(-1).is_none());
        let wrong = master
            .fd()
            .expect("the master's")
            .try_clone_to_owned()
            .expect("dup");
        assert!(SharedAreas::from_fd(wrong, &specs[..1]).is_err());
    }
}
