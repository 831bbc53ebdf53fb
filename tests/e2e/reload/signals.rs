//! What a SIGHUP does to an idle keep-alive connection, and the other
//! signals of the app master: SIGTTIN/SIGTTOU scaling, SIGUSR1 stats,
//! `die-on-term`.

use super::*;

/// A keep-alive client: one request, then waits for the file argv[2], then
/// a second request on the same connection; prints the second answer's
/// status and `Connection` header and how the connection ended after it.
const KEEP_ALIVE_CLIENT: &str = r#"
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def exchange(path):
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"pid=" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return "closed before an answer: %r" % data
        data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1").lower()
    close = "connection: close" in head
    return head.split("\r\n")[0] + (" close" if close else " keep-alive")
first = exchange(b"/first")
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
try:
    second = exchange(b"/second")
except ConnectionResetError:
    second = "reset"
s.settimeout(60)
try:
    end = "eof" if s.recv(4096) == b"" else "data"
except ConnectionResetError:
    end = "reset"
print(first + "|" + second + "|" + end)
"#;

/// After SIGHUP, a request on a keep-alive connection that was idle is
/// still answered, with `Connection: close`, and the server then closes
/// the connection cleanly (FIN, not RST): the client learns of the close
/// from the response, before it sends anything else.
#[test]
fn a_keep_alive_connection_gets_connection_close_after_sighup() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    write_ini(&dir, port, &app_path("pid_app.py"), "processes = 1");
    let mut server = start_ini(&dir, port);
    let go = dir.join("go");
    let script = Python::script(KEEP_ALIVE_CLIENT)
        .arg(port.to_string())
        .arg(&go);
    let client = std::thread::spawn(move || script.run());
    if let Err(err) = wait_for_log(&mut server, "GET /first", DEFAULT_TIMEOUT) {
        std::fs::write(&go, b"").expect("write the go file");
        let out = client.join().map(|r| r.map_err(|e| format!("{e:#}")));
        panic!("the first request: {err:#}\nclient: {out:?}");
    }
    let old = generation_pids(&server.log(), 1);
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    wait_for_log(&mut server, "Gracefully killing worker 1", RELOAD_TIMEOUT)
        .expect("the old worker stops");
    std::fs::write(&go, b"").expect("write the go file");
    let out = client.join().expect("client thread").expect("client runs");
    let log = server.log();
    assert_eq!(
        out.trim(),
        "http/1.1 200 ok keep-alive|http/1.1 200 ok close|eof",
        "{log}"
    );
    // The old worker answered the second request (its log line is written
    // after the answer went out).
    wait_for_log(&mut server, "GET /second", DEFAULT_TIMEOUT)
        .expect("the second request is logged");
    let log = server.log();
    let second = log
        .lines()
        .find(|l| l.contains("GET /second"))
        .expect("the second request is logged");
    assert!(
        old.iter().any(|p| second.contains(&format!("pid: {p}|"))),
        "{log}"
    );
}

#[test]
fn sigttin_sigttou_scale_and_sigusr1_logs_stats() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    write_ini(&dir, port, &app_path("pid_app.py"), "processes = 2");
    let mut server = start_ini(&dir, port);
    server.signal(Signal::SIGTTIN).expect("SIGTTIN");
    wait_for_log(&mut server, "spawned uWSGI worker 3 ", DEFAULT_TIMEOUT).expect("worker 3");
    distinct_pids(3, || curl(port, "/"));
    server.signal(Signal::SIGTTOU).expect("SIGTTOU");
    wait_for_log(&mut server, "worker 3 buried after", DEFAULT_TIMEOUT).expect("3 gone");
    server.signal(Signal::SIGTTOU).expect("SIGTTOU");
    wait_for_log(&mut server, "worker 2 buried after", DEFAULT_TIMEOUT).expect("2 gone");
    server.signal(Signal::SIGTTOU).expect("SIGTTOU");
    wait_for_log(&mut server, "only one worker left", DEFAULT_TIMEOUT).expect("1 stays");
    server.signal(Signal::SIGUSR1).expect("SIGUSR1");
    wait_for_log(&mut server, "*** end of workers stats ***", DEFAULT_TIMEOUT).expect("stats");
    let log = server.log();
    assert!(log.contains("*** workers stats (master pid: "), "{log}");
    assert!(log.contains("worker 1 pid: "), "{log}");
    // The scoreboard's counters of the current process.
    assert!(log.contains(", requests: "), "{log}");
    assert!(!log.contains("worker 2 pid: "), "{log}");
    assert!(served_pid(curl(port, "/")).is_some(), "still serving");
    assert!(server.ensure_running().is_ok());
}

