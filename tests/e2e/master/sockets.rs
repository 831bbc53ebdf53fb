//! Listen sockets: TCP (v4, v6), unix (owner, mode, stale files, vacuum),
//! abstract, the backlog, systemd activation, the pidfile, and the errors.

use super::*;

#[test]
fn unix_socket_owner_mode_pidfile_and_vacuum() {
    let dir = TestDir::new().expect("temp dir");
    let sock = dir.join("app.sock");
    let pidfile = dir.join("app.pid");
    let file = app_path("pid_app.py");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            sock.to_str().expect("utf-8"),
            "--chown-socket",
            "33:www-data",
            "--chmod-socket",
            "660",
            "--pidfile",
            pidfile.to_str().expect("utf-8"),
            "--vacuum",
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
    );
    wait_until("the unix socket to serve", DEFAULT_TIMEOUT, || {
        served_pid(unix_curl(&sock))
    })
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));
    let meta = std::fs::metadata(&sock).expect("socket exists");
    assert_eq!((meta.uid(), meta.gid()), (33, 33), "chown-socket");
    assert_eq!(meta.permissions().mode() & 0o777, 0o660, "chmod-socket");
    let written = std::fs::read_to_string(&pidfile).expect("pidfile");
    assert_eq!(written, format!("{}\n", server.pid()));
    let log = server.log();
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 bound to UNIX address {} fd 3",
            sock.display()
        )),
        "{log}"
    );
    server.ensure_running().expect("running");
    let log = stop_cleanly(server, Signal::SIGTERM);
    assert!(!sock.exists(), "vacuum removed the socket");
    assert!(!pidfile.exists(), "vacuum removed the pidfile");
    assert!(
        log.contains(&format!("VACUUM: unix socket {} removed.", sock.display())),
        "{log}"
    );
    assert!(log.contains("VACUUM: pidfile removed."), "{log}");
}

#[test]
fn a_stale_socket_file_is_replaced_but_a_live_one_is_refused() {
    let dir = TestDir::new().expect("temp dir");
    let sock = dir.join("app.sock");
    drop(std::os::unix::net::UnixListener::bind(&sock).expect("bind"));
    assert!(sock.exists(), "a stale socket file");
    let file = app_path("pid_app.py");
    let args = [
        "--http-socket",
        sock.to_str().expect("utf-8"),
        "--wsgi-file",
        file.to_str().expect("utf-8"),
    ];
    let mut server = start(&dir, &args);
    let pid = wait_until("the unix socket to serve", DEFAULT_TIMEOUT, || {
        served_pid(unix_curl(&sock))
    })
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));

    let other_dir = TestDir::new().expect("temp dir");
    let mut second = start(&other_dir, &args);
    let status = second
        .wait_exit(DEFAULT_TIMEOUT)
        .expect("the second instance gives up");
    let log = second.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("is in use by a running server"), "{log}");
    assert!(sock.exists());
    assert_eq!(
        served_pid(unix_curl(&sock)),
        Some(pid),
        "the first instance still serves"
    );
    server.ensure_running().expect("the first instance runs");
}

#[test]
fn several_sockets_are_served_by_every_worker() {
    let dir = TestDir::new().expect("temp dir");
    let (tcp, v6) = (free_port().expect("port"), free_port().expect("port"));
    let sock = dir.join("app.sock");
    let uwsgi_sock = dir.join("uwsgi.sock");
    let file = app_path("pid_app.py");
    let (tcp_addr, v6_addr) = (format!("127.0.0.1:{tcp}"), format!("[::1]:{v6}"));
    let args = [
        "--http-socket",
        &tcp_addr,
        "--http-socket",
        sock.to_str().expect("utf-8"),
        "--http",
        &v6_addr,
        "--socket",
        uwsgi_sock.to_str().expect("utf-8"),
        "--processes",
        "2",
        "--wsgi-file",
        file.to_str().expect("utf-8"),
    ];
    let mut server = start(&dir, &args);
    wait_http_ready(&mut server, tcp, DEFAULT_TIMEOUT).expect("ready");
    let log = server.log();
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 bound to TCP address {tcp_addr} fd 3"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 1 bound to UNIX address {} fd 4",
            sock.display()
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 2 bound to TCP address {v6_addr} fd 5"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 3 bound to UNIX address {} fd 6",
            uwsgi_sock.display()
        )),
        "{log}"
    );
    let want = distinct_pids(2, || curl(tcp, "/"));
    assert_eq!(distinct_pids(2, || unix_curl(&sock)), want);
    assert_eq!(
        distinct_pids(2, || Curl::new(format!("http://[::1]:{v6}/"))),
        want
    );
    let mut over_uwsgi = BTreeSet::new();
    wait_until(
        "both workers over the uwsgi protocol",
        DEFAULT_TIMEOUT,
        || {
            over_uwsgi.extend(uwsgi_request_pid(&uwsgi_sock));
            (over_uwsgi.len() >= 2).then_some(())
        },
    )
    .expect("the uwsgi socket is served by every worker");
    assert_eq!(over_uwsgi, want);
}

