//! Where things are: the built binaries, the repository's test apps and
//! fixtures, the test virtualenv and Django project made by `scripts/test`,
//! and the shared reference directory.
//!
//! Anything missing is an error that says how to make it: the tests never
//! skip because their environment is incomplete.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The repository's top directory (the parent of the `tests` package).
pub fn repo_root() -> PathBuf {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests.parent().unwrap_or(tests).to_path_buf()
}

/// `tests/apps/<name>`, which must exist.
pub fn app_path(name: &str) -> PathBuf {
    existing(repo_root().join("tests/apps").join(name))
}

/// `tests/fixtures/<name>`, which must exist.
pub fn fixture_path(name: &str) -> PathBuf {
    existing(repo_root().join("tests/fixtures").join(name))
}

fn existing(path: PathBuf) -> PathBuf {
    assert!(path.exists(), "{} does not exist", path.display());
    path
}

/// The cargo profile directory the tests run from (`target/debug`): the test
/// binary is `target/debug/deps/e2e-HASH`.
fn profile_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the test executable")?;
    let deps = exe
        .parent()
        .context("test executable has no parent directory")?;
    let profile = if deps.ends_with("deps") {
        deps.parent()
    } else {
        Some(deps)
    };
    profile
        .map(Path::to_path_buf)
        .with_context(|| format!("cannot find the target directory above {}", exe.display()))
}

fn binary(name: &str) -> Result<PathBuf> {
    let path = profile_dir()?.join(name);
    if !path.is_file() {
        bail!(
            "{} is not built: run `cargo build --workspace` first (scripts/test does)",
            path.display()
        );
    }
    Ok(path)
}

/// The `uwsgid` binary of this build (`target/debug/uwsgid`).
pub fn uwsgid_bin() -> Result<PathBuf> {
    binary("uwsgid")
}

/// The `uwsgictl` binary of this build (`target/debug/uwsgictl`).
pub fn uwsgictl_bin() -> Result<PathBuf> {
    binary("uwsgictl")
}

/// The test virtualenv (`UWSGID_TEST_VENV`, made by `scripts/test`). Fails
/// loudly when it is not set or not a virtualenv: a test that needs it must
/// not silently pass without it.
pub fn venv() -> Result<PathBuf> {
    let dir = env_dir("UWSGID_TEST_VENV")?;
    if !dir.join("bin/python").exists() || !dir.join("pyvenv.cfg").is_file() {
        bail!(
            "UWSGID_TEST_VENV={} is not a virtualenv: run scripts/test",
            dir.display()
        );
    }
    Ok(dir)
}

/// The test virtualenv's interpreter.
pub fn venv_python() -> Result<PathBuf> {
    Ok(venv()?.join("bin/python"))
}

/// The Django project made by `scripts/test` (`UWSGID_TEST_DJANGO`), with the
/// package `testsite` and the views app `testviews`.
pub fn django_project() -> Result<PathBuf> {
    let dir = env_dir("UWSGID_TEST_DJANGO")?;
    if !dir.join("testsite/wsgi.py").is_file() {
        bail!(
            "UWSGID_TEST_DJANGO={} holds no Django project: run scripts/test",
            dir.display()
        );
    }
    Ok(dir)
}

fn env_dir(var: &str) -> Result<PathBuf> {
    match std::env::var_os(var) {
        Some(value) if !value.is_empty() => Ok(PathBuf::from(value)),
        _ => bail!("{var} is not set: run scripts/test, which makes it and exports {var}"),
    }
}

/// The shared reference directory: `../shared` beside the repository, else
/// `/work/shared`. Fails loudly when neither exists.
pub fn shared_dir() -> Result<PathBuf> {
    let beside = repo_root().join("../shared");
    for dir in [beside, PathBuf::from("/work/shared")] {
        if dir.is_dir() {
            return Ok(dir);
        }
    }
    bail!(
        "no shared directory: expected {} or /work/shared",
        repo_root().join("../shared").display()
    )
}
