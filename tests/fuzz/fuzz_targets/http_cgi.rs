//! An HTTP request head, as hyper hands it to the front, turned into CGI
//! variables: arbitrary methods, request targets, header names and values
//! (whatever `http` accepts). The input is lines: the method, the target,
//! then `name:value` headers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uwsgid::protocol::cgi::{ConnInfo, decode_path, from_http, host_name, http_var_name};

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let method = lines.next().unwrap_or_default();
    let target = lines.next().unwrap_or_default();
    if let Ok(text) = std::str::from_utf8(target) {
        let _ = decode_path(text);
        let _ = host_name(text);
        let _ = http_var_name(text);
    }
    let mut req = hyper::Request::builder().method(method).uri(target);
    for line in lines {
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b""[..]),
        };
        req = req.header(name, value);
    }
    let Ok(req) = req.body(()) else {
        return;
    };
    let (parts, ()) = req.into_parts();
    let conn = ConnInfo {
        remote_addr: "127.0.0.1".into(),
        remote_port: "40000".into(),
        server_name: "localhost".into(),
        server_port: "8000".into(),
    };
    for keep_underscored in [false, true] {
        let (head, dropped) = from_http(&parts, &conn, keep_underscored);
        assert!(head.get("PATH_INFO").is_some());
        assert!(head.get("REQUEST_METHOD").is_some());
        for (name, _) in &head.vars {
            assert!(!name.is_empty(), "an empty CGI variable name");
        }
        if keep_underscored {
            assert!(dropped.is_empty(), "nothing is dropped when kept: {dropped:?}");
        } else {
            assert!(
                dropped.iter().all(|name| name.contains('_')),
                "only names with `_` are dropped: {dropped:?}"
            );
        }
        let _ = head.content_length();
    }
});