/// One `GET /` in the binary uwsgi protocol (what nginx's `uwsgi_pass`
/// sends) on a unix socket; the pid `pid_app.py` answered with.
fn uwsgi_request_pid(path: &Path) -> Option<i32> {
    use std::io::{Read, Write};
    let vars = [
        ("REQUEST_METHOD", "GET"),
        ("PATH_INFO", "/"),
        ("QUERY_STRING", ""),
        ("SERVER_NAME", "localhost"),
        ("SERVER_PORT", "80"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
    ];
    let mut block = Vec::new();
    for (key, value) in vars {
        for part in [key, value] {
            block.extend_from_slice(&u16::try_from(part.len()).ok()?.to_le_bytes());
            block.extend_from_slice(part.as_bytes());
        }
    }
    let mut packet = vec![0u8];
    packet.extend_from_slice(&u16::try_from(block.len()).ok()?.to_le_bytes());
    packet.push(0);
    packet.extend_from_slice(&block);
    let mut stream = std::os::unix::net::UnixStream::connect(path).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(&packet).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let body = answer.split_once("\r\n\r\n")?.1;
    body.trim().strip_prefix("pid=")?.parse().ok()
}

#[test]
fn a_tcp_port_in_use_is_a_clear_error() {
    let dir = TestDir::new().expect("temp dir");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let file = app_path("pid_app.py");
    let log = start_failing(
        &dir,
        &[
            "--http-socket",
            &addr,
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
        1,
    );
    assert!(
        log.contains(&format!(
            "probably another instance of uWSGI is running on the same address ({addr})."
        )),
        "{log}"
    );
    assert!(
        log.contains("Address already in use") || log.contains("EADDRINUSE"),
        "{log}"
    );
}

#[test]
fn a_backlog_above_somaxconn_is_refused() {
    let dir = TestDir::new().expect("temp dir");
    let max: u64 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .expect("somaxconn")
        .trim()
        .parse()
        .expect("number");
    let listen = (max + 1).to_string();
    let port = free_port().expect("port").to_string();
    let file = app_path("pid_app.py");
    let log = start_failing(
        &dir,
        &[
            "--http-socket",
            &format!("127.0.0.1:{port}"),
            "--listen",
            &listen,
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
        1,
    );
    assert!(
        log.contains(&format!(
            "Listen queue size is greater than the system max net.core.somaxconn ({max})."
        )),
        "{log}"
    );
}

#[test]
fn no_socket_is_a_clear_error() {
    let dir = TestDir::new().expect("temp dir");
    let file = app_path("pid_app.py");
    let log = start_failing(&dir, &["--wsgi-file", file.to_str().expect("utf-8")], 1);
    assert!(
        log.contains("The -s/--socket option is missing and stdin is not a socket."),
        "{log}"
    );
    assert!(
        log.contains("http-socket = :8080"),
        "says what to add: {log}"
    );
}

#[test]
fn systemd_activated_sockets_are_used_instead_of_binding() {
    let dir = TestDir::new().expect("temp dir");
    let sock = dir.join("activated.sock");
    let file = app_path("pid_app.py");
    let uwsgid = uwsgid_e2e::uwsgid_bin().expect("uwsgid is built");
    // What systemd does: bind, put the socket at fd 3, name our pid, exec.
    let launcher = r#"
import os, socket, sys
path, binary, app = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(binary, [binary, "--http-socket", path, "--wsgi-file", app])
"#;
    let mut server = ServerBuilder::new("python3", dir.join("uwsgid.log"))
        .args([
            "-c",
            launcher,
            sock.to_str().expect("utf-8"),
            uwsgid.to_str().expect("utf-8"),
            file.to_str().expect("utf-8"),
        ])
        .current_dir(dir.path())
        .start()
        .expect("launcher starts");
    let inode = wait_until("the activated socket", DEFAULT_TIMEOUT, || {
        std::fs::metadata(&sock).ok().map(|m| m.ino())
    })
    .expect("socket file");
    wait_until("the activated socket to serve", DEFAULT_TIMEOUT, || {
        served_pid(unix_curl(&sock))
    })
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));
    let log = server.log();
    assert!(
        log.contains("- SystemD socket activation detected -"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 inherited UNIX address {} fd 3",
            sock.display()
        )),
        "{log}"
    );
    assert_eq!(
        std::fs::metadata(&sock).map(|m| m.ino()).ok(),
        Some(inode),
        "not re-bound"
    );
    server.ensure_running().expect("running");
    let worker = births(&log)[0].1;
    let environ = std::fs::read(format!("/proc/{worker}/environ")).expect("worker environ");
    assert!(
        !String::from_utf8_lossy(&environ).contains("LISTEN_PID="),
        "children do not inherit LISTEN_*"
    );
}

