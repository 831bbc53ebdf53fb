//! uWSGI signals between the app master and its children: the socket the
//! children talk to the master on, and the messages they send.
//!
//! The master makes one `SOCK_SEQPACKET` socket pair per app, once; every
//! child it execs inherits the child end (`UWSGID_SIGNAL_FD`; a zygote's
//! workers inherit it from the zygote). What a child writes on it reaches
//! the master alone, one message per `send`, with the sender's pid (the
//! master reads with `SO_PASSCRED`, so the kernel vouches for it): a
//! registration, a timer, a signal raised by `uwsgi.signal()`, and a
//! worker's `hello` carrying, as `SCM_RIGHTS`, the write end of the pipe
//! on which the master then sends that worker signal numbers, one byte
//! each (uWSGI's per-worker signal pipe).
//!
//! Messages are text, one per packet: `raise SIG`, `register SIG TARGET`,
//! `timer SIG MILLIS`, `rbtimer SIG SECS ITERATIONS`, `cron SIG MIN HOUR
//! DAY MONTH WEEK`, `filemon SIG PATH`, `hello WID`, `hello mule ID`.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// Where a child finds its end.
pub const SIGNAL_FD_VAR: &str = "UWSGID_SIGNAL_FD";

/// The longest message (a file monitor's path included).
pub const MAX_MESSAGE: usize = 512;

/// What a child tells the master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToMaster {
    /// `uwsgi.signal(SIG)`: route it to its target.
    Raise(u8),
    /// `uwsgi.register_signal(SIG, TARGET, handler)`: where SIG goes.
    Register(u8, String),
    /// `uwsgi.add_timer` / `add_ms_timer`: every `millis` ms.
    Timer(u8, u64),
    /// `uwsgi.add_rb_timer(SIG, SECS, ITERATIONS)` (0 = forever).
    RbTimer(u8, u64, u64),
    /// `uwsgi.add_cron(SIG, MIN, HOUR, DAY, MONTH, WEEK)`.
    Cron(u8, [i32; 5]),
    /// `uwsgi.add_file_monitor(SIG, PATH)`.
    FileMonitor(u8, String),
    /// A worker that has handlers: its id; the packet carries its pipe.
    Hello(u32),
    /// A mule (`hello mule ID`): its id; the packet carries its pipe.
    MuleHello(u32),
}

impl ToMaster {
    pub fn encode(&self) -> String {
        match self {
            ToMaster::Raise(sig) => format!("raise {sig}"),
            ToMaster::Register(sig, target) => format!("register {sig} {target}"),
            ToMaster::Timer(sig, ms) => format!("timer {sig} {ms}"),
            ToMaster::RbTimer(sig, secs, n) => format!("rbtimer {sig} {secs} {n}"),
            ToMaster::Cron(sig, [a, b, c, d, e]) => format!("cron {sig} {a} {b} {c} {d} {e}"),
            ToMaster::FileMonitor(sig, path) => format!("filemon {sig} {path}"),
            ToMaster::Hello(wid) => format!("hello {wid}"),
            ToMaster::MuleHello(id) => format!("hello mule {id}"),
        }
    }

