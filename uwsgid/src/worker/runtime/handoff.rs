//! Passing kept-alive HTTP connections between the workers of an app, over
//! the socket pair the master made (`contract::handoff`): a worker whose
//! Python threads are all stuck sends its idle keep-alive connections
//! ([`Outbox::send`]: the descriptor by `SCM_RIGHTS`, the connection's
//! addresses and the bytes already read of it, in one message), and every
//! worker with a free Python thread takes them from the shared queue
//! ([`Inbox::try_take`]) as it accepts from a listen socket. While every
//! worker is busy, a passed connection waits in the queue, as a new one
//! waits in the listen queue, for the first worker that frees a thread
//! (the sender included).

use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use bytes::Bytes;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::listener::Stream;
use crate::contract::handoff::HandoffEnds;
use crate::protocol::cgi::ConnInfo;

/// The most bytes read ahead that travel with a connection; hyper's read
/// buffer at a request boundary holds less than a request head
/// (`buffer-size`, at most 64 KiB). A connection with more stays here.
pub const MAX_READ_AHEAD: usize = 64 * 1024;

/// The message format's version, first byte of every message.
const VERSION: u8 = 1;

/// The four address strings: at most this long each.
const MAX_FIELD: usize = 255;

/// Room for the header of a message: version, four length-prefixed fields.
const MAX_HEADER: usize = 1 + 4 * (1 + MAX_FIELD);

/// The send end, shared by the worker's connections.
pub struct Outbox {
    fd: OwnedFd,
}

/// The receive end, watched by the runtime.
pub struct Inbox {
    fd: AsyncFd<OwnedFd>,
}

/// A connection taken from the queue.
pub struct Passed {
    pub stream: Stream,
    pub info: ConnInfo,
    /// What the sender had read of the connection, not yet served.
    pub read_ahead: Bytes,
}

/// Splits the inherited ends.
pub fn split(ends: HandoffEnds) -> (Outbox, OwnedFd) {
    (Outbox { fd: ends.send }, ends.recv)
}

