//! The shared caches (`cache2`, `cache`) and the `uwsgi` module's
//! `cache_*` functions through the real binary: answers pinned against
//! uWSGI 2.0.31, one cache shared by every worker (concurrent increments
//! lose nothing), contents kept across a worker's death and a graceful
//! reload (with and without `lazy-apps`), expiry and the sweeper,
//! `uwsgictl status`, the options refused, and Django's cache framework
//! through django-uwsgi-cache.

use std::path::PathBuf;
use std::time::Duration;

use uwsgid_e2e::{Server, ServerBuilder, TestDir, curl, free_port, venv, wait_http_ready};

mod api;
mod django;
mod options;
mod shared;

/// Reloads and respawns are slow on a busy 2-core machine: generous.
const SLOW: Duration = Duration::from_secs(90);

/// An app master serving `cache_app.py` with its control socket.
struct CacheApp {
    server: Server,
    port: u16,
    dir: TestDir,
}

/// app.ini: the app on `port` with the test venv and `extra` lines.
fn write_ini(dir: &TestDir, port: u16, extra: &str) {
    let ini = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\nhome = {}\n\
         reload-mercy = 20\n{extra}\n",
        dir.join("cache_app.py").display(),
        venv().expect("the test venv").display(),
    );
    dir.write("app.ini", ini).expect("write app.ini");
}

impl CacheApp {
    /// `uwsgid --ini app.ini --control control.sock` with `extra` ini
    /// lines, waited for until it answers.
    fn start(extra: &str) -> CacheApp {
        let dir = TestDir::new().expect("a test dir");
        let port = free_port().expect("a free port");
        dir.write("cache_app.py", include_str!("cache/cache_app.py"))
            .expect("write the app");
        write_ini(&dir, port, extra);
        let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
            .expect("uwsgid is built")
            .arg("--control")
            .arg(dir.join("control.sock"))
            .args(["--ini", "app.ini"])
            .current_dir(dir.path())
            .stop_timeout(SLOW)
            .start()
            .expect("uwsgid starts");
        wait_http_ready(&mut server, port, SLOW).expect("the app answers");
        CacheApp { server, port, dir }
    }

    /// Rewrites app.ini with `extra` instead (for a reload).
    fn rewrite(&self, extra: &str) {
        write_ini(&self.dir, self.port, extra);
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("control.sock")
    }

    /// GET `path`, as JSON.
    fn json(&self, path: &str) -> serde_json::Value {
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

    /// The value of `key` in the default cache, as a worker reads it.
    fn get(&self, key: &str) -> serde_json::Value {
        self.json(&format!("/get?k={key}"))["value"].clone()
    }
}