    pub fn parse(text: &str) -> Option<ToMaster> {
        let (verb, rest) = text.split_once(' ')?;
        let (sig, args) = rest.split_once(' ').unwrap_or((rest, ""));
        if verb == "hello" && sig == "mule" {
            return Some(ToMaster::MuleHello(args.parse().ok()?));
        }
        if verb == "hello" {
            return Some(ToMaster::Hello(sig.parse().ok()?));
        }
        let sig: u8 = sig.parse().ok()?;
        let numbers = || -> Option<Vec<i64>> {
            args.split(' ')
                .filter(|a| !a.is_empty())
                .map(|a| a.parse().ok())
                .collect()
        };
        Some(match verb {
            "raise" => ToMaster::Raise(sig),
            "register" => ToMaster::Register(sig, args.to_owned()),
            "timer" => ToMaster::Timer(sig, args.parse().ok()?),
            "rbtimer" => match numbers()?.as_slice() {
                &[secs, n] => ToMaster::RbTimer(sig, secs.try_into().ok()?, n.try_into().ok()?),
                _ => return None,
            },
            "cron" => {
                let fields: Vec<i32> = numbers()?
                    .into_iter()
                    .map(i32::try_from)
                    .collect::<Result<_, _>>()
                    .ok()?;
                ToMaster::Cron(sig, fields.try_into().ok()?)
            }
            "filemon" if !args.is_empty() => ToMaster::FileMonitor(sig, args.to_owned()),
            _ => return None,
        })
    }
}

/// Makes the pair (master side): `(master end, child end)`, non-blocking,
/// close-on-exec until the spawn places the child end.
pub fn create() -> io::Result<(OwnedFd, OwnedFd)> {
    let ends = super::seqpacket_pair()?;
    nix::sys::socket::setsockopt(&ends.0, nix::sys::socket::sockopt::PassCred, &true)
        .map_err(io::Error::from)?;
    Ok(ends)
}

/// A message as the master reads it.
#[derive(Debug)]
pub struct Packet {
    /// The sender's pid, as the kernel tells it (`SO_PASSCRED`); 0 if not.
    pub pid: i32,
    pub text: String,
    /// A descriptor sent with it (`SCM_RIGHTS`).
    pub fd: Option<OwnedFd>,
}

/// Room for the credentials and one descriptor, aligned as `cmsghdr`
/// wants.
#[repr(C, align(8))]
struct Control([u8; 128]);

/// Reads one message (master side), without waiting.
pub fn receive(fd: RawFd) -> io::Result<Packet> {
    let mut buf = [0u8; MAX_MESSAGE];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = Control([0; 128]);
    // SAFETY: an all-zero msghdr is valid; the fields set below point at
    // `iov` (over `buf`) and `control`, which outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = control.0.len();
    let flags = libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC;
    // SAFETY: `msg` describes writable memory we own.
    let len = unsafe { libc::recvmsg(fd, &raw mut msg, flags) };
    let len = usize::try_from(len).map_err(|_| io::Error::last_os_error())?;
    let mut packet = Packet {
        pid: 0,
        text: String::from_utf8_lossy(&buf[..len.min(buf.len())]).into_owned(),
        fd: None,
    };
    // SAFETY: `msg` was filled by recvmsg; the CMSG macros walk the control
    // buffer it describes, within `msg_controllen`.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
        while !cmsg.is_null() {
            let data = libc::CMSG_DATA(cmsg);
            let level = (*cmsg).cmsg_level;
            let kind = (*cmsg).cmsg_type;
            let len = (*cmsg).cmsg_len;
            if level == libc::SOL_SOCKET
                && kind == libc::SCM_CREDENTIALS
                && len >= libc::CMSG_LEN(size_of::<libc::ucred>() as u32) as usize
            {
                packet.pid = data.cast::<libc::ucred>().read_unaligned().pid;
            } else if level == libc::SOL_SOCKET && kind == libc::SCM_RIGHTS {
                let count = (len - libc::CMSG_LEN(0) as usize) / size_of::<RawFd>();
                for i in 0..count {
                    let raw = data.cast::<RawFd>().add(i).read_unaligned();
                    // The kernel installed it for this process: owned once.
                    let fd = OwnedFd::from_raw_fd(raw);
                    if packet.fd.is_none() {
                        packet.fd = Some(fd);
                    }
                }
            }
            cmsg = libc::CMSG_NXTHDR(&raw const msg, cmsg);
        }
    }
    Ok(packet)
}

