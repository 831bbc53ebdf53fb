//! The apps directory: which `*.ini` files it holds and whether each is new,
//! changed or gone since the last look. A file is told apart by a
//! fingerprint taken after following symlinks (device, inode, size, mtime),
//! so re-pointing a symlink, replacing a file by rename, editing it in place
//! or touching it all count as a change, as uWSGI's Emperor reloads a
//! vassal whose mtime moved.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What identifies one version of an ini file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// The owner (an `emperor-tyrant` vassal runs as it).
    pub owner: (u32, u32),
}

impl Fingerprint {
    fn of(meta: &std::fs::Metadata) -> Fingerprint {
        Fingerprint {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            owner: (meta.uid(), meta.gid()),
        }
    }
}

/// The ini files of the directory, by absolute path.
pub type Listing = BTreeMap<PathBuf, Fingerprint>;

/// What a scan found: the apps, and the files uWSGI's Emperor would have
/// run that uwsgid does not (`*.xml`, `*.yaml`, `*.yml`, `*.json`,
/// `*.js`), to be named in the log.
#[derive(Debug, Default)]
pub struct Found {
    pub apps: Listing,
    pub other_formats: Vec<PathBuf>,
}

/// The vassal formats of uWSGI's Emperor other than ini.
const OTHER_FORMATS: [&str; 5] = [".xml", ".yaml", ".yml", ".json", ".js"];

fn is_other_format(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| !n.starts_with('.') && OTHER_FORMATS.iter().any(|e| n.ends_with(e)))
}

/// Lists the apps of `dir`: `*.ini` entries that are regular files or
/// symlinks to regular files. Hidden files (editor leftovers) and dangling
/// symlinks are not apps.
pub fn list(dir: &Path) -> std::io::Result<Found> {
    let mut found = Found::default();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if is_other_format(&path) {
            found.other_formats.push(path);
            continue;
        }
        if !is_app_file_name(&path) {
            continue;
        }
        // Follows symlinks: a link counts as the file it points to.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {
                found.apps.insert(path, Fingerprint::of(&meta));
            }
            Ok(_) | Err(_) => {}
        }
    }
    Ok(found)
}

/// Lists the vassals an Emperor glob matches (`emperor = DIR/*.ini`):
/// the `*.ini` regular files (or links to them) among its matches.
pub fn list_glob(pattern: &str) -> std::io::Result<Found> {
    let mut found = Found::default();
    for path in glob(pattern)? {
        if is_other_format(&path) {
            found.other_formats.push(path);
            continue;
        }
        if !is_app_file_name(&path) {
            continue;
        }
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.is_file()
        {
            found.apps.insert(path, Fingerprint::of(&meta));
        }
    }
    Ok(found)
}

/// The paths `pattern` matches, sorted (glob(3); no match is no error).
fn glob(pattern: &str) -> std::io::Result<Vec<PathBuf>> {
    use std::os::unix::ffi::OsStrExt;
    let c_pattern = std::ffi::CString::new(pattern)
        .map_err(|_| std::io::Error::other("the glob holds a NUL byte"))?;
    // SAFETY: a zeroed glob_t is the initial state glob(3) expects.
    let mut found: libc::glob_t = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and glob_t; globfree below releases it.
    let rc = unsafe { libc::glob(c_pattern.as_ptr(), 0, None, &mut found) };
    let mut paths = Vec::new();
    if rc == 0 {
        for i in 0..found.gl_pathc {
            // SAFETY: glob(3) filled gl_pathv with gl_pathc C strings.
            let entry = unsafe { std::ffi::CStr::from_ptr(*found.gl_pathv.add(i)) };
            paths.push(PathBuf::from(std::ffi::OsStr::from_bytes(entry.to_bytes())));
        }
    }
    // SAFETY: releases what glob(3) allocated (also after an error).
    unsafe { libc::globfree(&mut found) };
    match rc {
        0 | libc::GLOB_NOMATCH => Ok(paths),
        _ => Err(std::io::Error::other(format!(
            "glob({pattern}) failed ({rc})"
        ))),
    }
}

fn is_app_file_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    !name.starts_with('.') && name.len() > ".ini".len() && name.ends_with(".ini")
}

/// How the directory changed between two listings.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    pub added: Vec<PathBuf>,
    pub changed: Vec<PathBuf>,
    pub removed: Vec<PathBuf>,
}

