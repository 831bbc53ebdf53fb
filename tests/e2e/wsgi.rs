//! The WSGI contract end to end: uwsgid serving the apps of `tests/apps/`
//! over `http-socket`, checked with curl and raw-socket Python clients.
//!
//! - [`validator`]: every kind of request against an app wrapped in
//!   `wsgiref.validate.validator`, with no warning in the log;
//! - [`environ`]: the CGI and `wsgi.*` variables of the environ;
//! - [`errors`]: app exceptions and apps that do not import;
//! - [`workers`]: requests spread over processes; idle keep-alive
//!   connections pin no worker;
//! - [`head_of_line`]: no request waits behind a slow one while a worker
//!   is idle; a killed worker fails only the request it ran;
//! - [`shared_memory`]: the zygote's objects stay out of the workers' GC;
//! - [`venv`]: `home=` runs the app inside the virtualenv;
//! - [`own_venv`]: a uwsgid installed in a venv runs the app inside it;
//! - [`nginx`]: the same app behind nginx (`uwsgi_pass`, `proxy_pass`);
//! - [`hostile_http`]: header names with `_`, RFC 9112 edge cases,
//!   request-smuggling shapes;
//! - [`http_options`]: PROXY headers, `add-header`, `http-timeout`;
//! - [`bodies`]: large bodies both ways, byte for byte; what reading a
//!   body ahead of the call must not change;
//! - [`body_faults`]: bodies that cannot be read: 400 for the client's
//!   fault, 500 for the server's;
//! - [`limit_post`]: 413 past `limit-post`;
//! - [`mounts`]: `mount` and `manage-script-name`, as uWSGI chooses apps;
//! - [`routing`]: `route*` rules and their actions, as uWSGI runs them.

mod bodies;
mod body_faults;
mod environ;
mod errors;
mod head_of_line;
mod hostile_http;
mod http_options;
mod limit_post;
mod mounts;
mod nginx;
mod own_venv;
mod paste;
mod routing;
mod shared_memory;
mod validator;
mod venv;
mod vhost;
mod workers;

use uwsgid_e2e::HttpApp;

/// Lines that must never appear in the log of a correct exchange with a
/// correct app: the validator's assertions and warnings, Python's report of
/// an exception in `__del__` (an iterable collected without `close()`), and
/// tracebacks in general.
const LOG_PROBLEMS: &[&str] = &[
    "Warning",
    "AssertionError",
    "Exception ignored",
    "Traceback",
    "panicked",
];

/// Fails with the log when it shows any of [`LOG_PROBLEMS`].
fn assert_clean_log(app: &HttpApp) {
    let log = app.log();
    for problem in LOG_PROBLEMS {
        assert!(!log.contains(problem), "{problem:?} in the log:\n{log}");
    }
}

/// `uwsgid --check-config` of an `app.ini` holding `text`: whether it
/// resolved, and what it said.
fn check_ini(text: &str) -> (bool, String) {
    let dir = uwsgid_e2e::TestDir::new().expect("temp dir");
    let ini = dir.write("app.ini", text).expect("ini");
    let out = std::process::Command::new(uwsgid_e2e::uwsgid_bin().expect("uwsgid"))
        .arg("--check-config")
        .arg(&ini)
        .output()
        .expect("uwsgid runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `APP` on one worker serving the uwsgi protocol on `dir/app.sock` (and
/// HTTP, to know when it is ready); returns the app and the socket's path.
fn start_on_unix_socket(app: &str, dir: &uwsgid_e2e::TestDir) -> (HttpApp, std::path::PathBuf) {
    let socket = dir.join("app.sock");
    let args = [
        "--processes".as_ref(),
        "1".as_ref(),
        "--socket".as_ref(),
        socket.as_os_str(),
    ];
    let app = HttpApp::start(app, &args).expect("uwsgid serves");
    (app, socket)
}
