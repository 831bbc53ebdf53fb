//! Harness for the end-to-end tests of uwsgid: start the real binaries on
//! free ports in per-test temporary directories, talk to them with real
//! clients (`curl`, the test virtualenv's Python), poll with deadlines, and
//! end every spawned process by pid when the test is done.
//!
//! - [`paths`]: the built binaries, the repository's apps and fixtures, the
//!   test virtualenv ([`venv`]) and Django project, `shared/`;
//! - [`process`]: [`Server`], a guard around one spawned process tree
//!   (own process group, log captured to a file, SIGTERM → SIGKILL on drop);
//! - [`wait`]: [`wait_until`], [`wait_for_log`], [`wait_http_ready`];
//! - [`http`]: a `curl` wrapper ([`Curl`], [`Response`]); [`sha256_file`];
//! - [`python`]: runs client scripts with the venv's interpreter ([`Python`]);
//! - [`command`]: one-shot commands with a time limit ([`uwsgictl`]);
//! - [`app`]: [`HttpApp`], "uwsgid serving this WSGI file on a free port",
//!   the shape most tests need;
//! - [`nginx`]: nginx in front of uwsgid (`uwsgi_pass` / `proxy_pass`).
//!
//! A typical test (the e2e suites under `tests/e2e/` have many more):
//!
//! ```text
//! let app = HttpApp::start("error_app.py", &["--processes", "1"])?;  // ready to serve
//! assert_eq!(app.curl("/raise").run()?.status, 500);
//! wait_for_log(&mut app.server, "Traceback", DEFAULT_TIMEOUT)?;
//! // dropping `app` stops uwsgid and every process it started
//! ```
//!
//! Environment: `UWSGID_TEST_VENV` (the virtualenv) and `UWSGID_TEST_DJANGO`
//! (the Django project), both made and exported by `scripts/test`; the
//! binaries come from `cargo build --workspace` (`target/debug/`).

pub mod app;
pub mod command;
pub mod control;
pub mod digest;
pub mod dir;
pub mod http;
pub mod modes;
pub mod net;
pub mod nginx;
pub mod paths;
pub mod process;
pub mod python;
pub mod wait;

pub use app::HttpApp;
pub use command::{run_with_timeout, uwsgictl};
pub use digest::sha256_file;
pub use dir::TestDir;
pub use http::{Curl, Response, curl};
pub use modes::ModeGuard;
pub use net::free_port;
pub use nginx::Nginx;
pub use paths::{
    app_path, django_project, fixture_path, repo_root, shared_dir, uwsgictl_bin, uwsgid_bin, venv,
    venv_major_minor, venv_python,
};
pub use process::{Server, ServerBuilder};
pub use python::Python;
pub use wait::{wait_for_log, wait_http_ready, wait_until};

use std::time::Duration;

/// The longest any single wait of the harness lasts unless told otherwise:
/// long enough for a debug build on a loaded 2-core machine, short enough to
/// keep every test well under a minute.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
