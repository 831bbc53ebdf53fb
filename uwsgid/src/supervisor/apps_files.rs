//! Changing the apps directory for `add` and `remove`: an ini from
//! elsewhere is linked in (so `/etc/uwsgi/apps-available` style layouts
//! keep working), and taking an app out unlinks its link or, for a file
//! that lives in the apps directory, moves it aside rather than deleting
//! what may be the only copy.

use std::path::{Path, PathBuf};

use tonic::Status;

/// Makes `ini` an app of the apps directory as `link`. Ok(true) when a
/// symlink was made, Ok(false) when it was there already.
pub fn place_in_apps_dir(ini: &Path, link: &Path) -> Result<bool, Status> {
    if ini == link {
        return Ok(false);
    }
    if std::fs::symlink_metadata(link).is_ok() {
        let same = match (std::fs::canonicalize(link), std::fs::canonicalize(ini)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Ok(false);
        }
        return Err(Status::invalid_argument(format!(
            "{} already exists in the apps directory (and is not {})",
            link.display(),
            ini.display()
        )));
    }
    std::os::unix::fs::symlink(ini, link).map_err(|err| {
        Status::failed_precondition(format!(
            "cannot link {} to {}: {err}",
            link.display(),
            ini.display()
        ))
    })?;
    Ok(true)
}

/// Takes `path` out of the apps directory: a symlink is removed (None), a
/// regular file moved into `removed_dir` (Some(where it went)).
pub fn take_out(path: &Path, removed_dir: &Path) -> Result<Option<PathBuf>, Status> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_status("cannot read", path, &err)),
    };
    if meta.file_type().is_symlink() {
        std::fs::remove_file(path).map_err(|e| io_status("cannot unlink", path, &e))?;
        return Ok(None);
    }
    std::fs::create_dir_all(removed_dir)
        .map_err(|e| io_status("cannot create", removed_dir, &e))?;
    let dest = free_name(removed_dir, path.file_name().unwrap_or_default());
    if let Err(err) = std::fs::rename(path, &dest) {
        // Another file system: copy, then remove the original.
        if err.raw_os_error() != Some(libc::EXDEV) {
            return Err(io_status("cannot move", path, &err));
        }
        std::fs::copy(path, &dest).map_err(|e| io_status("cannot copy", path, &e))?;
        std::fs::remove_file(path).map_err(|e| io_status("cannot remove", path, &e))?;
    }
    Ok(Some(dest))
}

/// `dir/name`, or `dir/name.1`, `.2` … if taken.
fn free_name(dir: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let first = dir.join(name);
    if std::fs::symlink_metadata(&first).is_err() {
        return first;
    }
    (1u32..)
        .map(|n| {
            let mut candidate = name.to_os_string();
            candidate.push(format!(".{n}"));
            dir.join(candidate)
        })
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .unwrap_or(first)
}

fn io_status(what: &str, path: &Path, err: &std::io::Error) -> Status {
    Status::failed_precondition(format!("{what} {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outside_ini_is_linked_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ini = dir.path().join("available/a.ini");
        std::fs::create_dir_all(dir.path().join("available")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("enabled")).expect("mkdir");
        std::fs::write(&ini, "[uwsgi]\n").expect("write");
        let link = dir.path().join("enabled/a.ini");
        assert!(place_in_apps_dir(&ini, &link).expect("links"));
        assert_eq!(std::fs::read_link(&link).expect("a link"), ini);
        assert!(!place_in_apps_dir(&ini, &link).expect("already there"));
        let other = dir.path().join("b.ini");
        std::fs::write(&other, "[uwsgi]\n").expect("write");
        let err = place_in_apps_dir(&other, &link).expect_err("taken");
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn links_are_unlinked_and_files_moved_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let removed = dir.path().join("state/removed");
        let target = dir.path().join("t.ini");
        std::fs::write(&target, "x").expect("write");
        let link = dir.path().join("l.ini");
        std::os::unix::fs::symlink(&target, &link).expect("link");
        assert_eq!(take_out(&link, &removed).expect("unlinks"), None);
        assert!(target.exists() && std::fs::symlink_metadata(&link).is_err());

        for round in 0..2 {
            let file = dir.path().join("f.ini");
            std::fs::write(&file, format!("{round}")).expect("write");
            let dest = take_out(&file, &removed).expect("moves").expect("a file");
            assert!(!file.exists());
            assert_eq!(
                std::fs::read_to_string(&dest).expect("read"),
                round.to_string()
            );
        }
        assert!(removed.join("f.ini").exists() && removed.join("f.ini.1").exists());
        assert_eq!(
            take_out(&dir.path().join("gone.ini"), &removed).expect("ok"),
            None
        );
    }
}