#[test]
fn vacuum_leaves_a_socket_file_that_replaced_its_own() {
    let dir = TestDir::new().expect("temp dir");
    let sock = dir.join("app.sock");
    let file = app_path("pid_app.py");
    let args = [
        "--http-socket",
        sock.to_str().expect("utf-8"),
        "--vacuum",
        "--wsgi-file",
        file.to_str().expect("utf-8"),
    ];
    let server = start(&dir, &args);
    wait_until("the unix socket to serve", DEFAULT_TIMEOUT, || {
        served_pid(unix_curl(&sock))
    })
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));
    std::fs::remove_file(&sock).expect("rm");
    let other = std::os::unix::net::UnixListener::bind(&sock).expect("another server's socket");
    let log = stop_cleanly(server, Signal::SIGTERM);
    assert!(
        log.contains(&format!(
            "VACUUM WARNING: unix socket {} changed inode. Skip removal",
            sock.display()
        )),
        "{log}"
    );
    assert!(sock.exists(), "the other server's socket is left alone");
    drop(other);
}

#[test]
fn listen_sets_the_backlog_and_any_address_and_abstract_sockets_serve() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port");
    let name = format!("uwsgid-e2e-{}", std::process::id());
    // `:PORT` is every IPv4 interface; the test still talks to 127.0.0.1 only.
    let (tcp, abstract_addr) = (format!(":{port}"), format!("@{name}"));
    let file = app_path("pid_app.py");
    let args = [
        "--http-socket",
        &tcp,
        "--http-socket",
        &abstract_addr,
        "--listen",
        "57",
        "--wsgi-file",
        file.to_str().expect("utf-8"),
    ];
    let mut server = start(&dir, &args);
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("ready");
    let pid = served_pid(curl(port, "/")).expect("tcp serves");
    let over_abstract = Curl::new("http://localhost/")
        .arg("--abstract-unix-socket")
        .arg(&name);
    assert_eq!(served_pid(over_abstract), Some(pid));
    let log = server.log();
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 bound to TCP address 0.0.0.0:{port} fd 3"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "uwsgi socket 1 bound to UNIX address @{name} fd 4"
        )),
        "{log}"
    );
    // ss shows a listening socket's backlog as its Send-Q.
    let ss = std::process::Command::new("ss")
        .args(["-Hltn", &format!("sport = :{port}")])
        .output()
        .expect("ss runs");
    let line = String::from_utf8_lossy(&ss.stdout).into_owned();
    assert_eq!(line.split_whitespace().nth(2), Some("57"), "{line}");
}

#[test]
fn the_pidfile_is_written_before_binding() {
    let dir = TestDir::new().expect("temp dir");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let pidfile = dir.join("app.pid");
    let file = app_path("pid_app.py");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            &addr,
            "--pidfile",
            pidfile.to_str().expect("utf-8"),
            "--wsgi-file",
            file.to_str().expect("utf-8"),
        ],
    );
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("exits");
    assert_eq!(status.code(), Some(1), "{}", server.log());
    let written = std::fs::read_to_string(&pidfile).expect("the pidfile exists (no vacuum)");
    assert_eq!(written, format!("{}\n", server.pid()));
}

#[test]
fn without_a_configured_socket_a_listening_stdin_is_used() {
    let dir = TestDir::new().expect("temp dir");
    let sock = dir.join("stdin.sock");
    let file = app_path("pid_app.py");
    let uwsgid = uwsgid_e2e::uwsgid_bin().expect("uwsgid is built");
    // inetd style: the listening socket is stdin.
    let launcher = r#"
import os, socket, sys
path, binary, app = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
os.dup2(s.fileno(), 0)
os.execv(binary, [binary, "--wsgi-file", app])
"#;
    let server = ServerBuilder::new("python3", dir.join("uwsgid.log"))
        .args([
            "-c",
            launcher,
            sock.to_str().expect("utf-8"),
            uwsgid.to_str().expect("utf-8"),
            file.to_str().expect("utf-8"),
        ])
        .current_dir(dir.path())
        .start()
        .expect("launcher starts");
    wait_until(
        "stdin's socket to serve the uwsgi protocol",
        DEFAULT_TIMEOUT,
        || uwsgi_request_pid(&sock),
    )
    .unwrap_or_else(|err| panic!("{err}\n{}", server.log()));
    let log = server.log();
    assert!(
        log.contains(&format!(
            "uwsgi socket 0 inherited UNIX address {} from stdin fd 3",
            sock.display()
        )),
        "{log}"
    );
    stop_cleanly(server, Signal::SIGTERM);
}
