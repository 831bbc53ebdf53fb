//! The shared memory a master makes before any child (the scoreboard, the
//! caches): a memfd, mapped `MAP_SHARED` by the master and by every child
//! it passes the descriptor to.

use std::ffi::CStr;
use std::num::NonZeroUsize;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;

use nix::sys::mman::{MapFlags, ProtFlags, mmap};

/// A new memfd named `name`, close-on-exec, `len` bytes of zeroes (pages
/// are allocated on first write).
pub fn create(name: &CStr, len: u64) -> Result<OwnedFd, MemfdError> {
    // SAFETY: `name` is a NUL-terminated string.
    let raw = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if raw < 0 {
        return Err(MemfdError::Create(std::io::Error::last_os_error()));
    }
    // SAFETY: memfd_create returned a new descriptor that nothing else owns.
    let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(raw) });
    file.set_len(len).map_err(MemfdError::Size)?;
    Ok(OwnedFd::from(file))
}

/// Why a memfd could not be made.
#[derive(Debug)]
pub enum MemfdError {
    Create(std::io::Error),
    Size(std::io::Error),
}

/// Maps `len` bytes of `fd`, shared and writable.
pub fn map(fd: &OwnedFd, len: NonZeroUsize) -> nix::Result<NonNull<libc::c_void>> {
    // SAFETY: a fresh shared mapping of a descriptor the caller owns;
    // nothing else in this process refers to that address range.
    unsafe {
        mmap(
            None,
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
            fd,
            0,
        )
    }
}

/// A copy of `fd` at or above `min` (close-on-exec), out of the range
/// children's descriptors are placed in.
pub fn dup_above(fd: &OwnedFd, min: RawFd) -> std::io::Result<OwnedFd> {
    let moved = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(min))
        .map_err(std::io::Error::from)?;
    // SAFETY: F_DUPFD_CLOEXEC returned a new descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(moved) })
}
