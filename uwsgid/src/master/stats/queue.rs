//! How many connections wait in a TCP listen socket's accept queue, as
//! uWSGI reads it for `listen_queue`: on a listening socket, `TCP_INFO`'s
//! `tcpi_unacked` is the queue's length and `tcpi_sacked` its limit.

use std::os::fd::{AsRawFd, BorrowedFd};

/// `(queue, max_queue)` of a listening TCP socket; `None` for any other
/// socket (unix sockets have no such figure).
pub fn tcp_accept_queue(fd: BorrowedFd<'_>) -> Option<(u64, u64)> {
    // SAFETY: tcp_info is plain data; zero is a valid value of every field.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` and `len` are valid for writes of the sizes given, and
    // the kernel writes at most `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &mut len,
        )
    };
    (rc == 0).then(|| (u64::from(info.tcpi_unacked), u64::from(info.tcpi_sacked)))
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;

    #[test]
    fn counts_connections_nobody_accepted() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let _a = std::net::TcpStream::connect(addr).expect("connect");
        let _b = std::net::TcpStream::connect(addr).expect("connect");
        let (queue, max) = tcp_accept_queue(listener.as_fd()).expect("tcp info");
        assert_eq!(queue, 2);
        assert!(max >= 2, "{max}");
        let unix = tempfile::tempdir().expect("tempdir");
        let u = std::os::unix::net::UnixListener::bind(unix.path().join("s")).expect("bind");
        assert!(tcp_accept_queue(u.as_fd()).is_none());
    }
}
