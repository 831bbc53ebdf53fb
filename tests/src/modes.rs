//! Directory modes changed for a test that runs something as another user
//! (the CPython and the build of these machines sit under directories other
//! users cannot traverse), restored on drop. One lock serialises every test
//! that changes modes, so one never restores what another still needs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static MODES: Mutex<()> = Mutex::new(());

/// Modes changed so far, restored (last first) on drop; holds the lock.
pub struct ModeGuard {
    saved: Vec<(PathBuf, u32)>,
    _lock: MutexGuard<'static, ()>,
}

impl ModeGuard {
    /// Waits for any other test changing modes to finish.
    pub fn new() -> ModeGuard {
        ModeGuard {
            saved: Vec::new(),
            _lock: MODES.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Sets the mode of `dir` to `mode(old mode)`.
    pub fn set(&mut self, dir: &Path, mode: impl Fn(u32) -> u32) -> std::io::Result<()> {
        let old = std::fs::metadata(dir)?.permissions().mode() & 0o7777;
        let new = mode(old);
        if new != old {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(new))?;
            self.saved.push((dir.to_path_buf(), old));
        }
        Ok(())
    }

    /// Makes `path` and every directory above it traversable by others.
    pub fn traversable(&mut self, path: &Path) -> std::io::Result<()> {
        for dir in path.ancestors().filter(|d| d.is_dir()) {
            self.set(dir, |m| m | 0o001)?;
        }
        Ok(())
    }
}

impl Default for ModeGuard {
    fn default() -> Self {
        ModeGuard::new()
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        for (dir, mode) in self.saved.iter().rev() {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(*mode));
        }
    }
}
