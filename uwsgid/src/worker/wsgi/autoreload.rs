//! `py-autoreload = N`, the development reloader: every N seconds a thread
//! of worker 1 looks at the file of every module in `sys.modules`; when one
//! changed since it was first seen, it logs uWSGI's line and asks the
//! master for a graceful reload (SIGHUP), as uWSGI's reloader thread does.
//! Only worker 1 watches, so one change makes one reload.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::log::log_line;

/// Starts the watching thread.
pub fn start(every: Duration, ignore: Vec<String>) {
    let spawned = std::thread::Builder::new()
        .name("uwsgid-autoreload".into())
        .spawn(move || watch(every, &ignore));
    if let Err(err) = spawned {
        log_line!("py-autoreload: cannot start its thread: {err}");
    }
}

fn watch(every: Duration, ignore: &[String]) {
    let mut seen: HashMap<String, Option<SystemTime>> = module_files(ignore)
        .into_iter()
        .map(|file| {
            let time = modified(&file);
            (file, time)
        })
        .collect();
    // Logged once the first look is taken: a change from now on counts.
    log_line!("Python auto-reloader enabled");
    loop {
        std::thread::sleep(every);
        for file in module_files(ignore) {
            let now = modified(&file);
            match seen.get(&file) {
                None => {
                    seen.insert(file, now);
                }
                Some(before) if *before != now => {
                    log_line!("[uwsgi-python-reloader] module/file {file} has been modified");
                    // The master is this worker's parent (it adopted it).
                    let _ = nix::sys::signal::kill(
                        nix::unistd::getppid(),
                        nix::sys::signal::Signal::SIGHUP,
                    );
                    return;
                }
                Some(_) => {}
            }
        }
    }
}

/// The file of every module with a `__file__`, but those named in `ignore`
/// (`py-auto-reload-ignore`).
fn module_files(ignore: &[String]) -> Vec<String> {
    Python::attach(|py| {
        let Ok(modules) = py
            .import("sys")
            .and_then(|sys| sys.getattr("modules"))
            .and_then(|m| m.cast_into::<PyDict>().map_err(PyErr::from))
        else {
            return Vec::new();
        };
        // A copy: other threads may import while this one looks.
        let Ok(items) = modules.copy() else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|(name, module)| {
                let name: String = name.extract().ok()?;
                if ignore.contains(&name) {
                    return None;
                }
                module.getattr_opt("__file__").ok()??.extract().ok()
            })
            .collect()
    })
}

fn modified(file: &str) -> Option<SystemTime> {
    std::fs::metadata(file).and_then(|m| m.modified()).ok()
}
