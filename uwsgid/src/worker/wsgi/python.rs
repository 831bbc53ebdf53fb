//! Starting CPython for the app: `chdir`, `env`, the virtualenv (`home`),
//! then `pythonpath` and the app's directory on `sys.path`; and the fork
//! hooks of the zygote.
//!
//! The interpreter is configured through `PyConfig` (pyo3 0.30 has no safe
//! API for it): a PEP 405 venv is entered by naming its `bin/python` as the
//! program and executable (setting `home` to a venv is fatal), a plain
//! Python prefix is set as `home` (PYTHONHOME). Python installs no signal
//! handlers: signals belong to the worker's runtime.

use std::ffi::{CStr, CString};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyList;

use super::app::WorkerError;
use crate::config::AppConfig;
use crate::log::log_line;

/// Where Python comes from.
enum Home {
    /// The interpreter the binary was built against.
    Default,
    /// A PEP 405 virtualenv (has `pyvenv.cfg`).
    Venv(PathBuf),
    /// A Python prefix (PYTHONHOME).
    Prefix(PathBuf),
}

/// The interpreter pyo3 was configured with at build time.
const BUILD_PYTHON: Option<&str> = option_env!("PYO3_PYTHON");

/// Starts CPython and leaves the GIL released.
pub fn initialize(cfg: &AppConfig) -> Result<(), WorkerError> {
    if let Some(dir) = &cfg.chdir {
        std::env::set_current_dir(dir)
            .map_err(|e| WorkerError::Python(format!("chdir() to {}: {e}", dir.display())))?;
    }
    for (key, value) in &cfg.env {
        // SAFETY: the zygote (or a lazy worker) is still single-threaded
        // here: no other thread can read the environment concurrently.
        unsafe { std::env::set_var(key, value) };
    }
    let home = resolve_home(super::own_venv::home(cfg.home.as_deref()).as_deref())?;
    start_interpreter(&home, cfg.no_site)?;
    let setup = Python::attach(|py| {
        setup_paths(py, cfg)
            .and_then(|()| super::uwsgi_module::register(py, cfg))
            .map_err(|e| format_err(py, e))
    });
    // SAFETY: the interpreter is initialised and this thread holds the GIL
    // (Py_InitializeFromConfig returns with it held).
    unsafe { ffi::PyEval_SaveThread() };
    setup.map_err(WorkerError::Python)
}

fn format_err(py: Python<'_>, err: PyErr) -> String {
    err.display(py);
    err.to_string()
}

/// Checks `home` and tells a venv from a prefix (uWSGI's log lines).
fn resolve_home(home: Option<&Path>) -> Result<Home, WorkerError> {
    let Some(home) = home else {
        return Ok(Home::Default);
    };
    if !home.is_dir() {
        return Err(WorkerError::Python(format!(
            "Python Home is not a directory: {}",
            home.display()
        )));
    }
    let cfg = home.join("pyvenv.cfg");
    if !cfg.exists() {
        log_line!("Set PythonHome to {}", home.display());
        return Ok(Home::Prefix(home.to_path_buf()));
    }
    log_line!("PEP 405 virtualenv detected: {}", home.display());
    let text = std::fs::read_to_string(&cfg)
        .map_err(|e| WorkerError::Python(format!("cannot read {}: {e}", cfg.display())))?;
    let embedded = embedded_version();
    if let Some(venv) = venv_version(&text)
        && major_minor(&venv) != major_minor(&embedded)
    {
        return Err(WorkerError::Python(format!(
            "the virtualenv {} was made by Python {venv}, but uwsgid embeds Python {embedded}; \
             recreate it with python{}",
            home.display(),
            major_minor(&embedded)
        )));
    }
    Ok(Home::Venv(home.to_path_buf()))
}

/// `3.11.7` from `pyvenv.cfg` (`version = …` or uv's `version_info = …`).
pub fn venv_version(pyvenv_cfg: &str) -> Option<String> {
    pyvenv_cfg.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        matches!(key.trim(), "version" | "version_info").then(|| value.trim().to_owned())
    })
}

