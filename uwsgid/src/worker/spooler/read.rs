//! Taking a task: the file is opened and write-locked without waiting, as
//! uWSGI's spooler does (`fcntl(F_SETLK)`), so several spooler processes
//! on one directory — uwsgid's or uWSGI's — never run one task twice: the
//! lock is held while the task runs and drops when the file closes. The
//! lock is an open-file-description lock, which conflicts with uWSGI's
//! POSIX locks but, unlike them, is not dropped when the task's own code
//! opens and closes the same file.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::packet::{self, PacketError, Task};

/// A task this process holds: the lock lives as long as `file`.
#[derive(Debug)]
pub struct Locked {
    pub task: Task,
    /// Keeps the lock; dropping it (close) releases it.
    _file: File,
}

/// Why a task was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// Another process holds it, or it is gone: try again on a later
    /// scan.
    #[error("busy")]
    Busy,
    /// Its first bytes are not written yet (a writer that locks in place,
    /// as uWSGI's): try again soon.
    #[error("not written yet")]
    Unwritten,
    /// The file is not a task (cut short): uWSGI deletes it.
    #[error("{0}")]
    Broken(PacketError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Opens, locks and reads the task at `path`.
pub fn take(path: &Path) -> Result<Locked, TakeError> {
    let file = match File::options().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(TakeError::Busy),
        Err(e) => return Err(TakeError::Io(e)),
    };
    if !try_lock(&file)? {
        return Err(TakeError::Busy);
    }
    // Another process may have finished (and unlinked) it between our
    // open and our lock: the lock is then on a file no longer there.
    if file.metadata()?.nlink() == 0 {
        return Err(TakeError::Busy);
    }
    let mut bytes = Vec::new();
    (&file).read_to_end(&mut bytes)?;
    if packet::header(&bytes).is_none() {
        return Err(TakeError::Unwritten);
    }
    let task = packet::decode(&bytes).map_err(TakeError::Broken)?;
    Ok(Locked { task, _file: file })
}

/// Reads a task without running it (`uwsgi.spooler_get_task`): `None`
/// when it is gone or not a whole task. It takes no lock: a task running
/// elsewhere reads as well (uWSGI answers None for it), and a task that
/// reads its own file keeps its lock.
pub fn peek(path: &Path) -> Option<Task> {
    packet::decode(&std::fs::read(path).ok()?).ok()
}

/// Takes the whole-file write lock without waiting; false when another
/// process (or open file) holds a lock on it.
fn try_lock(file: &File) -> std::io::Result<bool> {
    let lock = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    // SAFETY: a valid descriptor and a fully initialised flock; the call
    // only reads the struct.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &lock) };
    if rc == 0 {
        return Ok(true);
    }
    match std::io::Error::last_os_error() {
        e if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EACCES)) => Ok(false),
        e => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_file(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("uwsgi_spoolfile_on_t");
        let bytes = packet::encode(&[(b"a".to_vec(), b"b".to_vec())], b"").expect("encode");
        std::fs::write(&path, bytes).expect("write");
        path
    }

    #[test]
    fn a_taken_task_cannot_be_taken_again_until_released() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = task_file(dir.path());
        let held = take(&path).expect("take");
        assert_eq!(held.task.get(b"a"), Some(&b"b"[..]));
        assert!(matches!(take(&path), Err(TakeError::Busy)));
        assert!(peek(&path).is_some(), "reading takes no lock");
        drop(held);
        assert!(take(&path).is_ok());
    }

    #[test]
    fn a_file_still_empty_is_busy_and_a_cut_one_broken() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("uwsgi_spoolfile_on_t");
        std::fs::write(&path, b"").expect("write");
        assert!(matches!(take(&path), Err(TakeError::Unwritten)));
        std::fs::write(&path, b"\x11\x09\x00\x00ab").expect("write");
        assert!(matches!(take(&path), Err(TakeError::Broken(_))));
        assert!(matches!(
            take(&dir.path().join("gone")),
            Err(TakeError::Busy)
        ));
    }
}
