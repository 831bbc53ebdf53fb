//! Tests of the whole engine: ini files in a temporary directory, resolved
//! through [`super::check_with`] with a controlled environment.

mod cli;
mod files;
mod fuzz;
mod props;
mod references;
mod seed;
mod semantics;

use super::{Context, Resolution, check_with};
use std::ffi::OsString;
use std::path::PathBuf;

/// A scratch directory that is the engine's cwd, with a fixed environment.
pub struct Dir {
    pub tmp: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("tempdir"),
            env: Vec::new(),
        }
    }

    pub fn write(&self, name: &str, body: impl AsRef<[u8]>) -> &Self {
        let p = self.tmp.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, body).expect("write");
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn ctx(&self) -> Context {
        Context {
            env: self.env.clone(),
            cwd: self.tmp.path().to_path_buf(),
            hostname: "testhost".into(),
            cpus: 4,
            ..Context::default()
        }
    }

    pub fn run(&self, args: &[&str]) -> Resolution {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        check_with(&args, &self.ctx())
    }

    /// Resolves `body` written as `uwsgi.ini`.
    pub fn ini(&self, body: &str) -> Resolution {
        self.write("uwsgi.ini", body);
        self.run(&["--ini", "uwsgi.ini"])
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

/// Resolves one ini text in a fresh directory.
pub fn ini(body: &str) -> Resolution {
    Dir::new().ini(body)
}

pub fn errors(r: &Resolution) -> Vec<String> {
    r.errors
        .iter()
        .flat_map(super::ConfigError::messages)
        .collect()
}

/// The resolution must have no errors.
pub fn ok(r: Resolution) -> Resolution {
    assert!(r.errors.is_empty(), "unexpected errors: {:?}", errors(&r));
    r
}

pub fn opt<'a>(r: &'a Resolution, name: &str) -> Option<&'a serde_json::Value> {
    r.options.get(name)
}
