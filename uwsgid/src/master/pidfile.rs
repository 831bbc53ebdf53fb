//! `pidfile=`: the master's pid and a newline, written before the sockets
//! are bound (uWSGI's order), so scripts can signal the app master.

use std::path::Path;

/// Writes `pid\n` to `path`, replacing what was there.
pub fn write(path: &Path, pid: u32) -> std::io::Result<()> {
    std::fs::write(path, format!("{pid}\n"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pid_and_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.pid");
        super::write(&path, 4242).expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "4242\n");
    }
}
