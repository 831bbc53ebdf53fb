//! `uid`/`gid`: the master drops root for itself and every child, in
//! uWSGI's order (`uwsgi_as_root`, core/utils.c): setgid, then initgroups
//! for the user (or an empty supplementary list without `uid`), then
//! setuid. Names are resolved at drop time (`user X not found.` /
//! `group X not found.`).
//!
//! After the drop the master checks that the Python installation (the
//! loaded libpython, its standard library, the `home` virtualenv) can be
//! read by the new user: the children exec'd next would otherwise fail in
//! the dynamic loader or in CPython's init with a message that does not
//! name the cause.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use nix::unistd::{AccessFlags, Gid, Group, Uid, User, access};

use crate::config::AppConfig;
use crate::log::log_line;

#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("user {0} not found.")]
    NoUser(String),
    #[error("group {0} not found.")]
    NoGroup(String),
    #[error("{0}() failed: {1}")]
    Sys(&'static str, nix::Error),
    #[error(
        "cannot read the Python installation at {path} as user {user} (uid {uid}): {err}; make it readable (and its directories traversable) by that user"
    )]
    PythonUnreadable {
        path: PathBuf,
        user: String,
        uid: u32,
        err: nix::Error,
    },
}

/// The identity `uid`/`gid` name, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: Option<Uid>,
    pub gid: Option<Gid>,
    /// The user's name, for initgroups.
    pub user_name: Option<String>,
}

/// What to drop to: only a root master drops (uWSGI ignores `uid`/`gid`
/// otherwise: the process already runs as whoever started it).
pub fn to_drop(cfg: &AppConfig) -> Result<Option<Identity>, PrivilegeError> {
    if Uid::effective().is_root() {
        resolve(cfg)
    } else {
        Ok(None)
    }
}

/// Resolves `uid`/`gid` (names or numbers); `None` when neither is set.
pub fn resolve(cfg: &AppConfig) -> Result<Option<Identity>, PrivilegeError> {
    if cfg.uid.is_none() && cfg.gid.is_none() {
        return Ok(None);
    }
    let (uid, user_name) = match cfg.uid.as_deref() {
        None => (None, None),
        Some(value) => {
            let (uid, name) = lookup_user(value)?;
            (Some(uid), name)
        }
    };
    let gid = cfg.gid.as_deref().map(lookup_group).transpose()?;
    Ok(Some(Identity {
        uid,
        gid,
        user_name,
    }))
}

/// The uid and, when the passwd database knows it, the user's name.
fn lookup_user(value: &str) -> Result<(Uid, Option<String>), PrivilegeError> {
    let found = match value.parse::<u32>() {
        Ok(n) => User::from_uid(Uid::from_raw(n)),
        Err(_) => User::from_name(value),
    };
    match (found, value.parse::<u32>()) {
        (Ok(Some(user)), _) => Ok((user.uid, Some(user.name))),
        // A number without a passwd entry is still a uid (no initgroups).
        (_, Ok(n)) => Ok((Uid::from_raw(n), None)),
        _ => Err(PrivilegeError::NoUser(value.to_string())),
    }
}

fn lookup_group(value: &str) -> Result<Gid, PrivilegeError> {
    if let Ok(n) = value.parse::<u32>() {
        return Ok(Gid::from_raw(n));
    }
    match Group::from_name(value) {
        Ok(Some(group)) => Ok(group.gid),
        _ => Err(PrivilegeError::NoGroup(value.to_string())),
    }
}

/// Drops to `id`: setgid, supplementary groups, setuid, with uWSGI's lines.
pub fn drop_to(id: &Identity) -> Result<(), PrivilegeError> {
    if let Some(gid) = id.gid {
        nix::unistd::setgid(gid).map_err(|e| PrivilegeError::Sys("setgid", e))?;
        log_line!("setgid() to {gid}");
    }
    match (id.user_name.as_deref(), id.uid) {
        (Some(name), Some(_)) => {
            let name = CString::new(name).map_err(|_| PrivilegeError::NoUser(name.into()))?;
            let group = id.gid.unwrap_or_else(nix::unistd::getgid);
            nix::unistd::initgroups(&name, group)
                .map_err(|e| PrivilegeError::Sys("initgroups", e))?;
        }
        _ => nix::unistd::setgroups(&[]).map_err(|e| PrivilegeError::Sys("setgroups", e))?,
    }
    if let Some(uid) = id.uid {
        nix::unistd::setuid(uid).map_err(|e| PrivilegeError::Sys("setuid", e))?;
        log_line!("setuid() to {uid}");
    }
    Ok(())
}

