//! `vacuum`: when the app stops, remove the unix socket files it created
//! (unless someone replaced them meanwhile) and its pidfile, with uWSGI's
//! log lines.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::sockets::SocketFile;
use crate::log::log_line;

/// What happened to one socket file.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Removed,
    /// Another file (another server's socket) now sits at the path.
    InodeChanged,
    Gone,
    Failed(String),
}

/// Removes the socket files and the pidfiles, logging each step.
pub fn run(files: &[SocketFile], pidfiles: &[&Path]) {
    for file in files {
        match remove_socket(file) {
            Outcome::Removed => log_line!("VACUUM: unix socket {} removed.", file.path.display()),
            Outcome::InodeChanged => {
                log_line!(
                    "VACUUM WARNING: unix socket {} changed inode. Skip removal",
                    file.path.display()
                )
            }
            Outcome::Gone => {}
            Outcome::Failed(err) => log_line!(
                "VACUUM: cannot remove unix socket {}: {err}",
                file.path.display()
            ),
        }
    }
    for path in pidfiles {
        match std::fs::remove_file(path) {
            Ok(()) => log_line!("VACUUM: pidfile removed."),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => log_line!("VACUUM: cannot remove pidfile {}: {e}", path.display()),
        }
    }
}

fn remove_socket(file: &SocketFile) -> Outcome {
    match std::fs::symlink_metadata(&file.path) {
        Err(_) => Outcome::Gone,
        Ok(meta) if meta.dev() != file.dev || meta.ino() != file.ino => Outcome::InodeChanged,
        Ok(_) => match std::fs::remove_file(&file.path) {
            Ok(()) => Outcome::Removed,
            Err(e) => Outcome::Failed(e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket_file(path: &Path) -> SocketFile {
        let meta = std::fs::metadata(path).expect("stat");
        SocketFile {
            path: path.to_path_buf(),
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    #[test]
    fn removes_its_own_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = dir.path().join("ours");
        std::fs::write(&ours, b"").expect("write");
        let record = socket_file(&ours);
        assert_eq!(remove_socket(&record), Outcome::Removed);
        assert!(!ours.exists());
        assert_eq!(remove_socket(&record), Outcome::Gone);
    }

    #[test]
    fn skips_a_replaced_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let replaced = dir.path().join("replaced");
        std::fs::write(&replaced, b"").expect("write");
        let record = socket_file(&replaced);
        // A hard link keeps the old inode alive, so the new file cannot reuse it.
        std::fs::hard_link(&replaced, dir.path().join("old")).expect("link");
        std::fs::remove_file(&replaced).expect("rm");
        std::fs::write(&replaced, b"new").expect("write");
        assert_eq!(remove_socket(&record), Outcome::InodeChanged);
        assert!(replaced.exists());
    }
}
