//! The request log: `log-format` (a compiled uWSGI format), the conditions
//! that log a request even with `disable-logging`, `log-x-forwarded-for`,
//! `log-date`. Each test drives the real binary with curl and reads the
//! lines it wrote; the expected lines are those a real uWSGI 2.0.31 wrote
//! for the same requests, as each test says.

mod conditions;
mod format;
mod log_file;
mod loggers;
mod write_errors;

use std::time::Duration;

use uwsgid_e2e::{
    DEFAULT_TIMEOUT, Server, ServerBuilder, TestDir, curl, free_port, wait_http_ready, wait_until,
};

/// The app of every test (the one the uWSGI answers were taken with):
/// `/404`, `/500`, `/empty` (204, no body), `/slow` (300 ms), else 200 with
/// two headers and `hello world\n`.
const APP: &str = r#"
def application(env, start_response):
    p = env['PATH_INFO']
    if p == '/404':
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'nope']
    if p == '/500':
        start_response('500 Internal Server Error', [('Content-Type', 'text/plain')])
        return [b'bad']
    if p == '/empty':
        start_response('204 No Content', [])
        return []
    if p == '/slow':
        import time; time.sleep(0.3)
    start_response('200 OK', [('Content-Type', 'text/plain'), ('X-A', 'b')])
    return [b'hello world\n']
"#;

/// uwsgid serving [`APP`] over `http-socket` with one worker and one
/// thread (so lines come in request order) and `args`; ready.
struct LogApp {
    server: Server,
    port: u16,
    dir: TestDir,
}

impl LogApp {
    fn start(args: &[&str]) -> LogApp {
        LogApp::start_app(APP, args)
    }

    /// As `start`, serving the WSGI app `source` instead of [`APP`].
    fn start_app(source: &str, args: &[&str]) -> LogApp {
        let dir = TestDir::new().expect("temp dir");
        let app = dir.write("app.py", source).expect("app.py");
        let port = free_port().expect("a free port");
        let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
            .expect("the uwsgid binary")
            .arg("--http-socket")
            .arg(format!("127.0.0.1:{port}"))
            .args(["--master", "--processes", "1", "--threads", "1"])
            .arg("--wsgi-file")
            .arg(&app)
            .args(args)
            .current_dir(dir.path())
            .start()
            .expect("uwsgid starts");
        wait_http_ready(&mut server, port, DEFAULT_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
        LogApp { server, port, dir }
    }

    /// `<tempdir>/<name>` (relative paths in the arguments resolve there).
    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.join(name)
    }

    /// `GET path`, answered.
    fn get(&self, path: &str) -> u16 {
        self.request(curl(self.port, path))
    }

    fn request(&self, curl: uwsgid_e2e::Curl) -> u16 {
        curl.timeout(Duration::from_secs(10))
            .run()
            .unwrap_or_else(|e| panic!("{e:#}\n{}", self.server.log()))
            .status
    }

    /// The log lines that start with `prefix`, once one contains `last`
    /// (the request sent last: with one thread every earlier line is
    /// written before it).
    fn lines_until(&self, prefix: &str, last: &str) -> Vec<String> {
        wait_until("the last request's log line", DEFAULT_TIMEOUT, || {
            let lines: Vec<String> = self
                .server
                .log()
                .lines()
                .filter(|l| l.starts_with(prefix))
                .map(str::to_string)
                .collect();
            lines.iter().any(|l| l.contains(last)).then_some(lines)
        })
        .unwrap_or_else(|e| panic!("{e:#}\n{}", self.server.log()))
    }

    /// The first log line that contains `text`, once there is one.
    fn server_line(&self, text: &str) -> String {
        wait_until(text, DEFAULT_TIMEOUT, || {
            self.server
                .log()
                .lines()
                .find(|l| l.contains(text))
                .map(str::to_string)
        })
        .unwrap_or_else(|e| panic!("{e:#}\n{}", self.server.log()))
    }
}
