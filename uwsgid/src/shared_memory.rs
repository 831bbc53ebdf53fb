//! The shared memory a master makes before any child (the scoreboard, the
//! caches, the sharedareas): a memfd, mapped `MAP_SHARED` by the master and
//! by every child it passes the descriptor to. [`Mapping`] is one such
//! memory: its creator keeps the descriptor to pass on; a child maps the
//! one it inherited and closes it.

use std::ffi::CStr;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;

use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};

/// Why a shared memory could not be made or mapped. Its owner names it.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("memfd_create(): {0}")]
    Create(std::io::Error),
    #[error("cannot size it: {0}")]
    Size(std::io::Error),
    #[error("cannot map it: {0}")]
    Map(nix::Error),
    #[error("its descriptor holds {0} bytes, {1} expected")]
    WrongSize(u64, usize),
}

/// A memfd mapped shared and writable, unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    base: NonNull<u8>,
    len: NonZeroUsize,
    /// The creator's, passed to each child; a child closes its copy.
    fd: Option<OwnedFd>,
}

// SAFETY: the mapping is plain shared memory; what its owners keep in it
// (atomics, or bytes under their own locks) decides how it is accessed.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// A new memfd named `name`, `len` bytes of zeroes (pages are
    /// allocated on first write), mapped; the descriptor is kept.
    pub fn create(name: &CStr, len: usize) -> Result<Mapping, MappingError> {
        let size = NonZeroUsize::new(len).ok_or(MappingError::WrongSize(0, len))?;
        // SAFETY: `name` is a NUL-terminated string.
        let raw = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(MappingError::Create(std::io::Error::last_os_error()));
        }
        // SAFETY: memfd_create returned a new descriptor that nothing else owns.
        let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(raw) });
        file.set_len(len as u64).map_err(MappingError::Size)?;
        let fd = OwnedFd::from(file);
        let base = map(&fd, size)?;
        Ok(Mapping {
            base,
            len: size,
            fd: Some(fd),
        })
    }

    /// Maps the memory a parent passed as `fd`, which must hold `len`
    /// bytes, and closes the descriptor (the mapping outlives it).
    pub fn inherit(fd: OwnedFd, len: usize) -> Result<Mapping, MappingError> {
        let file = std::fs::File::from(fd);
        let held = file.metadata().map_err(MappingError::Size)?.len();
        let size = NonZeroUsize::new(len).ok_or(MappingError::WrongSize(held, len))?;
        if held != len as u64 {
            return Err(MappingError::WrongSize(held, len));
        }
        let base = map(&OwnedFd::from(file), size)?;
        Ok(Mapping {
            base,
            len: size,
            fd: None,
        })
    }

    /// The first byte.
    pub fn base(&self) -> NonNull<u8> {
        self.base
    }

    /// The descriptor, to pass to a child (the creator's only).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(AsFd::as_fd)
    }

    /// Moves the descriptor to one at or above `min` (close-on-exec), out
    /// of the range children's descriptors are placed in.
    pub fn relocate_fd(&mut self, min: RawFd) -> std::io::Result<()> {
        if let Some(fd) = &self.fd {
            let moved = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(min))
                .map_err(std::io::Error::from)?;
            // SAFETY: F_DUPFD_CLOEXEC returned a new descriptor nothing else owns.
            self.fd = Some(unsafe { OwnedFd::from_raw_fd(moved) });
        }
        Ok(())
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: mapped by `map` with this length; whoever holds pointers
        // into it holds the mapping too.
        let _ = unsafe { munmap(self.base.cast(), self.len.get()) };
    }
}

/// Maps `len` bytes of `fd`, shared and writable.
fn map(fd: &OwnedFd, len: NonZeroUsize) -> Result<NonNull<u8>, MappingError> {
    // SAFETY: a fresh shared mapping of a descriptor the caller owns;
    // nothing else in this process refers to that address range.
    let ptr = unsafe {
        mmap(
            None,
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
            fd,
            0,
        )
    };
    ptr.map(NonNull::cast).map_err(MappingError::Map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_maps_what_the_creator_wrote_and_checks_its_size() {
        let mut made = Mapping::create(c"test", 8192).expect("made");
        made.relocate_fd(100).expect("moved");
        // SAFETY: 8192 bytes are mapped.
        unsafe { made.base().add(8191).write(7) };
        let copy = || {
            made.fd()
                .expect("the creator's")
                .try_clone_to_owned()
                .expect("dup")
        };
        let child = Mapping::inherit(copy(), 8192).expect("mapped");
        // SAFETY: as above.
        assert_eq!(unsafe { child.base().add(8191).read() }, 7);
        assert!(child.fd().is_none());
        assert!(matches!(
            Mapping::inherit(copy(), 4096),
            Err(MappingError::WrongSize(8192, 4096))
        ));
        assert!(Mapping::create(c"empty", 0).is_err());
    }
}
