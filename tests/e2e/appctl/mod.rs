//! The app master's control API end to end: a standalone
//! `uwsgid --ini app.ini --control ctl.sock` driven over gRPC (the
//! harness's `control::{call, status, wait_app}`), its uWSGI stats server
//! read as `uwsgitop` reads it, and systemd's notify protocol received on
//! a datagram socket the test binds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use uwsgid_e2e::control::{Client, call, status, wait_app};
use uwsgid_e2e::{DEFAULT_TIMEOUT, Server, ServerBuilder, TestDir, app_path, free_port};
use uwsgid_proto::v1::AppStatus;

mod actions;
mod notify;
mod stats;
mod status;

/// Reloads on a busy 2-core machine are slow: generous.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(90);

/// An app master under test: its directory, HTTP port and control socket.
struct App {
    server: Server,
    port: u16,
    control: PathBuf,
    dir: TestDir,
}

impl App {
    /// Writes `app.ini` (`http-socket` on a free port, `wsgi-file` = `app`
    /// from `tests/apps`, then `extra` lines) and starts
    /// `uwsgid --ini app.ini --control ctl.sock` in a new directory, with
    /// `env` added; waits until the app is "running".
    fn start(app: &str, extra: &str, env: &[(&str, &Path)]) -> App {
        let dir = TestDir::new().expect("temp dir");
        let port = free_port().expect("a free port");
        let ini = format!(
            "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n{extra}\n",
            app_path(app).display()
        );
        dir.write("app.ini", ini).expect("write app.ini");
        let control = dir.join("ctl.sock");
        let mut builder = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
            .expect("uwsgid is built")
            .args(["--ini", "app.ini", "--control"])
            .arg(&control)
            .current_dir(dir.path());
        for (key, value) in env {
            builder = builder.env(key, value);
        }
        let server = builder.start().expect("uwsgid starts");
        let app = App {
            server,
            port,
            control,
            dir,
        };
        app.wait_state("running");
        app
    }

    /// Waits until the app reports `state`; returns its status.
    fn wait_state(&self, state: &str) -> AppStatus {
        self.wait(|a| a.state == state)
    }

    /// Waits until `pred` holds for the app's status.
    fn wait(&self, pred: impl Fn(&AppStatus) -> bool) -> AppStatus {
        wait_app(&self.control, "app", RELOAD_TIMEOUT, pred)
            .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.server.log()))
    }

    /// The app's status now.
    fn status(&self) -> AppStatus {
        let mut apps = status(&self.control).expect("status");
        assert_eq!(apps.len(), 1, "{apps:?}");
        apps.remove(0)
    }

    /// Runs `f` with a client of the control socket.
    fn call<T>(
        &self,
        f: impl AsyncFnOnce(Client) -> Result<T, tonic::Status>,
    ) -> anyhow::Result<T> {
        call(&self.control, f)
    }

    /// `GET path` on the app's HTTP port.
    fn get(&self, path: &str) -> uwsgid_e2e::Response {
        uwsgid_e2e::curl(self.port, path).run().expect("curl runs")
    }
}

/// The pids of the workers in `status` that have a process.
fn pids(status: &AppStatus) -> Vec<u32> {
    status
        .workers
        .iter()
        .map(|w| w.pid)
        .filter(|&p| p != 0)
        .collect()
}

/// The tonic status code of a failed call.
fn code_of(err: &anyhow::Error) -> Option<tonic::Code> {
    err.downcast_ref::<tonic::Status>().map(tonic::Status::code)
}

/// The default harness timeout, for waits that are not reloads.
const WAIT: Duration = DEFAULT_TIMEOUT;