/// `3.11` of `3.11.7.final.0`.
pub fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The embedded interpreter's version (readable before initialisation).
fn embedded_version() -> String {
    // SAFETY: Py_GetVersion returns a static NUL-terminated string and may
    // be called before Py_Initialize.
    let raw = unsafe { CStr::from_ptr(ffi::Py_GetVersion()) };
    raw.to_string_lossy()
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// Sets one string field of a `PyConfig`.
///
/// # Safety
/// `config` must be initialised and `field` one of its `wchar_t*` fields.
unsafe fn set_field(
    config: *mut ffi::PyConfig,
    field: *mut *mut libc::wchar_t,
    value: &Path,
) -> Result<(), WorkerError> {
    let value = CString::new(value.as_os_str().as_bytes())
        .map_err(|_| WorkerError::Python(format!("invalid path {}", value.display())))?;
    // SAFETY: per the contract above; the string is copied.
    let status = unsafe { ffi::PyConfig_SetBytesString(config, field.cast(), value.as_ptr()) };
    check(status)
}

fn check(status: ffi::PyStatus) -> Result<(), WorkerError> {
    // SAFETY: plain inspection of a returned status value.
    if unsafe { ffi::PyStatus_Exception(status) } == 0 {
        return Ok(());
    }
    let msg = if status.err_msg.is_null() {
        "unknown error".to_owned()
    } else {
        // SAFETY: err_msg is a static C string when set.
        unsafe { CStr::from_ptr(status.err_msg) }
            .to_string_lossy()
            .into_owned()
    };
    Err(WorkerError::Python(msg))
}

fn start_interpreter(home: &Home, no_site: bool) -> Result<(), WorkerError> {
    // SAFETY: the PyConfig is initialised by PyConfig_InitPythonConfig
    // before any field is touched, and cleared on every path after.
    unsafe {
        if ffi::Py_IsInitialized() != 0 {
            return Ok(());
        }
        let mut raw = MaybeUninit::<ffi::PyConfig>::uninit();
        ffi::PyConfig_InitPythonConfig(raw.as_mut_ptr());
        let config = raw.as_mut_ptr();
        (*config).install_signal_handlers = 0;
        (*config).parse_argv = 0;
        // App prints reach the log at once, as uWSGI's do.
        (*config).buffered_stdio = 0;
        // A crash in a C extension prints the Python traceback of every
        // thread to the log (`-X faulthandler`), so the master's line naming
        // the request that crashed the worker comes with where it crashed.
        (*config).faulthandler = 1;
        // `no-site`: uWSGI's Py_NoSiteFlag (`python -S`).
        if no_site {
            (*config).site_import = 0;
        }
        let result =
            configure(config, home).and_then(|()| check(ffi::Py_InitializeFromConfig(config)));
        ffi::PyConfig_Clear(config);
        result
    }
}

/// # Safety
/// `config` must be an initialised `PyConfig`.
unsafe fn configure(config: *mut ffi::PyConfig, home: &Home) -> Result<(), WorkerError> {
    // SAFETY: the fields are wchar_t* fields of the initialised config.
    unsafe {
        match home {
            Home::Venv(venv) => {
                let python = venv.join("bin").join("python");
                set_field(config, &raw mut (*config).program_name, &python)?;
                set_field(config, &raw mut (*config).executable, &python)?;
            }
            Home::Prefix(prefix) => {
                set_field(config, &raw mut (*config).home, prefix)?;
                // sys.executable: the prefix's own interpreter, not
                // whatever `python3` is first on PATH.
                let python = ["python3", "python"]
                    .iter()
                    .map(|name| prefix.join("bin").join(name))
                    .find(|p| p.exists());
                if let Some(python) = python {
                    set_field(config, &raw mut (*config).executable, &python)?;
                }
            }
            Home::Default => {
                if let Some(python) = BUILD_PYTHON.map(Path::new).filter(|p| p.exists()) {
                    set_field(config, &raw mut (*config).program_name, python)?;
                    set_field(config, &raw mut (*config).executable, python)?;
                }
            }
        }
    }
    Ok(())
}

/// `pythonpath` entries first, then the working directory (and the
/// wsgi-file's directory), as uWSGI makes them importable.
fn setup_paths(py: Python<'_>, cfg: &AppConfig) -> PyResult<()> {
    let sys_path = py.import("sys")?.getattr("path")?.cast_into::<PyList>()?;
    let mut front: Vec<PathBuf> = cfg.pythonpath.clone();
    if let Ok(cwd) = std::env::current_dir() {
        front.push(cwd);
    }
    if let Some(dir) = cfg
        .wsgi_file
        .as_deref()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        front.push(std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()));
    }
    let mut seen = std::collections::HashSet::new();
    front.retain(|dir| seen.insert(dir.clone()));
    for (i, dir) in front.iter().enumerate() {
        // A str, not a PathBuf: pyo3 would make that a pathlib.Path, which
        // the import system ignores.
        let entry = dir.to_string_lossy();
        sys_path.insert(i, entry.as_ref())?;
        if i < cfg.pythonpath.len() {
            log_line!("added {entry} to pythonpath.");
        }
    }
    Ok(())
}

/// The GIL state held across a fork of the zygote.
static FORK_GIL: Mutex<Option<ffi::PyGILState_STATE>> = Mutex::new(None);

fn fork_state() -> std::sync::MutexGuard<'static, Option<ffi::PyGILState_STATE>> {
    FORK_GIL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Before `fork(2)`: take the GIL and CPython's fork locks.
pub fn fork_prepare() {
    // SAFETY: only acts on an initialised interpreter; PyGILState_Ensure
    // attaches this thread, as os.fork() holds the GIL around the fork.
    unsafe {
        if ffi::Py_IsInitialized() == 0 {
            return;
        }
        let state = ffi::PyGILState_Ensure();
        ffi::PyOS_BeforeFork();
        *fork_state() = Some(state);
    }
}

/// After `fork(2)` in the parent.
pub fn fork_parent() {
    if let Some(state) = fork_state().take() {
        // SAFETY: pairs with fork_prepare on this thread.
        unsafe {
            ffi::PyOS_AfterFork_Parent();
            ffi::PyGILState_Release(state);
        }
    }
}

/// After `fork(2)` in the child: CPython resets its locks and threads.
pub fn fork_child() {
    if let Some(state) = fork_state().take() {
        // SAFETY: pairs with fork_prepare, which the parent ran before the
        // fork on the thread that is this process's only thread.
        unsafe {
            ffi::PyOS_AfterFork_Child();
            ffi::PyGILState_Release(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venv_versions() {
        assert_eq!(
            venv_version(
                "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"
            ),
            Some("3.11.7".to_owned())
        );
        assert_eq!(
            venv_version("home = /x\nimplementation = CPython\nversion_info = 3.12.1.final.0\n"),
            Some("3.12.1.final.0".to_owned())
        );
        assert_eq!(venv_version("home = /x\n"), None);
        assert_eq!(major_minor("3.12.1.final.0"), "3.12");
        assert_eq!(major_minor("3.11"), "3.11");
    }

    #[test]
    fn home_must_be_a_directory() {
        let err = resolve_home(Some(Path::new("/nonexistent/venv")))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "cannot start the Python interpreter: Python Home is not a directory: /nonexistent/venv"
            )
        );
    }
}
