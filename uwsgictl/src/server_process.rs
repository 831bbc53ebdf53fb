//! Which uwsgid process serves a control socket, found from `/proc` when
//! the socket cannot be reached: a deleted socket file is not a stopped
//! server, and the way out differs (SIGHUP makes the socket again).
//!
//! The kernel keeps the path a listening unix socket was bound to
//! (`/proc/net/unix`) after the file is deleted; the process holding that
//! socket (`/proc/PID/fd` → `socket:[INODE]`) is the server. Nothing here
//! reads command lines, which process titles overwrite.

use std::collections::HashSet;
use std::path::Path;

/// `__SO_ACCEPTCON` in `/proc/net/unix`'s flags: a listening socket.
const LISTENING: u32 = 0x0001_0000;

/// The pid of a running process listening on the unix socket `socket`
/// (bound to that path, whether or not the file is still there).
pub fn serving(socket: &Path) -> Option<i32> {
    let table = std::fs::read_to_string("/proc/net/unix").ok()?;
    let mut inodes = listening_inodes(&table, socket);
    // A server may have bound it by its absolute path, or as given.
    if let Ok(absolute) = std::path::absolute(socket) {
        inodes.extend(listening_inodes(&table, &absolute));
    }
    if inodes.is_empty() {
        return None;
    }
    let entries = std::fs::read_dir("/proc").ok()?;
    let mut pids: Vec<i32> = entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            holds_any(&entry.path(), &inodes).then_some(pid)
        })
        .collect();
    // The lowest pid: the process that bound it, before any it started.
    pids.sort_unstable();
    pids.first().copied()
}

/// Inodes of the listening sockets bound to `socket`, from the text of
/// `/proc/net/unix` (`Num RefCount Protocol Flags Type St Inode Path`).
fn listening_inodes(table: &str, socket: &Path) -> HashSet<u64> {
    let wanted = socket.as_os_str().as_encoded_bytes();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (flags, inode, path) = (fields.get(3)?, fields.get(6)?, fields.get(7)?);
            let flags = u32::from_str_radix(flags, 16).ok()?;
            let listening = flags & LISTENING != 0;
            (listening && path.as_bytes() == wanted).then(|| inode.parse().ok())?
        })
        .collect()
}

/// Some descriptor of the process at `proc_dir` is one of `inodes`.
fn holds_any(proc_dir: &Path, inodes: &HashSet<u64>) -> bool {
    let Ok(fds) = std::fs::read_dir(proc_dir.join("fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).ok().is_some_and(|target| {
            target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| inodes.contains(&n))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 4242 /srv/run/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 4243 /srv/run/app.sock
0000000000000000: 00000002 00000000 00010000 0001 01 4244 /srv/run/other.sock
0000000000000000: 00000002 00000000 00000000 0002 01 4245
";

    #[test]
    fn only_the_listening_socket_bound_to_the_path_counts() {
        let found = listening_inodes(TABLE, Path::new("/srv/run/app.sock"));
        assert_eq!(found, HashSet::from([4242]));
        assert!(listening_inodes(TABLE, Path::new("/srv/run/none.sock")).is_empty());
    }

    #[test]
    fn this_process_is_found_by_its_listening_socket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ctl.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
        std::fs::remove_file(&path).expect("delete the socket file");
        assert_eq!(serving(&path), Some(std::process::id() as i32));
        drop(listener);
        assert_eq!(serving(&path), None);
    }
}