/// Sends one message (child side), with a descriptor if given; never
/// waits (a full socket is an error).
pub fn send(fd: RawFd, text: &str, passed: Option<RawFd>) -> io::Result<()> {
    let mut iov = libc::iovec {
        iov_base: text.as_ptr().cast_mut().cast(),
        iov_len: text.len(),
    };
    let mut control = Control([0; 128]);
    // SAFETY: as in `receive`; sendmsg only reads `text`.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    if let Some(passed) = passed {
        msg.msg_control = control.0.as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE is a size computation; the header written is
        // within `control`, which is larger than that space.
        unsafe {
            msg.msg_controllen = libc::CMSG_SPACE(size_of::<RawFd>() as u32) as usize;
            let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize;
            libc::CMSG_DATA(cmsg)
                .cast::<RawFd>()
                .write_unaligned(passed);
        }
    }
    // SAFETY: `msg` describes memory that outlives the call.
    let sent =
        unsafe { libc::sendmsg(fd, &raw const msg, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The end this process inherited.
static INHERITED: Mutex<Option<OwnedFd>> = Mutex::new(None);

/// Takes the end named by [`SIGNAL_FD_VAR`] (child side), closed on exec
/// from now on, and removes the variable. Without it (a child started by
/// an older master), the signal functions raise.
///
/// # Safety
/// Must be called while the process is single-threaded, as
/// `std::env::remove_var` requires.
pub unsafe fn take_from_env() {
    let Ok(value) = std::env::var(SIGNAL_FD_VAR) else {
        return;
    };
    // SAFETY: the caller guarantees no other thread exists.
    unsafe { std::env::remove_var(SIGNAL_FD_VAR) };
    let Ok(fd) = value.trim().parse::<RawFd>() else {
        return;
    };
    // SAFETY: F_GETFD / F_SETFD only look at and flag the descriptor.
    if fd <= 2 || unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
        return;
    }
    // SAFETY: the master placed this open descriptor here for this process,
    // and it is taken once (the variable is gone).
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    *INHERITED.lock().unwrap_or_else(|p| p.into_inner()) = Some(fd);
}

/// The inherited end, when there is one.
pub fn inherited() -> Option<RawFd> {
    INHERITED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(std::os::fd::AsRawFd::as_raw_fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        for message in [
            ToMaster::Raise(17),
            ToMaster::Register(3, String::new()),
            ToMaster::Register(3, "workers".into()),
            ToMaster::Timer(0, 1500),
            ToMaster::RbTimer(255, 2, 0),
            ToMaster::Cron(9, [-1, 3, -5, 12, 7]),
            ToMaster::FileMonitor(4, "/tmp/a file".into()),
            ToMaster::Hello(12),
            ToMaster::MuleHello(2),
        ] {
            assert_eq!(ToMaster::parse(&message.encode()), Some(message));
        }
    }

    #[test]
    fn the_master_learns_the_sender_and_gets_the_descriptor() {
        use std::os::fd::AsRawFd;
        let (master, child) = create().expect("a socket pair");
        let (read, write) = nix::unistd::pipe().expect("a pipe");
        send(child.as_raw_fd(), "hello 3", Some(write.as_raw_fd())).expect("send");
        let packet = receive(master.as_raw_fd()).expect("receive");
        assert_eq!(packet.text, "hello 3");
        assert_eq!(packet.pid, std::process::id() as i32);
        let passed = packet.fd.expect("the pipe");
        drop(write);
        nix::unistd::write(&passed, b"x").expect("write");
        let mut buf = [0u8; 1];
        assert_eq!(nix::unistd::read(&read, &mut buf).ok(), Some(1));
    }

    #[test]
    fn garbage_is_refused() {
        for text in [
            "",
            "raise",
            "raise 256",
            "timer 1 x",
            "cron 1 1 2 3",
            "filemon 2 ",
            "jump 1",
            "hello mule",
            "hello mule x",
        ] {
            assert_eq!(ToMaster::parse(text), None, "{text}");
        }
    }
}
