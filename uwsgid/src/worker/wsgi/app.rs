//! Importing the WSGI callables: `module = pkg.mod[:callable]` or
//! `wsgi-file = path`, the callable named by `callable` (default
//! `application`), a name ending in `()` called as a factory; and each
//! `mount = /prefix=app` after it. A failure
//! logs the traceback and uWSGI's lines, and is fatal unless `need-app` is
//! off (then requests are answered 500, uWSGI's "full dynamic mode").

use std::path::Path;
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::config::AppConfig;
use crate::log::log_line;
use crate::protocol::mounts;
use crate::protocol::request::RequestHead;

/// Why a worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The interpreter could not be started (bad virtualenv, unreadable stdlib, …).
    #[error("cannot start the Python interpreter: {0}")]
    Python(String),
    /// The app could not be imported; the traceback has been logged.
    #[error("cannot load the WSGI app: {0}")]
    App(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The loaded WSGI apps: app 0 (`module`/`wsgi-file`, else the first
/// `mount`) and the mounted ones, in uWSGI's order; none when `need-app`
/// is off and nothing loaded (every request is then answered 500).
pub struct App {
    callables: Vec<Py<PyAny>>,
    /// Requests each app served in this worker (uWSGI's `app: A|req: N/…`).
    requests: Vec<std::sync::atomic::AtomicU64>,
    /// The mountpoint of each callable (`""` for `module`/`wsgi-file`).
    mountpoints: Vec<String>,
    manage_script_name: bool,
    vhost: bool,
}

impl App {
    /// `manage-script-name`: the mountpoint prefixing PATH_INFO becomes
    /// SCRIPT_NAME (see `protocol/mounts.rs`).
    pub fn manage_script_name(&self, head: &mut RequestHead) {
        if self.manage_script_name {
            mounts::manage_script_name(head, &self.mountpoints);
        }
    }

    /// The app a request goes to (see `protocol/mounts.rs`), with its
    /// index; the request counts as that app's. A single app, the common
    /// case, costs no lookup.
    pub fn choose<'a, 'py>(
        &'a self,
        py: Python<'py>,
        head: &RequestHead,
    ) -> Option<(AppServed, &'a Bound<'py, PyAny>)> {
        let index = match self.callables.len() {
            0 | 1 => 0,
            _ => mounts::choose(head, &self.mountpoints, self.vhost),
        };
        let app = self.callables.get(index)?.bind(py);
        let requests = self.requests.get(index).map_or(0, |n| {
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
        });
        Some((AppServed { index, requests }, app))
    }
}

/// Which app served a request and how many it has served in this worker
/// (its log line's `app: A|req: N/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppServed {
    pub index: usize,
    pub requests: u64,
}

/// Why the app could not be loaded.
enum Failure {
    /// A Python exception (its traceback is logged).
    Python(PyErr),
    /// A uWSGI-style message.
    Message(String),
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Self {
        Failure::Python(e)
    }
}

/// Imports app 0 and every `mount`, logging each as uWSGI does. A failure
/// is fatal with `need-app`; without it the app is skipped.
pub fn load(cfg: &AppConfig) -> Result<App, WorkerError> {
    Python::attach(|py| {
        set_argv(py, cfg.pyargv.as_deref());
        let mut app = App {
            callables: Vec::new(),
            requests: Vec::new(),
            mountpoints: Vec::new(),
            manage_script_name: cfg.manage_script_name,
            vhost: cfg.vhost,
        };
        let has_main = cfg.module.as_deref().is_some_and(|m| !m.is_empty())
            || cfg.wsgi_file.is_some()
            || cfg.paste.is_some();
        if has_main || cfg.mounts.is_empty() {
            load_one(py, cfg, &mut app, "", |py| import(py, cfg))?;
        }
        for (mountpoint, target) in &cfg.mounts {
            log_line!("mounting {target} on {mountpoint}");
            load_one(py, cfg, &mut app, mountpoint, |py| {
                import_mount(py, cfg, target)
            })?;
        }
        if app.callables.is_empty() {
            log_line!("*** no app loaded. going in full dynamic mode ***");
        }
        Ok(app)
    })
}

/// `sys.argv` as uWSGI sets it: `['uwsgi']`, then `pyargv` split at
/// whitespace (no quoting, as in uWSGI).
fn set_argv(py: Python<'_>, pyargv: Option<&str>) {
    let mut argv = vec!["uwsgi"];
    argv.extend(pyargv.unwrap_or("").split_whitespace());
    let set = py.import("sys").and_then(|sys| sys.setattr("argv", argv));
    if let Err(err) = set {
        err.display(py);
    }
}

/// Imports one app with `import` and adds it at `mountpoint`.
fn load_one<'py>(
    py: Python<'py>,
    cfg: &AppConfig,
    app: &mut App,
    mountpoint: &str,
    import: impl FnOnce(Python<'py>) -> Result<Bound<'py, PyAny>, Failure>,
) -> Result<(), WorkerError> {
    let started = Instant::now();
    let id = app.callables.len();
    match import(py) {
        Ok(callable) => {
            log_line!(
                "WSGI app {id} (mountpoint='{mountpoint}') ready in {} seconds on interpreter {:p} pid: {}{}",
                started.elapsed().as_secs(),
                callable.as_ptr(),
                std::process::id(),
                if id == 0 { " (default app)" } else { "" }
            );
            app.callables.push(callable.unbind());
            app.requests.push(std::sync::atomic::AtomicU64::new(0));
            app.mountpoints.push(mountpoint.to_owned());
            Ok(())
        }
        Err(failure) => {
            let message = match failure {
                Failure::Python(err) => {
                    err.display(py);
                    err.to_string()
                }
                Failure::Message(m) => {
                    log_line!("{m}");
                    m
                }
            };
            log_line!(
                "unable to load app {id} (mountpoint='{mountpoint}') (callable not found or import error)"
            );
            if cfg.need_app {
                // The master decides whether this is the end (the first
                // zygote: GAME OVER) or not (a reload keeps the old
                // workers; a lazy worker is retried), and says so.
                Err(WorkerError::App(message))
            } else {
                Ok(())
            }
        }
    }
}

/// A `mount` target, as uWSGI's mount loader reads it: a `.py`/`.wsgi`
/// file, or `module:callable`; a bare module name uses `callable` (uWSGI
/// 2.0.31 silently loads nothing for it, see `docs/compatibility.md`).
fn import_mount<'py>(
    py: Python<'py>,
    cfg: &AppConfig,
    target: &str,
) -> Result<Bound<'py, PyAny>, Failure> {
    if target.ends_with(".py") || target.ends_with(".wsgi") {
        let path = Path::new(target);
        let module = import_file(py, path)?;
        return find_callable(&module, &cfg.callable, &format!("file {}", path.display()));
    }
    if target.ends_with(".ini") {
        return Err(Failure::Message(format!(
            "cannot mount {target}: uwsgid does not load Paste deployment files"
        )));
    }
    let (name, callable) = target
        .split_once(':')
        .unwrap_or((target, cfg.callable.as_str()));
    let module = py.import(name)?;
    find_callable(&module, callable, &format!("module {name}"))
}

