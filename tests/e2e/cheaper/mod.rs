//! Adaptive workers (`cheaper`) end to end: an app master with
//! `--control` under a load of slow requests from 127.0.0.1 grows towards
//! `processes` workers and shrinks back to `cheaper` once the load stops,
//! as the chosen algorithm decides; the count is read from the control
//! API's `Status` (what `uwsgictl status` shows) and the log.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use uwsgid_e2e::control::{start_ini, status, wait_app};
use uwsgid_e2e::{DEFAULT_TIMEOUT, Python, Server, TestDir, app_path, free_port};
use uwsgid_proto::v1::AppStatus;

mod algorithms;
mod config;
mod idle;

/// Growing and shrinking take several cycles of the algorithm, slower on
/// a busy 2-core machine: generous.
const ADAPT_TIMEOUT: Duration = Duration::from_secs(90);

/// An app master under test.
struct App {
    server: Server,
    port: u16,
    control: PathBuf,
    dir: TestDir,
}

impl App {
    /// `slow_app.py` on a free port with `extra` ini lines, and a control
    /// socket; waits until it answers.
    fn start(extra: &str) -> App {
        let mut app = App::launch(extra);
        uwsgid_e2e::wait_http_ready(&mut app.server, app.port, DEFAULT_TIMEOUT)
            .expect("the app answers");
        app
    }

    /// Like [`App::start`], without waiting for an answer.
    fn launch(extra: &str) -> App {
        let dir = TestDir::new().expect("temp dir");
        let port = free_port().expect("a free port");
        let ini = format!(
            "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n{extra}\n",
            app_path("slow_app.py").display()
        );
        dir.write("app.ini", ini).expect("write app.ini");
        let (server, control) = start_ini(&dir).expect("uwsgid starts");
        App {
            server,
            port,
            control,
            dir,
        }
    }

    /// Waits until `pred` holds for the number of workers serving (not
    /// stopping); returns the status.
    fn wait_workers(&self, what: &str, pred: impl Fn(usize) -> bool) -> AppStatus {
        wait_app(&self.control, "app", ADAPT_TIMEOUT, |a| pred(serving(a)))
            .unwrap_or_else(|e| panic!("{what}: {e:#}\nlog:\n{}", self.server.log()))
    }

    fn status(&self) -> AppStatus {
        let mut apps = status(&self.control).expect("status");
        assert_eq!(apps.len(), 1, "{apps:?}");
        apps.remove(0)
    }

    /// Starts `clients` clients sending `GET /?s=SECONDS` one after the
    /// other until [`Load::stop`] (or 120 s).
    fn load(&self, clients: u32, seconds: f64) -> Load {
        let stop = self.dir.join(&format!("stop-{clients}-{seconds}"));
        let script = Python::script(LOAD_CLIENT)
            .arg(self.port.to_string())
            .arg(clients.to_string())
            .arg(seconds.to_string())
            .arg(&stop)
            .timeout(Duration::from_secs(150));
        Load {
            stop,
            run: Some(std::thread::spawn(move || script.run_json())),
        }
    }
}

/// Workers of the status that serve: a process, not told to finish.
fn serving(status: &AppStatus) -> usize {
    status
        .workers
        .iter()
        .filter(|w| w.pid != 0 && w.state != "stopping")
        .count()
}

/// Concurrent clients of slow requests: argv = port, clients, seconds per
/// request, stop file. Prints `{"ok": N, "failed": M, "errors": [...]}`.
const LOAD_CLIENT: &str = r#"
import http.client, json, os, sys, threading, time
port, clients, seconds, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
deadline = time.time() + 120
counts = {"ok": 0, "failed": 0, "errors": []}
lock = threading.Lock()
def client():
    while not os.path.exists(stop) and time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", "/?s=" + seconds)
            status = c.getresponse().status
            c.close()
            with lock:
                counts["ok" if status == 200 else "failed"] += 1
        except Exception as e:
            with lock:
                counts["failed"] += 1
                counts["errors"].append(repr(e))
threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(counts))
"#;

/// A running load; [`Load::stop`] ends it and returns what the clients saw.
struct Load {
    stop: PathBuf,
    run: Option<JoinHandle<anyhow::Result<serde_json::Value>>>,
}

impl Load {
    fn stop(mut self) -> serde_json::Value {
        std::fs::write(&self.stop, b"").expect("write the stop file");
        let run = self.run.take().expect("running");
        run.join()
            .expect("the load thread")
            .expect("the load client")
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        // A failed test still ends its clients.
        let _ = std::fs::write(&self.stop, b"");
    }
}
