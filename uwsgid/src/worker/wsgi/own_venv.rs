//! The virtualenv uwsgid is installed in (`pip install uwsgid` puts the
//! binary into `VENV/bin/`): without `home`/`virtualenv`, a worker runs the
//! app inside it, so the app imports that venv's packages. uWSGI's
//! pip-installed binary ignores its own venv; an explicit `home` still wins.

use std::path::{Path, PathBuf};

use crate::log::log_line;

/// The home to start Python with: the configured one, else the venv the
/// running executable belongs to, else none (the interpreter of the build).
pub fn home(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(home) = configured {
        return Some(home.to_path_buf());
    }
    // current_exe is /proc/self/exe: symlinks are resolved, so a link to a
    // build elsewhere does not count as installed in the link's venv.
    let venv = std::env::current_exe()
        .ok()
        .and_then(|exe| venv_of_executable(&exe))?;
    log_line!(
        "uwsgid is installed in the virtualenv {}: using it as home",
        venv.display()
    );
    Some(venv)
}

/// `VENV` when `exe` is `VENV/bin/NAME` and `VENV/pyvenv.cfg` exists.
fn venv_of_executable(exe: &Path) -> Option<PathBuf> {
    let bin = exe.parent()?;
    let venv = bin.parent()?;
    (bin.file_name()? == "bin" && venv.join("pyvenv.cfg").is_file()).then(|| venv.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_executable_in_a_venvs_bin_belongs_to_it() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let venv = dir.path().join("venv");
        std::fs::create_dir_all(venv.join("bin"))?;
        std::fs::create_dir_all(venv.join("lib"))?;
        let exe = venv.join("bin/uwsgid");
        assert_eq!(venv_of_executable(&exe), None, "no pyvenv.cfg yet");
        std::fs::write(venv.join("pyvenv.cfg"), "home = /usr/bin\n")?;
        assert_eq!(venv_of_executable(&exe), Some(venv.clone()));
        assert_eq!(venv_of_executable(&venv.join("lib/uwsgid")), None);
        assert_eq!(venv_of_executable(Path::new("/uwsgid")), None);
        Ok(())
    }

    #[test]
    fn a_configured_home_wins() {
        assert_eq!(
            home(Some(Path::new("/srv/venv"))),
            Some(PathBuf::from("/srv/venv"))
        );
    }
}