/// `die-on-term` (uWSGI 2.0's switch from "TERM reloads" to "TERM stops")
/// is accepted and changes nothing: TERM is a graceful stop either way.
#[test]
fn die_on_term_is_accepted_and_sigterm_stops() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    write_ini(
        &dir,
        port,
        &app_path("pid_app.py"),
        "processes = 1\ndie-on-term = true",
    );
    let server = start_ini(&dir, port);
    let log = crate::master::stop_cleanly(server, Signal::SIGTERM);
    assert!(!log.contains("reloading"), "{log}");
    assert!(!log.contains("unknown option"), "{log}");
}

/// With `lazy-apps` each new worker imports the app itself: the old
/// workers serve until every new one has, and an app that no longer
/// imports fails the reload without losing them.
#[test]
fn a_lazy_apps_reload_waits_for_the_imports_and_can_fail() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let good_app = std::fs::read(app_path("pid_app.py")).expect("read pid_app.py");
    let app = dir.write("app.py", &good_app).expect("write app.py");
    write_ini(&dir, port, &app, "processes = 2\nlazy-apps = true");
    let mut server = start_ini(&dir, port);
    let old = distinct_pids(2, || curl(port, "/"));

    dir.write("app.py", b"raise ImportError('broken on purpose')\n")
        .expect("break app.py");
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    let failed = "reload failed: the app failed to import in the new worker";
    wait_for_log(&mut server, failed, RELOAD_TIMEOUT).expect("the failure is logged");
    wait_for_log(
        &mut server,
        "every worker of generation 2 is gone",
        RELOAD_TIMEOUT,
    )
    .expect("the failed generation is gone");
    assert_eq!(
        distinct_pids(2, || curl(port, "/")),
        old,
        "the old workers serve"
    );

    dir.write("app.py", &good_app).expect("restore app.py");
    reload(&mut server, 3, 1);
    let new = distinct_pids(2, || curl(port, "/"));
    assert!(new.is_disjoint(&old), "{old:?} {new:?}");
    assert_eq!(new, generation_pids(&server.log(), 3));
}

#[test]
fn a_reload_whose_import_hangs_is_given_up_after_reload_mercy() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let hang = dir.join("hang-on-import");
    let source = format!(
        "import os, time\nif os.path.exists({:?}):\n    time.sleep(600)\n{}",
        hang.display().to_string(),
        std::fs::read_to_string(app_path("slow_app.py")).expect("read slow_app.py")
    );
    let app = dir.write("app.py", source).expect("write app.py");
    write_ini(&dir, port, &app, "processes = 1\nreload-mercy = 3");
    let mut server = start_ini(&dir, port);
    let old = wait_generation(&server, 1, 1);

    std::fs::write(&hang, b"").expect("make the next import hang");
    let asked = Instant::now();
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    let failed = "reload failed: generation 2 was not ready within 3 seconds (reload-mercy)";
    wait_for_log(&mut server, failed, RELOAD_TIMEOUT).expect("the reload is given up");
    assert!(
        asked.elapsed() >= Duration::from_secs(3),
        "not before its reload-mercy"
    );
    let zygote: i32 = server
        .log()
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("spawned uWSGI zygote (pid: ")?;
            let (pid, rest) = rest.split_once(')')?;
            rest.contains("generation 2").then(|| pid.parse().ok())?
        })
        .expect("the new zygote's pid in the log");
    wait_until("the hung zygote to be gone", RELOAD_TIMEOUT, || {
        let gone = uwsgid_e2e::process::ProcId::of(zygote).is_none_or(|p| !p.is_alive());
        gone.then_some(())
    })
    .expect("the hung zygote is killed");
    let answer = curl(port, "/").run().expect("the app answers");
    let pid = answer.json().expect("json")["pid"].as_i64().expect("pid") as i32;
    assert!(
        old.contains(&pid),
        "the old worker serves on: {pid} vs {old:?}"
    );

    std::fs::remove_file(&hang).expect("let imports finish again");
    reload(&mut server, 3, 1);
}
