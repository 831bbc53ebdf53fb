//! `pidfile=`: the master's pid and a newline, written before the sockets
//! are bound (uWSGI's order), so scripts can signal the app master.

use std::path::Path;

/// Writes `pid\n` to `path`, replacing what was there.
pub fn write(path: &Path, pid: u32) -> std::io::Result<()> {
    std::fs::write(path, format!("{pid}\n"))
}

/// `safe-pidfile`: writes a temporary file beside `path` and renames it
/// over `path`, so a reader never sees it empty or half written.
pub fn write_safe(path: &Path, pid: u32) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, format!("{pid}\n"))?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pid_and_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.pid");
        super::write(&path, 4242).expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "4242\n");
        super::write_safe(&path, 4343).expect("write safely");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "4343\n");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(left.len(), 1, "no temporary file stays");
    }
}