/// uWSGI's warning for a root master without `uid`.
pub fn root_warning(cfg: &AppConfig) -> Option<&'static str> {
    (cfg.uid.is_none() && Uid::effective().is_root())
        .then_some("*** WARNING: you are running uWSGI as root !!! (use the --uid flag) ***")
}

/// Checks, as the current (dropped) user, that the Python the children
/// will load can be read: libpython (found in this process's mappings), the
/// standard library next to it, and the `home` virtualenv.
pub fn check_python_access(cfg: &AppConfig) -> Result<(), PrivilegeError> {
    let mut paths = Vec::new();
    if let Some(lib) = loaded_libpython() {
        paths.extend(stdlib_of(&lib));
        paths.push(lib);
    }
    paths.extend(cfg.home.clone());
    for path in paths {
        let mode = if path.is_dir() {
            AccessFlags::R_OK | AccessFlags::X_OK
        } else {
            AccessFlags::R_OK
        };
        if let Err(err) = access(&path, mode) {
            let uid = Uid::current();
            let user = User::from_uid(uid)
                .ok()
                .flatten()
                .map_or_else(|| uid.to_string(), |u| u.name);
            return Err(PrivilegeError::PythonUnreadable {
                path,
                user,
                uid: uid.as_raw(),
                err,
            });
        }
    }
    Ok(())
}

/// The libpython this process mapped (from `/proc/self/maps`).
fn loaded_libpython() -> Option<PathBuf> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .find(|path| {
            Path::new(path)
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("libpython"))
        })
        .map(PathBuf::from)
}

/// `<libdir>/pythonX.Y` for `<libdir>/libpythonX.Y.so…`; where the library
/// sits in a multiarch directory and the standard library one level up
/// (Debian: `/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0` and
/// `/usr/lib/python3.11`), that one.
fn stdlib_of(lib: &Path) -> Option<PathBuf> {
    let name = lib.file_name()?.to_string_lossy();
    let version = name.strip_prefix("libpython")?.split(".so").next()?;
    let dir = format!("python{version}");
    let libdir = lib.parent()?;
    let beside = libdir.join(&dir);
    let above = libdir.parent().map(|up| up.join(&dir));
    match above {
        Some(above) if !beside.exists() && above.exists() => Some(above),
        _ => Some(beside),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_sits_next_to_libpython() {
        assert_eq!(
            stdlib_of(Path::new("/opt/py/lib/libpython3.11.so.1.0")),
            Some(PathBuf::from("/opt/py/lib/python3.11"))
        );
        assert_eq!(stdlib_of(Path::new("/opt/libfoo.so")), None);
    }

    #[test]
    fn stdlib_above_a_multiarch_libdir() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let multiarch = dir.path().join("lib/x86_64-linux-gnu");
        std::fs::create_dir_all(&multiarch)?;
        std::fs::create_dir_all(dir.path().join("lib/python3.11"))?;
        assert_eq!(
            stdlib_of(&multiarch.join("libpython3.11.so.1.0")),
            Some(dir.path().join("lib/python3.11"))
        );
        Ok(())
    }

    #[test]
    fn names_and_numbers_resolve() {
        let cfg = AppConfig {
            uid: Some("0".into()),
            gid: Some("root".into()),
            ..AppConfig::default()
        };
        let id = resolve(&cfg).expect("resolves").expect("set");
        assert_eq!(id.uid, Some(Uid::from_raw(0)));
        assert_eq!(id.gid, Some(Gid::from_raw(0)));
        assert_eq!(id.user_name.as_deref(), Some("root"));
        let missing = AppConfig {
            uid: Some("no-such-user-here".into()),
            ..AppConfig::default()
        };
        assert_eq!(
            resolve(&missing).err().map(|e| e.to_string()),
            Some("user no-such-user-here not found.".into())
        );
        let numeric = AppConfig {
            gid: Some("12345".into()),
            ..AppConfig::default()
        };
        let id = resolve(&numeric).expect("resolves").expect("set");
        assert_eq!((id.uid, id.gid), (None, Some(Gid::from_raw(12345))));
        assert!(resolve(&AppConfig::default()).expect("ok").is_none());
    }

    #[test]
    fn this_process_maps_libpython() {
        let lib = loaded_libpython().expect("libpython is linked");
        assert!(lib.exists(), "{}", lib.display());
        assert!(stdlib_of(&lib).is_some_and(|d| d.join("os.py").exists()));
    }
}
