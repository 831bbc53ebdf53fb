//! nginx in front of uwsgid, as users deploy it: `uwsgi_pass` (the binary
//! uwsgi protocol, with Debian's `uwsgi_params`) or `proxy_pass` (HTTP).
//! nginx runs in the foreground as one process (`master_process off`) with
//! every file in the test's directory, under a [`Server`] guard.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};

use crate::dir::TestDir;
use crate::http::{Curl, curl};
use crate::net::free_port;
use crate::process::{Server, ServerBuilder};
use crate::wait::wait_until;

/// The parameters of Debian's `/etc/nginx/uwsgi_params`, inlined so the
/// tests do not depend on that file's presence or edits.
const UWSGI_PARAMS: &str = "\
uwsgi_param QUERY_STRING $query_string;
uwsgi_param REQUEST_METHOD $request_method;
uwsgi_param CONTENT_TYPE $content_type;
uwsgi_param CONTENT_LENGTH $content_length;
uwsgi_param REQUEST_URI $request_uri;
uwsgi_param PATH_INFO $document_uri;
uwsgi_param DOCUMENT_ROOT $document_root;
uwsgi_param SERVER_PROTOCOL $server_protocol;
uwsgi_param REQUEST_SCHEME $scheme;
uwsgi_param HTTPS $https if_not_empty;
uwsgi_param REMOTE_ADDR $remote_addr;
uwsgi_param REMOTE_PORT $remote_port;
uwsgi_param SERVER_PORT $server_port;
uwsgi_param SERVER_NAME $server_name;
";

/// A running nginx listening on `127.0.0.1:port`.
#[derive(Debug)]
pub struct Nginx {
    pub server: Server,
    pub port: u16,
}

impl Nginx {
    /// nginx passing every request to `upstream` with the uwsgi protocol;
    /// `upstream` is `unix:/path.sock` or `127.0.0.1:PORT`.
    pub fn uwsgi_pass(dir: &TestDir, upstream: &str) -> Result<Nginx> {
        Nginx::start(dir, &format!("{UWSGI_PARAMS}uwsgi_pass {upstream};"))
    }

    /// As [`Nginx::uwsgi_pass`], and nginx itself sends the files under
    /// `dir_served` the app names in `X-Accel-Redirect` (an `internal`
    /// location with `root /`, as a `file-serve-mode = nginx` site has).
    pub fn uwsgi_pass_accel(dir: &TestDir, upstream: &str, dir_served: &Path) -> Result<Nginx> {
        let extra = format!(
            "location ^~ {}/ {{\n      internal;\n      root /;\n    }}\n",
            dir_served.display()
        );
        Nginx::start_with(
            dir,
            &format!("{UWSGI_PARAMS}uwsgi_pass {upstream};"),
            &extra,
        )
    }

    /// nginx proxying every request to `upstream` over HTTP/1.1;
    /// `upstream` is `http://127.0.0.1:PORT` or `http://unix:/path.sock:`.
    pub fn proxy_pass(dir: &TestDir, upstream: &str) -> Result<Nginx> {
        let location = format!(
            "proxy_http_version 1.1;\nproxy_set_header Connection \"\";\n\
             proxy_set_header Host $host;\nproxy_pass {upstream};"
        );
        Nginx::start(dir, &location)
    }

    /// nginx with `location / { LOCATION }`, files under `<dir>/nginx/`.
    pub fn start(dir: &TestDir, location: &str) -> Result<Nginx> {
        Nginx::start_with(dir, location, "")
    }

    /// As [`Nginx::start`], with `extra` in the `server` block.
    fn start_with(dir: &TestDir, location: &str, extra: &str) -> Result<Nginx> {
        let port = free_port()?;
        let root = dir.join("nginx");
        let conf = dir.write("nginx/nginx.conf", config(&root, port, location, extra))?;
        let mut server = ServerBuilder::new(nginx_bin()?, root.join("stdout.log"))
            .arg("-p")
            .arg(&root)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(root.join("error.log"))
            .start()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listening = wait_until("nginx to listen", crate::DEFAULT_TIMEOUT, || {
            if let Err(err) = server.ensure_running() {
                return Some(Err(err));
            }
            TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .ok()
                .map(|_| Ok(()))
        });
        if let Err(err) = listening.and_then(|r| r) {
            let errors = std::fs::read_to_string(root.join("error.log")).unwrap_or_default();
            bail!("{err:#}\nnginx error.log:\n{errors}");
        }
        Ok(Nginx { server, port })
    }

    /// `curl http://127.0.0.1:PORT/PATH` through nginx.
    pub fn curl(&self, path: &str) -> Curl {
        curl(self.port, path)
    }
}

/// The nginx binary the tests drive.
pub fn nginx_bin() -> Result<PathBuf> {
    for dir in ["/usr/sbin", "/usr/local/sbin", "/usr/bin"] {
        let path = Path::new(dir).join("nginx");
        if path.is_file() {
            return Ok(path);
        }
    }
    bail!("nginx is not installed: run scripts/test (it installs nginx-light)")
}

fn config(root: &Path, port: u16, location: &str, extra: &str) -> String {
    let root = root.display();
    format!(
        "daemon off;\nmaster_process off;\npid {root}/nginx.pid;\n\
         error_log {root}/error.log info;\nevents {{ worker_connections 256; }}\n\
         http {{\n  access_log {root}/access.log;\n\
         client_body_temp_path {root}/body;\n  proxy_temp_path {root}/proxy;\n\
         uwsgi_temp_path {root}/uwsgi;\n  fastcgi_temp_path {root}/fastcgi;\n\
         scgi_temp_path {root}/scgi;\n  client_max_body_size 64m;\n\
         large_client_header_buffers 4 32k;\n\
         server {{\n    listen 127.0.0.1:{port};\n    server_name localhost;\n\
         location / {{\n{location}\n    }}\n    {extra}  }}\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::Nginx;
    use crate::dir::TestDir;
    use crate::net::free_port;
    use crate::process::ServerBuilder;
    use crate::wait::wait_until;

    /// The generated configuration works: nginx proxies to Python's
    /// http.server serving a file of the test directory.
    #[test]
    fn proxy_pass_reaches_the_upstream() {
        let dir = TestDir::new().expect("temp dir");
        dir.write("www/hello.txt", "hello through nginx\n")
            .expect("write");
        let port = free_port().expect("port");
        let python = crate::paths::venv_python().expect("the test venv");
        let _upstream = ServerBuilder::new(python, dir.join("upstream.log"))
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(dir.join("www"))
            .start()
            .expect("http.server starts");
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        wait_until("http.server", crate::DEFAULT_TIMEOUT, || {
            std::net::TcpStream::connect(addr).ok()
        })
        .expect("http.server listens");
        let nginx = Nginx::proxy_pass(&dir, &format!("http://127.0.0.1:{port}")).expect("nginx");
        let response = nginx.curl("/hello.txt").run().expect("GET");
        assert_eq!(response.status, 200);
        assert_eq!(response.text(), "hello through nginx\n");
    }
}