impl Outbox {
    /// Passes the connection `conn` on, with `read_ahead`; the caller
    /// closes its own descriptor afterwards. Never waits: a full queue
    /// (`WouldBlock`) leaves the connection with the caller.
    pub fn send(&self, conn: BorrowedFd<'_>, info: &ConnInfo, read_ahead: &[u8]) -> io::Result<()> {
        if read_ahead.len() > MAX_READ_AHEAD {
            return Err(io::Error::other("too much read ahead to pass on"));
        }
        let header = encode_header(info)?;
        let mut iov = [
            libc::iovec {
                iov_base: header.as_ptr().cast_mut().cast(),
                iov_len: header.len(),
            },
            libc::iovec {
                iov_base: read_ahead.as_ptr().cast_mut().cast(),
                iov_len: read_ahead.len(),
            },
        ];
        let mut control = Control::new();
        // SAFETY: an all-zero msghdr is valid; the fields set below point
        // at `iov` and `control`, which outlive the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = iov.len();
        msg.msg_control = control.as_mut_ptr();
        msg.msg_controllen = control.len();
        // SAFETY: the first header of a control buffer sized by CMSG_SPACE
        // for one fd; CMSG_DATA has room for that fd.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize;
            libc::CMSG_DATA(cmsg)
                .cast::<RawFd>()
                .write_unaligned(conn.as_raw_fd());
        }
        let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
        // SAFETY: `msg` is fully set up above; the kernel only reads it.
        if unsafe { libc::sendmsg(self.fd.as_raw_fd(), &raw const msg, flags) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Inbox {
    /// Watches the receive end. Must run inside the runtime.
    pub fn adopt(fd: OwnedFd) -> io::Result<Inbox> {
        // SAFETY: the OwnedFd is moved into the AsyncFd, which owns it
        // until it is dropped; nothing else closes or replaces it.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE)? };
        Ok(Inbox { fd })
    }

    /// Resolves once a connection may be waiting (cancel-safe).
    pub async fn ready(&self) -> io::Result<()> {
        self.fd.readable().await.map(drop)
    }

    /// Takes one waiting connection without blocking; `None` when there is
    /// none (another worker took it), which clears the readiness.
    pub fn try_take(&self) -> io::Result<Option<Passed>> {
        match self.fd.try_io(Interest::READABLE, |fd| receive(fd.as_fd())) {
            Ok(passed) => Ok(Some(passed)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Room for one `SCM_RIGHTS` control message carrying one descriptor,
/// aligned as `cmsghdr` wants.
struct Control([u64; 4]);

impl Control {
    fn new() -> Control {
        Control([0; 4])
    }

    fn as_mut_ptr(&mut self) -> *mut libc::c_void {
        self.0.as_mut_ptr().cast()
    }

    fn len(&self) -> usize {
        // SAFETY: CMSG_SPACE is a pure size computation.
        let space = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;
        debug_assert!(space <= size_of::<Self>());
        space
    }
}

/// One message: the descriptor, then the header and the read-ahead bytes.
fn receive(fd: BorrowedFd<'_>) -> io::Result<Passed> {
    let mut buf = vec![0u8; MAX_HEADER + MAX_READ_AHEAD];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = Control::new();
    // SAFETY: an all-zero msghdr is valid; the fields set below point at
    // `iov` (over `buf`) and `control`, which outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr();
    msg.msg_controllen = control.len();
    let flags = libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC;
    // SAFETY: `msg` describes writable memory we own.
    let len = unsafe { libc::recvmsg(fd.as_raw_fd(), &raw mut msg, flags) };
    let len = usize::try_from(len).map_err(|_| io::Error::last_os_error())?;
    let conn = received_fd(&msg);
    if msg.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0 {
        return Err(io::Error::other("a truncated hand-off message"));
    }
    let conn = conn.ok_or_else(|| io::Error::other("a hand-off message without a connection"))?;
    buf.truncate(len);
    let (info, header) = decode_header(&buf)?;
    let read_ahead = Bytes::from(buf).slice(header..);
    Ok(Passed {
        stream: Stream::from_fd(conn)?,
        info,
        read_ahead,
    })
}

/// The descriptor an `SCM_RIGHTS` message brought, owned from here on.
fn received_fd(msg: &libc::msghdr) -> Option<OwnedFd> {
    // SAFETY: `msg` was filled by recvmsg; the CMSG macros walk the control
    // buffer it describes, within `msg_controllen`.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(msg);
        if cmsg.is_null()
            || (*cmsg).cmsg_level != libc::SOL_SOCKET
            || (*cmsg).cmsg_type != libc::SCM_RIGHTS
            || (*cmsg).cmsg_len < libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize
        {
            return None;
        }
        let raw = libc::CMSG_DATA(cmsg).cast::<RawFd>().read_unaligned();
        // The kernel installed this descriptor for this process.
        Some(OwnedFd::from_raw_fd(raw))
    }
}

fn encode_header(info: &ConnInfo) -> io::Result<Vec<u8>> {
    let mut header = Vec::with_capacity(MAX_HEADER);
    header.push(VERSION);
    for field in fields(info) {
        let len = u8::try_from(field.len())
            .map_err(|_| io::Error::other("an address too long to pass on"))?;
        header.push(len);
        header.extend_from_slice(field.as_bytes());
    }
    Ok(header)
}

fn fields(info: &ConnInfo) -> [&str; 4] {
    [
        &info.remote_addr,
        &info.remote_port,
        &info.server_name,
        &info.server_port,
    ]
}

/// The addresses and the header's length.
fn decode_header(buf: &[u8]) -> io::Result<(ConnInfo, usize)> {
    let bad = || io::Error::other("a malformed hand-off message");
    if buf.first() != Some(&VERSION) {
        return Err(bad());
    }
    let mut at = 1;
    let mut field = || -> io::Result<String> {
        let len = usize::from(*buf.get(at).ok_or_else(bad)?);
        let text = buf.get(at + 1..at + 1 + len).ok_or_else(bad)?;
        at += 1 + len;
        String::from_utf8(text.to_vec()).map_err(|_| bad())
    };
    let info = ConnInfo {
        remote_addr: field()?,
        remote_port: field()?,
        server_name: field()?,
        server_port: field()?,
    };
    Ok((info, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::handoff;

    fn info() -> ConnInfo {
        ConnInfo {
            remote_addr: "127.0.0.1".into(),
            remote_port: "40000".into(),
            server_name: "127.0.0.1".into(),
            server_port: "8080".into(),
        }
    }

    #[tokio::test]
    async fn a_connection_travels_with_its_addresses_and_read_ahead() {
        let ends = handoff::create().expect("a socket pair");
        let (outbox, recv) = split(ends);
        let inbox = Inbox::adopt(recv).expect("registered");
        let (mine, peer) = std::os::unix::net::UnixStream::pair().expect("a pair");
        assert!(outbox.send(mine.as_fd(), &info(), b"GET / HT").is_ok());
        drop(mine);
        inbox.ready().await.expect("readable");
        let passed = inbox.try_take().expect("received").expect("a connection");
        assert_eq!(passed.info, info());
        assert_eq!(&passed.read_ahead[..], b"GET / HT");
        let Stream::Unix(passed) = passed.stream else {
            panic!("a unix stream");
        };
        use std::io::{Read, Write};
        assert!((&passed).write_all(b"ok").is_ok());
        let mut got = [0u8; 2];
        assert!((&peer).read_exact(&mut got).is_ok());
        assert_eq!(&got, b"ok");
        assert!(matches!(inbox.try_take(), Ok(None)));
    }

    #[test]
    fn malformed_headers_are_refused() {
        assert!(decode_header(b"").is_err());
        assert!(decode_header(&[9, 0, 0, 0, 0]).is_err());
        assert!(decode_header(&[VERSION, 5, b'a']).is_err());
        let header = encode_header(&info()).expect("encodes");
        let (decoded, len) = decode_header(&header).expect("decodes");
        assert_eq!((decoded, len), (info(), header.len()));
    }
}
