use super::*;

fn writer(dir: &Path, maxsize: u64, backupname: Option<PathBuf>) -> (LogWriter, PathBuf) {
    let path = dir.join("app.log");
    let file = crate::master::log_master::open_append(&path).unwrap_or_else(|e| panic!("{e}"));
    let options = LogFile {
        maxsize,
        backupname,
        ..LogFile::default()
    };
    (LogWriter::new(file, Some(path.clone()), &options), path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn only_whole_lines_are_written() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut w, path) = writer(dir.path(), 0, None);
    w.take(b"one\ntw");
    assert_eq!(read(&path), "one\n");
    w.take(b"o\nthr");
    assert_eq!(read(&path), "one\ntwo\n");
    w.take(b"ee\n");
    assert_eq!(read(&path), "one\ntwo\nthree\n");
}

/// Pins uWSGI 2.0.31 (`logto`, `log-maxsize = 2000`): the rotated file
/// `r.log.1796253574` ends with
/// `Wed Dec  2 23:19:34 2026 - logsize: 2072, triggering rotation to /tmp/reqlog-probe/r.log.1796253574...`.
#[test]
fn rotates_past_maxsize_to_the_epoch_name_once_a_second() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut w, path) = writer(dir.path(), 10, None);
    w.size = 0;
    w.take(b"0123456789\n");
    // 11 bytes > 10: rotated now (the epoch second is now's).
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert_eq!(backups.len(), 2, "{backups:?}");
    assert_eq!(read(&path), "");
    let backup = backups
        .iter()
        .find(|p| **p != path)
        .cloned()
        .unwrap_or_default();
    let old = read(&backup);
    assert!(old.starts_with("0123456789\n"), "{old}");
    let last = old.lines().last().unwrap_or_default();
    let expected = format!(
        " - logsize: 11, triggering rotation to {}...",
        backup.display()
    );
    assert_eq!(last.get(24..), Some(expected.as_str()), "{old}");
    let epoch = backup
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    assert!(epoch.parse::<u64>().is_ok(), "{}", backup.display());
    // Within the same second the next rotation waits (no backup is
    // overwritten); the next second it happens.
    w.take(b"abcdefghijk\n");
    w.rotate_if_due(w.last_rotation);
    assert_eq!(read(&path), "abcdefghijk\n");
    w.rotate_if_due(w.last_rotation + 1);
    assert_eq!(read(&path), "");
}

#[test]
fn backupname_is_the_rotated_name() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let backup = dir.path().join("old.log");
    let (mut w, path) = writer(dir.path(), 5, Some(backup.clone()));
    w.take(b"first line\n");
    assert!(read(&backup).starts_with("first line\n"));
    w.take(b"second line\n");
    assert!(
        read(&backup).starts_with("second line\n"),
        "uWSGI overwrites it"
    );
    assert_eq!(read(&path), "");
}