/// The files `now` adds to, changes in or removes from `known`, each list
/// in path order (so of two new files with one name, the first by path
/// keeps it).
pub fn diff(known: &Listing, now: &Listing) -> Diff {
    let mut d = Diff::default();
    for (path, print) in now {
        match known.get(path) {
            None => d.added.push(path.clone()),
            Some(old) if old != print => d.changed.push(path.clone()),
            Some(_) => {}
        }
    }
    d.removed = known
        .keys()
        .filter(|p| !now.contains_key(*p))
        .cloned()
        .collect();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(ino: u64, mtime_ns: i128) -> Fingerprint {
        Fingerprint {
            dev: 1,
            ino,
            size: 10,
            mtime_ns,
            owner: (0, 0),
        }
    }

    #[test]
    fn new_changed_and_removed_files_are_told_apart() {
        let known = Listing::from([
            ("/a/keep.ini".into(), print(1, 5)),
            ("/a/touched.ini".into(), print(2, 5)),
            ("/a/gone.ini".into(), print(3, 5)),
            ("/a/replaced.ini".into(), print(4, 5)),
        ]);
        let now = Listing::from([
            ("/a/keep.ini".into(), print(1, 5)),
            ("/a/touched.ini".into(), print(2, 6)),
            ("/a/replaced.ini".into(), print(9, 5)),
            ("/a/new.ini".into(), print(7, 5)),
        ]);
        let d = diff(&known, &now);
        assert_eq!(d.added, vec![PathBuf::from("/a/new.ini")]);
        assert_eq!(
            d.changed,
            vec![
                PathBuf::from("/a/replaced.ini"),
                PathBuf::from("/a/touched.ini")
            ]
        );
        assert_eq!(d.removed, vec![PathBuf::from("/a/gone.ini")]);
        assert_eq!(diff(&now, &now), Diff::default());
    }

    #[test]
    fn a_glob_lists_the_ini_files_it_matches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        for sub in ["a", "b"] {
            std::fs::create_dir(p.join(sub)).expect("mkdir");
            std::fs::write(p.join(sub).join("app.ini"), "[uwsgi]\n").expect("write");
            std::fs::write(p.join(sub).join("notes.txt"), "x").expect("write");
        }
        let pattern = format!("{}/*/*", p.display());
        let listing = list_glob(&pattern).expect("globs").apps;
        let names: Vec<_> = listing.keys().cloned().collect();
        assert_eq!(names, vec![p.join("a/app.ini"), p.join("b/app.ini")]);
        let none = format!("{}/nothing/*.ini", p.display());
        assert!(list_glob(&none).expect("no match").apps.is_empty());
    }

    #[test]
    fn lists_ini_files_and_links_to_files_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        std::fs::write(p.join("a.ini"), "[uwsgi]\n").expect("write");
        std::fs::write(p.join("notes.txt"), "x").expect("write");
        std::fs::write(p.join(".hidden.ini"), "x").expect("write");
        std::fs::create_dir(p.join("dir.ini")).expect("mkdir");
        std::fs::write(p.join("target.conf"), "[uwsgi]\n").expect("write");
        std::os::unix::fs::symlink(p.join("target.conf"), p.join("b.ini")).expect("link");
        std::os::unix::fs::symlink(p.join("missing"), p.join("dangling.ini")).expect("link");
        std::fs::write(p.join("c.yaml"), "uwsgi:\n").expect("write");
        let found = list(p).expect("lists");
        assert_eq!(found.other_formats, vec![p.join("c.yaml")]);
        let listing = found.apps;
        let names: Vec<_> = listing.keys().filter_map(|k| k.file_name()).collect();
        assert_eq!(names, vec!["a.ini", "b.ini"]);
        let target = std::fs::metadata(p.join("target.conf")).expect("stat");
        assert_eq!(listing[&p.join("b.ini")].ino, target.ino());
    }

    #[test]
    fn touching_a_file_changes_its_fingerprint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.ini");
        std::fs::write(&path, "[uwsgi]\n").expect("write");
        let before = list(dir.path()).expect("lists").apps;
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        file.set_modified(later).expect("touch");
        let after = list(dir.path()).expect("lists").apps;
        assert_eq!(diff(&before, &after).changed, vec![path]);
    }
}
