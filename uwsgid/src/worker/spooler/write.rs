//! Writing a task (`uwsgi.spool()`): the file is written whole under a
//! hidden name, then linked to uWSGI's name
//! (`uwsgi_spoolfile_on_HOST_PID_COUNTER_RAND_SEC_USEC`), so a spooler —
//! uwsgid's or uWSGI's — never sees a task half written. The `spooler`
//! key picks the directory, `priority` a subdirectory, and `at` the time
//! before which the task does not run (the file's mtime, as uWSGI).

use std::collections::hash_map::RandomState;
use std::fs::{self, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::packet::{self, PacketError, Var};

/// The names of task files start so; anything else in a directory is not
/// a task.
pub const TASK_PREFIX: &str = "uwsgi_spoolfile_on_";

/// Tasks spooled by this process (part of the name, as uWSGI's counter).
static COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("[uwsgi-spooler] no spooler available")]
    NoSpooler,
    #[error("[uwsgi-spooler] unable to find spooler \"{0}\"")]
    UnknownSpooler(String),
    #[error("{0}")]
    Packet(#[from] PacketError),
    #[error("[uwsgi-spooler] error generating spooler filename")]
    BadPriority,
    #[error("[spooler] unable to write {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

/// What `spool()` wrote.
#[derive(Debug)]
pub struct Spooled {
    pub path: PathBuf,
    /// Bytes in the file (uWSGI's `written N bytes` line).
    pub bytes: usize,
}

/// Writes a task into one of `dirs` (absolute): the one the `spooler` key
/// names, else the first.
pub fn spool(
    dirs: &[PathBuf],
    hostname: &str,
    vars: &[Var],
    body: &[u8],
) -> Result<Spooled, SpoolError> {
    let content = packet::encode(vars, body)?;
    let find = |key: &[u8]| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let dir = pick_dir(dirs, find(b"spooler").map(Vec::as_slice))?;
    let dir = match find(b"priority").filter(|p| !p.is_empty()) {
        Some(priority) => priority_dir(dir, priority)?,
        None => dir.to_path_buf(),
    };
    let at = find(b"at").and_then(|v| parse_at(v));
    let name = file_name(hostname);
    let path = dir.join(&name);
    write_whole(&dir, &name, &content, at).map_err(|e| SpoolError::Write(path.clone(), e))?;
    Ok(Spooled {
        path,
        bytes: content.len(),
    })
}

fn pick_dir<'a>(dirs: &'a [PathBuf], named: Option<&[u8]>) -> Result<&'a Path, SpoolError> {
    let first = dirs.first().ok_or(SpoolError::NoSpooler)?;
    let Some(named) = named.filter(|n| !n.is_empty()) else {
        return Ok(first);
    };
    dirs.iter()
        .find(|d| d.as_os_str().as_encoded_bytes() == named)
        .map(PathBuf::as_path)
        .ok_or_else(|| SpoolError::UnknownSpooler(String::from_utf8_lossy(named).into_owned()))
}

/// `DIR/PRIORITY`, made if missing (mode 0777 less the umask, as uWSGI).
fn priority_dir(dir: &Path, priority: &[u8]) -> Result<PathBuf, SpoolError> {
    let priority = std::str::from_utf8(priority).map_err(|_| SpoolError::BadPriority)?;
    // A priority is a name inside the directory, never a path out of it.
    if priority.contains('/') || priority == "." || priority == ".." {
        return Err(SpoolError::BadPriority);
    }
    let path = dir.join(priority);
    let _ = fs::DirBuilder::new().mode(0o777).create(&path);
    Ok(path)
}

/// `at`: seconds since the epoch, the fraction dropped (uWSGI's
/// `uwsgi_str_num` up to the dot).
fn parse_at(value: &[u8]) -> Option<i64> {
    let whole = value.split(|&b| b == b'.').next()?;
    let n = std::str::from_utf8(whole)
        .ok()?
        .trim()
        .parse::<i64>()
        .ok()?;
    (n > 0).then_some(n)
}

fn file_name(hostname: &str) -> String {
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let random = RandomState::new().build_hasher().finish() & 0x7fff_ffff;
    format!(
        "{TASK_PREFIX}{hostname}_{}_{counter}_{random}_{}_{}",
        std::process::id(),
        now.as_secs(),
        now.subsec_micros()
    )
}

/// The content under a hidden name (no spooler looks at it), its mtime
/// set for `at`, then linked to `name`: the task appears whole or not at
/// all. `link` fails rather than replace an existing task.
fn write_whole(dir: &Path, name: &str, content: &[u8], at: Option<i64>) -> std::io::Result<()> {
    let hidden = dir.join(format!(".{name}.writing"));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&hidden)?;
        file.write_all(content)?;
        if let Some(at) = at {
            let when = UNIX_EPOCH + std::time::Duration::from_secs(at.unsigned_abs());
            file.set_times(fs::FileTimes::new().set_accessed(when).set_modified(when))?;
        }
        drop(file);
        fs::hard_link(&hidden, dir.join(name))
    })();
    let _ = fs::remove_file(&hidden);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(k: &str, v: &str) -> Var {
        (k.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    #[test]
    fn a_task_lands_whole_under_uwsgis_name() {
        let dir = tempfile::tempdir().expect("tmp");
        let dirs = vec![dir.path().to_path_buf()];
        let done = spool(&dirs, "host", &[var("a", "b")], b"xyz").expect("spool");
        let name = done
            .path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let prefix = format!("{TASK_PREFIX}host_{}_", std::process::id());
        assert!(name.starts_with(&prefix), "{name}");
        assert_eq!(done.bytes, 4 + 6 + 3);
        let entries: Vec<_> = fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(entries.len(), 1, "no hidden file is left");
        let task = packet::decode(&fs::read(&done.path).expect("read")).expect("decode");
        assert_eq!(task.body, b"xyz");
    }

    #[test]
    fn priority_goes_to_a_subdirectory_and_at_to_the_mtime() {
        let dir = tempfile::tempdir().expect("tmp");
        let dirs = vec![dir.path().to_path_buf()];
        let vars = [var("priority", "5"), var("at", "2000000000.75")];
        let done = spool(&dirs, "h", &vars, b"").expect("spool");
        assert_eq!(done.path.parent(), Some(dir.path().join("5").as_path()));
        let mtime = fs::metadata(&done.path)
            .expect("stat")
            .modified()
            .expect("mtime");
        assert_eq!(
            mtime,
            UNIX_EPOCH + std::time::Duration::from_secs(2_000_000_000)
        );
    }

    #[test]
    fn the_spooler_key_must_name_a_spooler() {
        let dir = tempfile::tempdir().expect("tmp");
        let dirs = vec![PathBuf::from("/nonexistent"), dir.path().to_path_buf()];
        let named = dir.path().to_string_lossy().into_owned();
        let done = spool(&dirs, "h", &[var("spooler", &named)], b"").expect("spool");
        assert_eq!(done.path.parent(), Some(dir.path()));
        let err = spool(&dirs, "h", &[var("spooler", "/elsewhere")], b"").expect_err("refused");
        assert!(matches!(err, SpoolError::UnknownSpooler(_)));
        let err = spool(&dirs, "h", &[var("priority", "../x")], b"").expect_err("refused");
        assert!(matches!(err, SpoolError::BadPriority));
        assert!(matches!(
            spool(&[], "h", &[], b""),
            Err(SpoolError::NoSpooler)
        ));
    }
}
