//! Socket addresses (`socket`, `http-socket`, …) into [`ListenAddr`], with
//! uWSGI's rules: a value without `:` is a unix path, `@name` an abstract
//! socket, `:port` every IPv4 interface, `[v6]:port` and `host:port` TCP.

use super::app::ListenAddr;
use std::path::PathBuf;

/// The longest unix socket path Linux accepts (`sun_path` minus the NUL).
const MAX_UNIX_PATH: usize = 107;

/// Parses one socket address. A value starting with `/` is always a unix
/// path, even if it contains `:` (uWSGI would try TCP and fail).
pub fn parse_addr(value: &str) -> Result<ListenAddr, String> {
    if value.is_empty() {
        return Err("expected a socket address such as /run/app.sock or 127.0.0.1:8000".into());
    }
    if let Some(name) = value.strip_prefix('@') {
        if name.is_empty() {
            return Err("expected an abstract socket name after '@'".into());
        }
        return Ok(ListenAddr::Abstract(name.to_string()));
    }
    if value.starts_with('/') || !value.contains(':') {
        if value.len() > MAX_UNIX_PATH {
            return Err(format!(
                "unix socket path longer than {MAX_UNIX_PATH} bytes"
            ));
        }
        return Ok(ListenAddr::Unix(PathBuf::from(value)));
    }
    parse_tcp(value)
}

fn parse_tcp(value: &str) -> Result<ListenAddr, String> {
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "expected [ipv6]:port".to_string())?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| "expected [ipv6]:port".to_string())?;
        (host, port)
    } else {
        value
            .rsplit_once(':')
            .ok_or_else(|| "expected host:port".to_string())?
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("expected host:port with a port number 0-65535, got port '{port}'"))?;
    // `:port` and `*:port` listen on every IPv4 interface (INADDR_ANY).
    let host = if host.is_empty() || host == "*" {
        "0.0.0.0"
    } else {
        host
    };
    Ok(ListenAddr::Tcp {
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> ListenAddr {
        ListenAddr::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("/run/uwsgi/a.sock"),
            Ok(ListenAddr::Unix("/run/uwsgi/a.sock".into()))
        );
        assert_eq!(
            parse_addr("relative.sock"),
            Ok(ListenAddr::Unix("relative.sock".into()))
        );
        assert_eq!(parse_addr("@abs"), Ok(ListenAddr::Abstract("abs".into())));
        assert_eq!(parse_addr(":8000"), Ok(tcp("0.0.0.0", 8000)));
        assert_eq!(parse_addr("127.0.0.1:3031"), Ok(tcp("127.0.0.1", 3031)));
        assert_eq!(parse_addr("localhost:80"), Ok(tcp("localhost", 80)));
        assert_eq!(parse_addr("[::1]:8080"), Ok(tcp("::1", 8080)));
        assert_eq!(parse_addr("*:8080"), Ok(tcp("0.0.0.0", 8080)));
        assert_eq!(
            parse_addr("/tmp/a:b.sock"),
            Ok(ListenAddr::Unix("/tmp/a:b.sock".into()))
        );
    }

    #[test]
    fn bad_addresses() {
        for bad in [
            "",
            "@",
            ":http",
            "host:70000",
            "[::1]8080",
            "[::1",
            "0.0.0.0:port",
        ] {
            assert!(parse_addr(bad).is_err(), "{bad:?}");
        }
        assert!(parse_addr(&format!("/{}", "x".repeat(120))).is_err());
    }
}
