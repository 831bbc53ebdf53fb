//! The supervisor on its own: `uwsgid` in supervisor mode over an apps
//! directory of small WSGI apps, every path in the test's directory (the
//! tests run as root and must never touch `/run/uwsgid` or `/etc/uwsgi`),
//! checked through the control API and HTTP.
//!
//! The app masters the supervisor starts are not in the [`Server`] guard's
//! process group, and survive the supervisor on purpose; [`Supervised`]
//! notes every master pid it learns and kills what is left on drop.

mod control_socket;
mod directory;
mod lifecycle;
mod survival;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::Signal;
use uwsgid_e2e::process::{ProcId, descendants};
use uwsgid_e2e::{Server, ServerBuilder, TestDir, app_path, control, free_port, wait_until};
use uwsgid_proto::v1::AppStatus;

/// Starting and stopping apps on a busy 2-core machine.
const APP_TIMEOUT: Duration = Duration::from_secs(60);

/// One app of the apps directory.
#[derive(Debug, Clone)]
struct App {
    name: String,
    port: u16,
}

impl App {
    fn new(name: &str) -> App {
        App {
            name: name.to_owned(),
            port: free_port().expect("a free port"),
        }
    }

    /// One worker answering `pid=N` on 127.0.0.1:port.
    fn ini(&self, extra: &str) -> String {
        format!(
            "[uwsgi]\nmaster = true\nprocesses = 1\nhttp-socket = 127.0.0.1:{}\n\
             wsgi-file = {}\nreload-mercy = 5\n{extra}\n",
            self.port,
            app_path("pid_app.py").display()
        )
    }

    /// The pid of the worker that answers, if one does.
    fn worker_pid(&self) -> Option<u32> {
        let response = uwsgid_e2e::curl(self.port, "/")
            .timeout(Duration::from_secs(2))
            .run()
            .ok()?;
        let text = response.text();
        (response.status == 200)
            .then(|| text.trim().strip_prefix("pid=")?.parse().ok())
            .flatten()
    }

    fn answers(&self) -> bool {
        self.worker_pid().is_some()
    }
}

/// A supervisor over `<dir>/apps`, with the app masters it ever ran.
struct Supervised {
    dir: TestDir,
    server: Option<Server>,
    /// Every app master and worker seen, killed on drop if still alive.
    seen: Vec<ProcId>,
}

impl Supervised {
    /// Writes each app's ini and starts the supervisor.
    fn start(apps: &[&App]) -> Supervised {
        let dir = TestDir::new().expect("temp dir");
        std::fs::create_dir_all(dir.join("apps")).expect("apps dir");
        let mut s = Supervised {
            dir,
            server: None,
            seen: Vec::new(),
        };
        for app in apps {
            s.write(app, "");
        }
        s.launch();
        s
    }

    /// Starts (again) the supervisor on the same directories.
    fn launch(&mut self) {
        let server = ServerBuilder::uwsgid(self.dir.join("uwsgid.log"))
            .expect("uwsgid is built")
            .arg("--apps-dir")
            .arg(self.apps_dir())
            .arg("--control")
            .arg(self.control())
            .arg("--state-dir")
            .arg(self.dir.join("state"))
            .arg("--log-dir")
            .arg(self.dir.join("log"))
            .args(["--scan-interval", "1"])
            .stop_timeout(APP_TIMEOUT)
            .start()
            .expect("the supervisor starts");
        self.server = Some(server);
        self.wait_control();
    }

    fn server(&mut self) -> &mut Server {
        self.server.as_mut().expect("the supervisor runs")
    }

    fn apps_dir(&self) -> PathBuf {
        self.dir.join("apps")
    }

    fn control(&self) -> PathBuf {
        self.dir.join("run/control.sock")
    }

    fn ini_path(&self, app: &App) -> PathBuf {
        self.apps_dir().join(format!("{}.ini", app.name))
    }

    fn write(&self, app: &App, extra: &str) -> PathBuf {
        let path = self.ini_path(app);
        std::fs::write(&path, app.ini(extra)).expect("write the ini");
        path
    }

    fn log(&self) -> String {
        self.server.as_ref().map(Server::log).unwrap_or_default()
    }

    fn wait_control(&self) {
        wait_until("the control socket", APP_TIMEOUT, || {
            control::status(&self.control()).ok()
        })
        .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.log()));
    }

    fn status(&self) -> Vec<AppStatus> {
        control::status(&self.control()).expect("status")
    }

    fn app_status(&self, name: &str) -> Option<AppStatus> {
        self.status().into_iter().find(|a| a.name == name)
    }

    /// Waits until `app` answers HTTP and has a master; returns the
    /// master's pid (noted for cleanup).
    fn wait_serving(&mut self, app: &App) -> u32 {
        let control = self.control();
        let pid = wait_until(&format!("{} to serve", app.name), APP_TIMEOUT, || {
            let status = control::status(&control).ok()?;
            let entry = status.into_iter().find(|a| a.name == app.name)?;
            (entry.master_pid > 0 && app.answers()).then_some(entry.master_pid)
        })
        .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.log()));
        self.note(pid);
        pid
    }

    /// Waits until the app's state is `state`.
    fn wait_state(&self, name: &str, state: &str) -> AppStatus {
        control::wait_app(&self.control(), name, APP_TIMEOUT, |a| a.state == state)
            .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.log()))
    }

    /// Remembers a master and its workers for the final cleanup.
    fn note(&mut self, pid: u32) {
        let pid = i32::try_from(pid).expect("pid");
        if let Some(proc) = ProcId::of(pid) {
            self.seen.push(proc);
            self.seen.extend(descendants(pid));
        }
    }

    /// Starts (`start`) or stops the app `name` through the control API.
    fn stop_or_start(&self, name: &str, start: bool) {
        let request = uwsgid_proto::v1::AppRequest {
            app: name.to_owned(),
            ..Default::default()
        };
        control::call(
            &self.control(),
            async move |mut c: control::Client| match start {
                true => c.start(request).await,
                false => c.stop(request).await,
            },
        )
        .unwrap_or_else(|e| panic!("{name} (start: {start}): {e:#}\nlog:\n{}", self.log()));
    }

    /// Sends `signal` to the supervisor.
    fn signal(&mut self, signal: Signal) {
        self.server().signal(signal).expect("signal the supervisor");
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // The supervisor first: a graceful stop of its apps.
        drop(self.server.take());
        for proc in &self.seen {
            proc.kill_if_same(Signal::SIGKILL);
        }
        let seen = self.seen.clone();
        let gone = wait_until("leftover app processes to die", APP_TIMEOUT, || {
            seen.iter().all(|p| !p.is_alive()).then_some(())
        });
        if let Err(err) = gone {
            eprintln!("uwsgid-e2e: {err:#}");
        }
    }
}

/// Waits until none of `procs` is alive.
fn wait_all_gone(procs: &[ProcId], what: &str) {
    let left = wait_until(what, APP_TIMEOUT, || {
        procs.iter().all(|p| !p.is_alive()).then_some(())
    });
    if left.is_err() {
        let alive: Vec<_> = procs.iter().filter(|p| p.is_alive()).collect();
        panic!("{what}: still alive: {alive:?}");
    }
}

/// Every process of the app `pid` (master and workers) now.
fn tree(pid: u32) -> Vec<ProcId> {
    let pid = i32::try_from(pid).expect("pid");
    let mut procs: Vec<ProcId> = ProcId::of(pid).into_iter().collect();
    procs.extend(descendants(pid));
    procs
}

fn names(status: &[AppStatus]) -> BTreeSet<String> {
    status.iter().map(|a| a.name.clone()).collect()
}
