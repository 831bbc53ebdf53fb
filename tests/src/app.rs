//! [`HttpApp`]: uwsgid serving a WSGI app over `http-socket` on a free port
//! of 127.0.0.1, started and ready: the shape most end-to-end tests need.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::dir::TestDir;
use crate::http::{Curl, curl};
use crate::net::free_port;
use crate::paths::app_path;
use crate::process::{Server, ServerBuilder};
use crate::wait::wait_http_ready;

/// A running uwsgid with its temporary directory and HTTP port. The server is
/// stopped before the directory is removed (field order).
#[derive(Debug)]
pub struct HttpApp {
    pub server: Server,
    pub port: u16,
    pub dir: TestDir,
}

impl HttpApp {
    /// `uwsgid --http-socket 127.0.0.1:PORT --master --wsgi-file tests/apps/APP
    /// ARGS…`, waited for until it answers HTTP.
    pub fn start<S: AsRef<OsStr>>(app: &str, args: &[S]) -> Result<HttpApp> {
        let file = app_path(app);
        let mut all: Vec<&OsStr> = vec![OsStr::new("--wsgi-file"), file.as_os_str()];
        all.extend(args.iter().map(AsRef::as_ref));
        HttpApp::start_args(&all)
    }

    /// `uwsgid --http-socket 127.0.0.1:PORT --master ARGS…` (the app named by
    /// ARGS), waited for until it answers HTTP.
    pub fn start_args<S: AsRef<OsStr>>(args: &[S]) -> Result<HttpApp> {
        let dir = TestDir::new()?;
        let port = free_port()?;
        let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))?
            .arg("--http-socket")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--master")
            .args(args)
            .current_dir(dir.path())
            .start()?;
        wait_http_ready(&mut server, port, crate::DEFAULT_TIMEOUT)?;
        Ok(HttpApp { server, port, dir })
    }

    /// `curl http://127.0.0.1:PORT/PATH`.
    pub fn curl(&self, path: &str) -> Curl {
        curl(self.port, path)
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `<tempdir>/<name>`.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}
