//! The spooler through the real binary: `@spool` and `uwsgi.spool()` in a
//! worker write a task file that a spooler process runs once (woken at
//! once, not at the next `spooler-frequency`), with uWSGI 2.0.31's log
//! lines, return codes, retries, `at`, priorities, several processes on
//! one directory, harakiri, recycling, `touch-spoolers-reload`, and task
//! files in uWSGI's own format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use uwsgid_e2e::{
    Server, ServerBuilder, TestDir, curl, free_port, venv, wait_http_ready, wait_until,
};

mod flask;
mod options;
mod processes;
mod tasks;

/// Python starts in every process on a busy 2-core machine: generous.
const SLOW: Duration = Duration::from_secs(90);

/// An app with a spooler on `spool` (relative: `DIR/spool`), its tasks
/// recording into `DIR/out`.
struct SpoolApp {
    server: Server,
    port: u16,
    dir: TestDir,
}

impl SpoolApp {
    /// Starts the test app with `extra` ini lines; `spooler-frequency` is
    /// an hour unless `extra` sets it, so a task that runs at once proves
    /// the spooler was woken.
    fn start(extra: &str) -> SpoolApp {
        let dir = TestDir::new().expect("a test dir");
        SpoolApp::start_in(dir, extra)
    }

    fn start_in(dir: TestDir, extra: &str) -> SpoolApp {
        let app = dir
            .write("spool_app.py", include_str!("spooler/spool_app.py"))
            .expect("write the app");
        SpoolApp::start_app(dir, &app, extra)
    }

    /// Starts the app file `app` (which reads `OUT`) in `dir`.
    fn start_app(dir: TestDir, app: &Path, extra: &str) -> SpoolApp {
        let port = free_port().expect("a free port");
        std::fs::create_dir_all(dir.join("out")).expect("the output directory");
        let frequency = if extra.contains("spooler-frequency") {
            ""
        } else {
            "spooler-frequency = 3600\n"
        };
        let text = format!(
            "[uwsgi]\nmaster = true\nprocesses = 2\nhttp-socket = 127.0.0.1:{port}\n\
             wsgi-file = {}\nhome = {}\nenv = OUT={}\nspooler = spool\n{frequency}{extra}\n",
            app.display(),
            venv().expect("the test venv").display(),
            dir.join("out").display(),
        );
        dir.write("app.ini", text).expect("write app.ini");
        let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
            .expect("uwsgid is built")
            .args(["--ini", "app.ini"])
            .current_dir(dir.path())
            .start()
            .expect("uwsgid starts");
        wait_http_ready(&mut server, port, SLOW).expect("the app answers");
        SpoolApp { server, port, dir }
    }

    fn spool_dir(&self) -> PathBuf {
        self.dir.join("spool")
    }

    /// GET `path`, as JSON.
    fn get(&self, path: &str) -> Value {
        let response = curl(self.port, path).run().expect("curl runs");
        assert_eq!(
            response.status,
            200,
            "{path}: {}\nlog:\n{}",
            response.text(),
            self.server.log()
        );
        response.json().expect("a JSON answer")
    }

    /// The records the tasks wrote, by name.
    fn records(&self) -> BTreeMap<String, Value> {
        records(&self.dir.join("out"))
    }

    /// Waits for the record `name`; returns it.
    fn wait_record(&self, name: &str) -> Value {
        wait_until(&format!("the record {name}"), SLOW, || {
            self.records().remove(name)
        })
        .unwrap_or_else(|e| {
            panic!(
                "{e}\nrecords: {:?}\nlog:\n{}",
                self.records(),
                self.server.log()
            )
        })
    }

    /// Waits until the log contains `text`.
    fn wait_log(&self, text: &str) {
        wait_until(&format!("{text:?} in the log"), SLOW, || {
            self.server.log().contains(text).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}\nlog:\n{}", self.server.log()));
    }

    /// The task files left in the spool directory (top level).
    fn task_files(&self) -> Vec<String> {
        task_files(&self.spool_dir())
    }

    /// Waits until every spooler process has a pid; returns them.
    fn spooler_pids(&self, count: usize) -> Vec<i64> {
        wait_until("the spooler pids", SLOW, || {
            let pids: Vec<i64> = self.get("/info")["pids"]
                .as_array()?
                .iter()
                .filter_map(Value::as_i64)
                .collect();
            (pids.len() == count && pids.iter().all(|&p| p > 0)).then_some(pids)
        })
        .unwrap_or_else(|e| panic!("{e}\nlog:\n{}", self.server.log()))
    }
}

fn records(dir: &Path) -> BTreeMap<String, Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.') && !name.starts_with("attempts-"))
        .filter_map(|name| {
            let text = std::fs::read_to_string(dir.join(&name)).ok()?;
            Some((name, serde_json::from_str(&text).ok()?))
        })
        .collect()
}

fn task_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("uwsgi_spoolfile_on_"))
        .collect();
    names.sort();
    names
}
