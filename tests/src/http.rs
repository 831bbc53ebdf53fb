//! HTTP requests through `curl`, the client users have: one process per
//! request, status, headers and body captured, a hard time limit each.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::DEFAULT_TIMEOUT;

/// A finished HTTP exchange (the last one when redirects were followed).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// `(name, value)` in order; names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (case-insensitive).
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; the error shows the body.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("response body is not JSON: {:?}", self.text()))
    }
}

/// `curl http://127.0.0.1:PORT/PATH`, to be refined and [`run`](Curl::run).
pub fn curl(port: u16, path: &str) -> Curl {
    Curl::new(format!("http://127.0.0.1:{port}{path}"))
}

/// A `curl` command line under construction.
#[derive(Debug, Clone)]
pub struct Curl {
    url: String,
    args: Vec<OsString>,
    timeout: Duration,
}

impl Curl {
    pub fn new(url: impl Into<String>) -> Curl {
        Curl {
            url: url.into(),
            args: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Any curl argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// `-X METHOD`.
    pub fn method(self, method: &str) -> Self {
        self.arg("-X").arg(method)
    }

    /// `HEAD` (`-I`: curl then reads no body).
    pub fn head(self) -> Self {
        self.arg("-I")
    }

    /// `-H "Name: value"`.
    pub fn header(self, name: &str, value: &str) -> Self {
        self.arg("-H").arg(format!("{name}: {value}"))
    }

    /// A raw request body (`--data-binary`), POST unless a method is set.
    pub fn data(self, body: &str) -> Self {
        self.arg("--data-binary").arg(body)
    }

    /// The request body from a file (`--data-binary @FILE`).
    pub fn data_file(self, path: &Path) -> Self {
        let mut arg = OsString::from("@");
        arg.push(path);
        self.arg("--data-binary").arg(arg)
    }

    /// One urlencoded form field (`--data-urlencode name=value`).
    pub fn form_field(self, name: &str, value: &str) -> Self {
        self.arg("--data-urlencode").arg(format!("{name}={value}"))
    }

    /// One multipart field (`-F name=value`); `value` may be `@FILE`.
    pub fn multipart(self, name: &str, value: &str) -> Self {
        self.arg("-F").arg(format!("{name}={value}"))
    }

    /// A JSON body with its content type.
    pub fn json(self, body: &serde_json::Value) -> Self {
        self.header("Content-Type", "application/json")
            .data(&body.to_string())
    }

    /// Follow redirects (`-L`).
    pub fn follow(self) -> Self {
        self.arg("-L")
    }

    /// Read and write cookies in `jar` (`-b JAR -c JAR`).
    pub fn cookie_jar(self, jar: &Path) -> Self {
        self.arg("-b").arg(jar).arg("-c").arg(jar)
    }

    /// The whole exchange's time limit (`--max-time`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs curl; a transport error (connection refused, reset, timeout) is
    /// an error, any HTTP status is a [`Response`].
    pub fn run(self) -> Result<Response> {
        let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
        let head_file = dir.path().join("head");
        let body_file = dir.path().join("body");
        let output = Command::new("curl")
            .args(["-sS", "--http1.1", "--max-time"])
            .arg(format!("{:.3}", self.timeout.as_secs_f64()))
            .arg("-D")
            .arg(&head_file)
            .arg("-o")
            .arg(&body_file)
            .args(&self.args)
            .arg(&self.url)
            .stdin(Stdio::null())
            .output()
            .context("cannot run curl (is it installed? scripts/test installs it)")?;
        if !output.status.success() {
            bail!(
                "curl {:?} {} failed ({}): {}",
                self.args,
                self.url,
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let head = std::fs::read(&head_file).context("curl wrote no headers")?;
        let body = std::fs::read(&body_file).unwrap_or_default();
        let (status, headers) = parse_last_head(&String::from_utf8_lossy(&head))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// The status and headers of the last response in curl's `-D` dump, which
/// holds one block per response (interim 1xx and redirects included).
fn parse_last_head(dump: &str) -> Result<(u16, Vec<(String, String)>)> {
    let block = dump
        .split("\r\n\r\n")
        .filter(|b| b.trim_start().starts_with("HTTP/"))
        .last()
        .with_context(|| format!("no HTTP response head in {dump:?}"))?;
    let mut lines = block.trim_start().lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers))
}

#[cfg(test)]
mod tests {
    use super::parse_last_head;

    #[test]
    fn last_head_wins_over_interim_and_redirects() {
        let dump = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n\
                    HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\n\r\n";
        let (status, headers) = parse_last_head(dump).expect("parses");
        assert_eq!(status, 200);
        assert_eq!(
            headers,
            vec![
                ("content-type".to_string(), "text/plain".to_string()),
                ("set-cookie".to_string(), "a=1".to_string())
            ]
        );
    }

    #[test]
    fn no_head_is_an_error() {
        assert!(parse_last_head("").is_err());
    }
}
