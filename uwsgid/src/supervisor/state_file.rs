//! `<state-dir>/state.json`: the apps stopped on purpose, so that an app
//! `uwsgictl stop` stopped stays stopped across restarts of the daemon and
//! of the host. Everything else is in the ini files. Written atomically (a
//! temporary file in the same directory, fsync, rename, fsync of the
//! directory), so a crash leaves the old file or the new one, never half.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name inside the state directory.
pub const FILE_NAME: &str = "state.json";

/// What the file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Names of the apps stopped on purpose.
    #[serde(default)]
    pub stopped: BTreeSet<String>,
}

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a valid state file: {source}", path.display())]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The state file of the state directory `dir`.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(dir: &Path) -> StateFile {
        StateFile {
            path: dir.join(FILE_NAME),
        }
    }

    /// The saved state; an empty one when there is no file yet.
    pub fn load(&self) -> Result<State, StateFileError> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(source) => {
                return Err(StateFileError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        serde_json::from_slice(&text).map_err(|source| StateFileError::Corrupt {
            path: self.path.clone(),
            source,
        })
    }

    /// Replaces the file with `state`, atomically.
    pub fn save(&self, state: &State) -> Result<(), StateFileError> {
        let err = |source| StateFileError::Write {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut json = serde_json::to_vec_pretty(state).map_err(|e| err(e.into()))?;
        json.push(b'\n');
        let mut temp = tempfile::Builder::new()
            .prefix(".state.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(err)?;
        temp.write_all(&json).map_err(err)?;
        temp.as_file().sync_all().map_err(err)?;
        temp.persist(&self.path).map_err(|e| err(e.error))?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_an_empty_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = StateFile::new(dir.path()).load().expect("loads");
        assert!(state.stopped.is_empty());
    }

    #[test]
    fn saved_state_is_loaded_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = StateFile::new(&dir.path().join("sub"));
        let mut state = State::default();
        state.stopped.insert("mysite1".into());
        state.stopped.insert("b".into());
        file.save(&state).expect("saves");
        assert_eq!(file.load().expect("loads"), state);
        state.stopped.remove("b");
        file.save(&state).expect("saves again");
        assert_eq!(file.load().expect("loads"), state);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .expect("readdir")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = StateFile::new(dir.path());
        std::fs::write(dir.path().join(FILE_NAME), "{\"stopped\": [1,").expect("write");
        let err = file.load().expect_err("corrupt");
        assert!(matches!(err, StateFileError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("state.json"), "{err}");
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = StateFile::new(dir.path());
        std::fs::write(
            dir.path().join(FILE_NAME),
            r#"{"stopped":["a"],"future":1}"#,
        )
        .expect("write");
        let state = file.load().expect("loads");
        assert!(state.stopped.contains("a"));
    }
}
