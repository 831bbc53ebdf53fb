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

/// The variable naming another directory holding the binaries under test.
pub const BIN_DIR_VAR: &str = "UWSGID_TEST_BIN_DIR";

/// Where the binaries under test are: `UWSGID_TEST_BIN_DIR` when set
/// (scripts/test points it at `VENV/bin` after a `pip install` of the
/// checkout for another CPython), else this build's profile directory.
fn bin_dir() -> Result<PathBuf> {
    match std::env::var_os(BIN_DIR_VAR) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => profile_dir(),
    }
}

fn binary(name: &str) -> Result<PathBuf> {
    let path = bin_dir()?.join(name);
    if !path.is_file() {
        bail!(
            "{} is not built: run `cargo build --workspace` first (scripts/test does), \
             or point {BIN_DIR_VAR} at a directory holding uwsgid and uwsgictl",
            path.display()
        );
    }
    Ok(path)
}

/// The `uwsgid` binary under test (`target/debug/uwsgid`, or the one in
/// `UWSGID_TEST_BIN_DIR`).
pub fn uwsgid_bin() -> Result<PathBuf> {
    binary("uwsgid")
}

/// The `uwsgictl` binary under test (`target/debug/uwsgictl`, or the one in
/// `UWSGID_TEST_BIN_DIR`).
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

/// The CPython `major.minor` a virtualenv was made by (`version = 3.13.0`,
/// or uv's `version_info`, in its `pyvenv.cfg`).
pub fn venv_major_minor(venv: &Path) -> Result<String> {
    let path = venv.join("pyvenv.cfg");
    let cfg = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let version = cfg
        .lines()
        .filter_map(|line| line.split_once('='))
        .find(|(key, _)| matches!(key.trim(), "version" | "version_info"))
        .map(|(_, value)| value.trim().to_owned())
        .with_context(|| format!("no version in {}", path.display()))?;
    Ok(version.split('.').take(2).collect::<Vec<_>>().join("."))
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
