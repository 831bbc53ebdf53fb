//! A per-test temporary directory, removed when the test ends.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A fresh directory under the system temp dir (short paths: unix socket
/// addresses are limited to 108 bytes), removed on drop.
#[derive(Debug)]
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Result<TestDir> {
        let dir = tempfile::Builder::new()
            .prefix("uwsgid-e2e-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        Ok(TestDir { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<dir>/<name>`.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `<dir>/<name>` (creating parent directories) and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> Result<PathBuf> {
        let path = self.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}
