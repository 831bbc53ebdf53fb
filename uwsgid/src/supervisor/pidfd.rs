//! Watching the death of a process that is not our child (an adopted app
//! master) through a pidfd: it becomes readable when the process exits,
//! and it names that process only, so a reused pid is never mistaken for
//! it.

use std::os::fd::{FromRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;

/// A pidfd registered with tokio.
#[derive(Debug)]
pub struct PidFd {
    fd: AsyncFd<OwnedFd>,
}

impl PidFd {
    /// Opens a pidfd for `pid` (fails when there is no such process).
    pub fn open(pid: u32) -> std::io::Result<PidFd> {
        let pid = libc::pid_t::try_from(pid)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let raw = i32::try_from(raw).map_err(|_| std::io::Error::other("pidfd out of range"))?;
        // SAFETY: the kernel just returned this descriptor to us alone.
        let owned = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: the OwnedFd is moved into the AsyncFd, which keeps it
        // open, and the same descriptor, for as long as it is registered.
        let fd = unsafe { AsyncFd::register_with_interest(owned, tokio::io::Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        Ok(PidFd { fd })
    }

    /// Completes when the process has exited.
    pub async fn exited(&self) -> std::io::Result<()> {
        let _ready = self.fd.readable().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readable_once_the_process_exits() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep starts");
        let pidfd = PidFd::open(child.id()).expect("pidfd");
        let early = tokio::time::timeout(std::time::Duration::from_millis(50), pidfd.exited());
        assert!(early.await.is_err(), "not yet exited");
        child.kill().expect("kill");
        tokio::time::timeout(std::time::Duration::from_secs(5), pidfd.exited())
            .await
            .expect("in time")
            .expect("exited");
        child.wait().expect("reaped");
    }

    #[test]
    fn no_such_process_is_an_error() {
        assert!(PidFd::open(u32::MAX / 2).is_err());
    }
}
