//! The operator's view of issue 6: a real `uwsgid` supervising an apps
//! directory of two apps, driven only through the real `uwsgictl` (status
//! tables and JSON, reload under load, stop/start/restart/scale, apps
//! dropped into and deleted from the directory, a non-root peer refused)
//! and watched as systemd would watch it (`NOTIFY_SOCKET`).
//!
//! Every path of the supervisor is in the test's own directory: the tests
//! run as root and must never touch `/run/uwsgid` or `/etc/uwsgi`.

mod apps;
mod daemonize;
mod fifo;
mod files;
mod notify;
mod permissions;
mod reload;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use uwsgid_e2e::{Server, ServerBuilder, TestDir, app_path, control, free_port, uwsgictl};

/// Starting, reloading and stopping apps on a busy 2-core machine.
const APP_TIMEOUT: Duration = Duration::from_secs(60);

/// One app of the apps directory: its name, HTTP port and worker count.
#[derive(Debug, Clone)]
struct AppSpec {
    name: String,
    port: u16,
    processes: u32,
    wsgi_file: PathBuf,
}

impl AppSpec {
    fn new(name: &str, processes: u32) -> AppSpec {
        AppSpec {
            name: name.to_owned(),
            port: free_port().expect("a free port"),
            processes,
            wsgi_file: app_path("slow_app.py"),
        }
    }

    /// The app's ini: its wsgi file (by default `slow_app.py`, which
    /// answers JSON with its pid) on 127.0.0.1:port, with `extra` lines.
    fn ini(&self, extra: &str) -> String {
        format!(
            "[uwsgi]\nmaster = true\nprocesses = {}\nhttp-socket = 127.0.0.1:{}\n\
             wsgi-file = {}\nreload-mercy = 20\n{extra}\n",
            self.processes,
            self.port,
            self.wsgi_file.display()
        )
    }
}

/// A supervisor with its directories under one temp dir.
struct Host {
    dir: TestDir,
    server: Server,
}

impl Host {
    /// Writes one ini per app into the apps directory, starts the
    /// supervisor with the extra `args` and `envs`, and (when `wait`) waits
    /// until every app runs.
    fn start_with(apps: &[AppSpec], args: &[&str], envs: &[(&str, &str)], wait: bool) -> Host {
        let dir = TestDir::new().expect("temp dir");
        std::fs::create_dir_all(dir.join("apps-enabled")).expect("apps dir");
        for app in apps {
            write_app(&dir, app, "");
        }
        let mut builder = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
            .expect("uwsgid is built")
            .arg("--apps-dir")
            .arg(dir.join("apps-enabled"))
            .arg("--control")
            .arg(dir.join("run/control.sock"))
            .arg("--state-dir")
            .arg(dir.join("state"))
            .arg("--log-dir")
            .arg(dir.join("log"))
            .args(["--scan-interval", "1"])
            .args(args)
            .stop_timeout(APP_TIMEOUT);
        for (key, value) in envs {
            builder = builder.env(key, value);
        }
        let server = builder.start().expect("the supervisor starts");
        let host = Host { dir, server };
        if wait {
            for app in apps {
                host.wait_running(&app.name);
            }
        }
        host
    }

    fn start(apps: &[AppSpec]) -> Host {
        Host::start_with(apps, &[], &[], true)
    }

    fn control(&self) -> PathBuf {
        self.dir.join("run/control.sock")
    }

    fn apps_dir(&self) -> PathBuf {
        self.dir.join("apps-enabled")
    }

    /// `uwsgictl --socket CONTROL ARGS`.
    fn ctl(&self, args: &[&str]) -> Output {
        let mut all = vec!["--socket".to_owned(), self.control().display().to_string()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        uwsgictl(&all).expect("uwsgictl runs")
    }

    /// `uwsgictl ARGS` that must succeed; its stdout.
    fn ctl_ok(&self, args: &[&str]) -> String {
        let out = self.ctl(args);
        assert!(
            out.status.success(),
            "uwsgictl {args:?} failed: {}\n{}\nsupervisor log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.server.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `uwsgictl --json status [APP]`, parsed.
    fn status_json(&self, app: Option<&str>) -> serde_json::Value {
        let mut args = vec!["--json", "status"];
        args.extend(app);
        let out = self.ctl(&args);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "status --json is not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Waits until `name` runs with every worker slot filled.
    fn wait_running(&self, name: &str) -> uwsgid_proto::v1::AppStatus {
        control::wait_app(&self.control(), name, APP_TIMEOUT, |a| {
            a.state == "running" && a.workers.iter().filter(|w| w.pid > 0).count() >= 1
        })
        .unwrap_or_else(|e| panic!("{e:#}\nsupervisor log:\n{}", self.server.log()))
    }

    /// The worker pids of `name` now.
    fn worker_pids(&self, name: &str) -> BTreeSet<u32> {
        let apps = control::status(&self.control()).expect("status");
        apps.iter()
            .find(|a| a.name == name)
            .map(|a| a.workers.iter().map(|w| w.pid).collect())
            .unwrap_or_default()
    }
}

/// Writes `<apps-enabled>/<name>.ini`.
fn write_app(dir: &TestDir, app: &AppSpec, extra: &str) -> PathBuf {
    let path = dir.join(&format!("apps-enabled/{}.ini", app.name));
    std::fs::write(&path, app.ini(extra)).expect("write the ini");
    path
}

/// Whether `port` answers an HTTP request with 200 within a second.
fn answers(port: u16) -> bool {
    uwsgid_e2e::curl(port, "/")
        .timeout(Duration::from_secs(2))
        .run()
        .is_ok_and(|r| r.status == 200)
}

/// The exit code of a finished uwsgictl.
fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn app_of<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    status["apps"]
        .as_array()
        .and_then(|apps| apps.iter().find(|a| a["name"] == name))
        .unwrap_or_else(|| panic!("{name} is not in {status}"))
}

fn exists(path: &Path) -> bool {
    path.exists()
}
