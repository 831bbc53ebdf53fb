//! The `uwsgi` Python module and `uwsgidecorators` through the real
//! binary: `import uwsgi` in the zygote and every worker (with and without
//! `lazy-apps`), `uwsgi.opt` pinned against uWSGI 2.0.31, the process
//! facts, `@postfork` after every fork (first start, respawn, reload),
//! `uwsgi.atexit`, the user locks across workers, log variables, signals
//! and timers, and the clear error of what uwsgid does not support.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use uwsgid_e2e::{Server, ServerBuilder, TestDir, curl, venv, wait_http_ready, wait_until};

mod api;
mod functions;
mod harakiri;
mod hooks;
mod opt;
mod sentry;
mod sharedarea;
mod signals;
mod whole_app;

/// Reloads and respawns are slow on a busy 2-core machine: generous.
const SLOW: Duration = Duration::from_secs(90);

/// The test app, written into the test's directory.
fn write_app(dir: &TestDir) -> PathBuf {
    dir.write("module_app.py", include_str!("uwsgi_module/module_app.py"))
        .expect("write the app")
}

/// A directory for the app's marker files.
fn markers_dir(dir: &TestDir) -> PathBuf {
    let markers = dir.join("markers");
    std::fs::create_dir_all(&markers).expect("make the markers directory");
    markers
}

/// `uwsgid --ini app.ini` in `dir` serving the test app on `port`, with the
/// test venv as `home`, `extra` ini lines; waited for until it answers.
fn start(dir: &TestDir, port: u16, extra: &str) -> Server {
    let app = write_app(dir);
    let text = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\nhome = {}\n\
         env = MARKERS={}\n{extra}\n",
        app.display(),
        venv().expect("the test venv").display(),
        markers_dir(dir).display(),
    );
    start_ini(dir, port, &text)
}

/// `uwsgid --ini app.ini` in `dir` with `ini` as app.ini, serving on
/// `port`; waited for until it answers.
fn start_ini(dir: &TestDir, port: u16, ini: &str) -> Server {
    dir.write("app.ini", ini).expect("write app.ini");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--ini", "app.ini"])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");
    server
}

/// GET `path`, as JSON.
fn get_json(port: u16, path: &str) -> serde_json::Value {
    let response = curl(port, path).run().expect("curl runs");
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json().expect("a JSON answer")
}

/// One marker: `KIND-WORKER_ID-PID`, maybe followed by `-SEQ`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Marker {
    kind: String,
    worker: u32,
    pid: i32,
}

fn markers(dir: &Path) -> BTreeSet<Marker> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let mut parts = name.splitn(4, '-');
            Some(Marker {
                kind: parts.next()?.to_string(),
                worker: parts.next()?.parse().ok()?,
                pid: parts.next()?.parse().ok()?,
            })
        })
        .collect()
}

fn of_kind(all: &BTreeSet<Marker>, kind: &str) -> BTreeSet<(u32, i32)> {
    all.iter()
        .filter(|m| m.kind == kind)
        .map(|m| (m.worker, m.pid))
        .collect()
}

/// Waits until the markers of `kind` satisfy `done`; returns them.
fn wait_markers(
    dir: &Path,
    kind: &str,
    what: &str,
    done: impl Fn(&BTreeSet<(u32, i32)>) -> bool,
) -> BTreeSet<(u32, i32)> {
    wait_until(what, SLOW, || {
        let found = of_kind(&markers(dir), kind);
        done(&found).then_some(found)
    })
    .unwrap_or_else(|err| panic!("{err}; markers: {:?}", markers(dir)))
}

#[test]
fn import_uwsgi_fails_outside_uwsgid() {
    let python = venv().expect("the test venv").join("bin/python");
    for module in ["uwsgi", "uwsgidecorators"] {
        let out = std::process::Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .expect("python runs");
        assert!(!out.status.success(), "import {module} outside uwsgid");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("ModuleNotFoundError: No module named '{module}'")),
            "{err}"
        );
    }
}
