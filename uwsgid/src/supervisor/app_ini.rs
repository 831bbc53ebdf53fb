//! What the supervisor needs to know of an app's ini before starting it:
//! whether it resolves, the app's name (`project` placeholder, else the
//! file's stem) and how long a graceful stop may take.

use std::path::Path;
use std::time::Duration;

use crate::control::check;

/// An ini that resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppIni {
    pub name: String,
    /// The app's reload-mercy (worker-reload-mercy when unset): what a
    /// graceful stop may take before the app master kills what is left.
    pub mercy: Duration,
}

/// Why an ini cannot be run: every error, each naming file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .errors.join("; "))]
pub struct IniError {
    pub errors: Vec<String>,
}

/// Resolves the ini at `path` as the app master will (same environment,
/// same working directory: the supervisor runs in the apps directory).
pub fn resolve(path: &Path) -> Result<AppIni, IniError> {
    let ini = path.to_string_lossy();
    let r = check::resolve_ini(&ini);
    let errors = check::error_messages(&r);
    if !errors.is_empty() {
        return Err(IniError { errors });
    }
    let name = check::app_name(&r, &ini);
    if !valid_name(&name) {
        return Err(IniError {
            errors: vec![format!(
                "{}: the app name {name:?} cannot name a socket file (set `project` to letters, \
                 digits, '.', '-' or '_')",
                path.display()
            )],
        });
    }
    let mercy = Duration::from_secs(r.app.reload_mercy.unwrap_or(r.app.worker_reload_mercy));
    Ok(AppIni { name, mercy })
}

/// The file's stem: the name of an app whose ini names no `project`, and
/// of one whose ini does not resolve.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `name` can be an app's name: it becomes `apps/<name>.sock` and
/// `<name>.log`, and is typed on command lines.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn the_name_is_the_project_else_the_stem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = write(dir.path(), "mysite1.ini", "[uwsgi]\nhttp-socket = :0\n");
        assert_eq!(resolve(&plain).expect("resolves").name, "mysite1");
        let project = write(
            dir.path(),
            "x.ini",
            "[uwsgi]\nproject = shop\nhttp-socket = :0\n",
        );
        assert_eq!(resolve(&project).expect("resolves").name, "shop");
    }

    #[test]
    fn mercy_is_reload_mercy_else_worker_reload_mercy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = write(dir.path(), "a.ini", "[uwsgi]\nreload-mercy = 7\n");
        assert_eq!(resolve(&a).expect("resolves").mercy, Duration::from_secs(7));
        let b = write(dir.path(), "b.ini", "[uwsgi]\nworker-reload-mercy = 9\n");
        assert_eq!(resolve(&b).expect("resolves").mercy, Duration::from_secs(9));
    }

    #[test]
    fn a_bad_ini_names_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = write(dir.path(), "bad.ini", "[uwsgi]\nprocesses = 0\n");
        let err = resolve(&bad).expect_err("processes = 0 is refused");
        assert!(err.to_string().contains("bad.ini:2"), "{err}");
    }

    #[test]
    fn names_must_fit_a_file_name() {
        assert!(valid_name("mysite1"));
        assert!(valid_name("shop-v2.prod_x"));
        assert!(!valid_name(""));
        assert!(!valid_name(".."));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("a b"));
    }
}
