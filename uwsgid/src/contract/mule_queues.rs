//! The mules' message queues, as uWSGI has them: one socket pair per
//! mule, one shared by every mule (any mule takes a message from it), one
//! per farm. The master makes them all before its first child
//! (`master/mule_queues.rs`) and every child it execs inherits both ends
//! of each (`UWSGID_MULE_FDS="FIRST COUNT"`; a zygote's workers inherit
//! them from the zygote), so a worker or a mule sends with
//! `uwsgi.mule_msg()` and a mule receives.
//!
//! Each pair is `SOCK_SEQPACKET` (uWSGI's `create_msg_pipe` on Linux): a
//! message is one packet, never merged nor split; a full queue refuses a
//! send rather than block the sender. The order of the pairs: the shared
//! queue, then mule 1 … N, then the farms in the order of the
//! configuration; each pair's send end before its receive end.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use crate::config::MuleConfig;

/// Where a child finds the queues: the first descriptor and how many.
pub const MULE_FDS_VAR: &str = "UWSGID_MULE_FDS";

/// One queue: what a sender writes on `send` a mule reads on `recv`.
#[derive(Debug)]
pub struct Queue {
    pub send: OwnedFd,
    pub recv: OwnedFd,
}

/// Which queue a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The queue any mule reads.
    Shared,
    /// Mule `id` (from 1).
    Mule(u32),
    /// A farm, by its index in the configuration.
    Farm(usize),
}

/// Every queue of the app.
#[derive(Debug)]
pub struct Queues {
    shared: Queue,
    mules: Vec<Queue>,
    farms: Vec<Queue>,
}

impl Queues {
    /// Makes the queues for `cfg` (master side), close-on-exec until a
    /// spawn places them; `None` when the app has no mule.
    pub fn create(cfg: &MuleConfig) -> io::Result<Option<Queues>> {
        if cfg.mules.is_empty() {
            return Ok(None);
        }
        let make = || pair(cfg.msg_size);
        Ok(Some(Queues {
            shared: make()?,
            mules: cfg.mules.iter().map(|_| make()).collect::<Result<_, _>>()?,
            farms: cfg.farms.iter().map(|_| make()).collect::<Result<_, _>>()?,
        }))
    }

    /// Every descriptor, in the order a child expects them.
    pub fn fds(&self) -> impl Iterator<Item = BorrowedFd<'_>> {
        std::iter::once(&self.shared)
            .chain(&self.mules)
            .chain(&self.farms)
            .flat_map(|q| [q.send.as_fd(), q.recv.as_fd()])
    }

    pub fn get(&self, target: Target) -> Option<&Queue> {
        match target {
            Target::Shared => Some(&self.shared),
            Target::Mule(id) => self.mules.get((id as usize).checked_sub(1)?),
            Target::Farm(index) => self.farms.get(index),
        }
    }

    /// Applies `f` to every descriptor (the master moves them high).
    pub fn map_fds(self, f: impl Fn(OwnedFd) -> io::Result<OwnedFd>) -> io::Result<Queues> {
        let map = |q: Queue| -> io::Result<Queue> {
            Ok(Queue {
                send: f(q.send)?,
                recv: f(q.recv)?,
            })
        };
        Ok(Queues {
            shared: map(self.shared)?,
            mules: self.mules.into_iter().map(map).collect::<Result<_, _>>()?,
            farms: self.farms.into_iter().map(map).collect::<Result<_, _>>()?,
        })
    }

    /// Rebuilds the queues from `count` inherited descriptors from
    /// `first`, for `mules` mules; `None` when they do not add up.
    fn from_fds(first: RawFd, count: usize, mules: usize) -> Option<Queues> {
        if count < 2 * (1 + mules) || !count.is_multiple_of(2) {
            return None;
        }
        let mut queues = (0..count / 2).map(|i| {
            let at = first + 2 * i as RawFd;
            // SAFETY: the master placed these open descriptors here for
            // this process; each is wrapped once (the variable is gone).
            unsafe {
                Queue {
                    send: OwnedFd::from_raw_fd(at),
                    recv: OwnedFd::from_raw_fd(at + 1),
                }
            }
        });
        let shared = queues.next()?;
        let mules = queues.by_ref().take(mules).collect();
        Some(Queues {
            shared,
            mules,
            farms: queues.collect(),
        })
    }
}

/// One pair: non-blocking, close-on-exec, with `mule-msg-size` buffers.
fn pair(size: u32) -> io::Result<Queue> {
    let (send, recv) = super::seqpacket_pair()?;
    let queue = Queue { send, recv };
    if size > 0 {
        use nix::sys::socket::{setsockopt, sockopt};
        let size = size as usize;
        for fd in [&queue.send, &queue.recv] {
            setsockopt(fd, sockopt::SndBuf, &size).map_err(io::Error::from)?;
            setsockopt(fd, sockopt::RcvBuf, &size).map_err(io::Error::from)?;
        }
    }
    Ok(queue)
}

/// Sends one message on `queue`, without waiting.
pub fn send(queue: &Queue, message: &[u8]) -> io::Result<()> {
    let flags = nix::sys::socket::MsgFlags::MSG_DONTWAIT | nix::sys::socket::MsgFlags::MSG_NOSIGNAL;
    let sent = nix::sys::socket::send(queue.send.as_raw_fd(), message, flags)?;
    if sent != message.len() {
        return Err(io::Error::other("the message was cut"));
    }
    Ok(())
}