fn import<'py>(py: Python<'py>, cfg: &AppConfig) -> Result<Bound<'py, PyAny>, Failure> {
    if let Some(module) = cfg.module.as_deref().filter(|m| !m.is_empty()) {
        let (name, callable) = match module.split_once(':') {
            Some((name, callable)) => (name, callable),
            None => (module, cfg.callable.as_str()),
        };
        let module = py.import(name)?;
        return find_callable(&module, callable, &format!("module {name}"));
    }
    if let Some(file) = cfg.wsgi_file.as_deref() {
        let module = import_file(py, file)?;
        return find_callable(&module, &cfg.callable, &format!("file {}", file.display()));
    }
    if let Some(paste) = cfg.paste.as_deref() {
        return Ok(super::paste::load(py, paste, cfg.paste_logger)?);
    }
    Err(Failure::Message("no module or wsgi-file given".to_owned()))
}

/// Looks up `callable` in `module`, calling it first if it ends in `()`.
fn find_callable<'py>(
    module: &Bound<'py, PyAny>,
    callable: &str,
    place: &str,
) -> Result<Bound<'py, PyAny>, Failure> {
    let (name, factory) = match callable.strip_suffix("()") {
        Some(name) => (name, true),
        None => (callable, false),
    };
    let Some(found) = module.getattr_opt(name)? else {
        return Err(Failure::Message(format!(
            "unable to find \"{name}\" callable in {place}"
        )));
    };
    let app = if factory { found.call0()? } else { found };
    if !app.is_callable() {
        return Err(Failure::Message(format!(
            "\"{callable}\" must be a callable object in {place}"
        )));
    }
    Ok(app)
}

/// The module name uWSGI gives a wsgi-file: `uwsgi_file_` + the path with
/// every non-alphanumeric byte replaced.
pub fn file_module_name(path: &Path) -> String {
    let mangled: String = path
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("uwsgi_file_{mangled}")
}

/// Executes a Python file (any extension) as a module.
fn import_file<'py>(py: Python<'py>, path: &Path) -> Result<Bound<'py, PyAny>, Failure> {
    if !path.is_file() {
        return Err(Failure::Message(format!(
            "failed to open python file {}",
            path.display()
        )));
    }
    let name = file_module_name(path);
    let globals = PyDict::new(py);
    globals.set_item("name", &name)?;
    globals.set_item("path", path.to_string_lossy().as_ref())?;
    py.run(
        c"import importlib.machinery, importlib.util, sys
loader = importlib.machinery.SourceFileLoader(name, path)
spec = importlib.util.spec_from_loader(name, loader)
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module
try:
    loader.exec_module(module)
except BaseException:
    del sys.modules[name]
    raise
",
        Some(&globals),
        None,
    )?;
    globals
        .get_item("module")?
        .ok_or_else(|| Failure::Message("import failed".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsgi_file_module_names() {
        assert_eq!(
            file_module_name(Path::new("/srv/app/wsgi.py")),
            "uwsgi_file__srv_app_wsgi_py"
        );
    }
}
