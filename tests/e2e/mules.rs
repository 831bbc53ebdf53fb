//! Mules and farms through the real binary: messages from a worker to a
//! mule, a farm, the shared queue and a script mule (`messages.rs`, with
//! `uwsgidecorators`' `@mulefunc`, `@mule`, `@mulemsg`), and uWSGI signals
//! routed to `mule`, `muleN`, `mules`, `farm_NAME`, with a timer every
//! mule registers again kept once, `mule-harakiri` and
//! `touch-mules-reload` (`signals.rs`). Each mule writes a marker file the
//! test polls for.

use std::path::{Path, PathBuf};
use std::time::Duration;

use uwsgid_e2e::{Server, ServerBuilder, TestDir, curl, venv, wait_http_ready, wait_until};

mod messages;
mod signals;

/// Mules start CPython and import the app on a busy 2-core machine.
const SLOW: Duration = Duration::from_secs(90);

/// A directory for the markers.
fn markers_dir(dir: &TestDir) -> PathBuf {
    let markers = dir.join("markers");
    std::fs::create_dir_all(&markers).expect("make the markers directory");
    markers
}

/// `uwsgid --ini app.ini` in `dir`: the app `app` (written there) with
/// the test venv, `extra` ini lines; waited for until it answers.
fn start(dir: &TestDir, port: u16, app: &str, extra: &str) -> Server {
    let path = dir.write("app.py", app).expect("write the app");
    let text = format!(
        "[uwsgi]\nmaster = true\nprocesses = 2\nhttp-socket = 127.0.0.1:{port}\n\
         wsgi-file = {}\nhome = {}\nenv = MARKERS={}\n{extra}\n",
        path.display(),
        venv().expect("the test venv").display(),
        markers_dir(dir).display(),
    );
    dir.write("app.ini", text).expect("write app.ini");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--ini", "app.ini"])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");
    server
}

/// GET `path`: the body, after a 200.
fn get(port: u16, path: &str) -> String {
    let response = curl(port, path).run().expect("curl runs");
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.text()
}

/// Waits for the marker `name` (JSON written by a mule); returns it.
fn wait_marker(server: &Server, dir: &Path, name: &str) -> serde_json::Value {
    let path = dir.join(name);
    let found = wait_until(&format!("the marker {name}"), SLOW, || {
        let text = std::fs::read_to_string(&path).ok()?;
        serde_json::from_str(&text).ok()
    });
    found.unwrap_or_else(|err| panic!("{err}\nlog:\n{}", server.log()))
}

/// Waits until the log holds `pattern`.
fn wait_log(server: &Server, pattern: &str) {
    let found = wait_until(&format!("{pattern:?} in the log"), SLOW, || {
        server.log().contains(pattern).then_some(())
    });
    found.unwrap_or_else(|err| panic!("{err}\nlog:\n{}", server.log()));
}