/// Reads one message from `fd` (a queue's receive end) into `buf`
/// without waiting: its length (a longer message is cut to `buf`, as
/// uWSGI's `read` cuts it).
pub fn receive(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    let flags = nix::sys::socket::MsgFlags::MSG_DONTWAIT;
    Ok(nix::sys::socket::recv(fd.as_raw_fd(), buf, flags)?)
}

/// The queues this process inherited.
static INHERITED: OnceLock<Queues> = OnceLock::new();

/// Takes the queues named by [`MULE_FDS_VAR`] (child side), for `mules`
/// mules, closed on exec from now on, and removes the variable. Without
/// it (an app without mules), `inherited` is `None`.
///
/// # Safety
/// Must be called while the process is single-threaded, as
/// `std::env::remove_var` requires.
pub unsafe fn take_from_env(mules: usize) {
    let Ok(value) = std::env::var(MULE_FDS_VAR) else {
        return;
    };
    // SAFETY: the caller guarantees no other thread exists.
    unsafe { std::env::remove_var(MULE_FDS_VAR) };
    let mut numbers = value.split(' ').map(str::parse::<RawFd>);
    let (Some(Ok(first)), Some(Ok(count))) = (numbers.next(), numbers.next()) else {
        return;
    };
    let Ok(count) = usize::try_from(count) else {
        return;
    };
    let all_open = (first..first + count as RawFd).all(|fd| {
        // SAFETY: F_SETFD only flags the descriptor.
        fd > 2 && unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } >= 0
    });
    if !all_open {
        return;
    }
    if let Some(queues) = Queues::from_fds(first, count, mules) {
        let _ = INHERITED.set(queues);
    }
}

/// The inherited queues, when the app has mules.
pub fn inherited() -> Option<&'static Queues> {
    INHERITED.get()
}

/// The value of [`MULE_FDS_VAR`] for `count` descriptors from `first`.
pub fn format_fds(first: RawFd, count: usize) -> String {
    format!("{first} {count}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FarmSpec, MuleSpec};

    fn config(mules: usize, farms: usize) -> MuleConfig {
        MuleConfig {
            mules: vec![MuleSpec { script: None }; mules],
            farms: (0..farms)
                .map(|i| FarmSpec {
                    name: format!("f{i}"),
                    mules: vec![1],
                })
                .collect(),
            ..MuleConfig::default()
        }
    }

    #[test]
    fn no_mule_no_queue() {
        assert!(Queues::create(&config(0, 0)).expect("made").is_none());
    }

    #[test]
    fn a_message_is_one_packet_and_a_small_buffer_cuts_it() {
        let queues = Queues::create(&config(2, 1))
            .expect("made")
            .expect("queues");
        assert_eq!(queues.fds().count(), 2 * (1 + 2 + 1));
        let mule2 = queues.get(Target::Mule(2)).expect("mule 2");
        send(mule2, b"first").expect("send");
        send(mule2, b"second").expect("send");
        let mut buf = [0u8; 64];
        let n = receive(mule2.recv.as_fd(), &mut buf).expect("receive");
        assert_eq!(&buf[..n], b"first");
        let mut small = [0u8; 3];
        let n = receive(mule2.recv.as_fd(), &mut small).expect("receive");
        assert_eq!(&small[..n], b"sec");
        assert!(queues.get(Target::Mule(3)).is_none());
        assert!(queues.get(Target::Mule(0)).is_none());
        let empty = receive(
            queues.get(Target::Farm(0)).expect("farm").recv.as_fd(),
            &mut buf,
        );
        assert_eq!(empty.map_err(|e| e.kind()), Err(io::ErrorKind::WouldBlock));
    }

    #[test]
    fn mule_msg_size_bounds_a_queue_and_a_full_one_refuses() {
        let cfg = MuleConfig {
            msg_size: 4096,
            ..config(1, 0)
        };
        let queues = Queues::create(&cfg).expect("made").expect("queues");
        let queue = queues.get(Target::Shared).expect("the shared queue");
        let big = vec![7u8; 64 * 1024];
        assert!(send(queue, &big).is_err(), "larger than the buffer");
        let small = [1u8; 512];
        let refused = (0..10_000).find_map(|_| send(queue, &small).err());
        assert_eq!(
            refused.map(|e| e.kind()),
            Some(io::ErrorKind::WouldBlock),
            "a full queue refuses rather than blocks"
        );
    }

    #[test]
    fn inherited_descriptors_are_split_in_order() {
        let queues = Queues::create(&config(1, 2))
            .expect("made")
            .expect("queues");
        let raws: Vec<RawFd> = queues.fds().map(|fd| fd.as_raw_fd()).collect();
        // Duplicates at consecutive numbers, as a spawn places them.
        let first = 900;
        for (i, fd) in raws.iter().enumerate() {
            // SAFETY: plain dup2 onto free high numbers owned by this test.
            assert!(unsafe { libc::dup2(*fd, first + i as RawFd) } >= 0);
        }
        let got = Queues::from_fds(first, raws.len(), 1).expect("split");
        assert_eq!(got.farms.len(), 2);
        send(&got.farms[1], b"x").expect("send");
        let mut buf = [0u8; 4];
        let farm = queues.get(Target::Farm(1)).expect("farm 1");
        assert_eq!(receive(farm.recv.as_fd(), &mut buf).ok(), Some(1));
        assert!(Queues::from_fds(first, 3, 1).is_none());
    }
}
