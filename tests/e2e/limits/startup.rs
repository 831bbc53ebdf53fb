//! `logto` (the whole app's output appended to a file, no detach) and the
//! warning for a root master without `uid`.

use std::io::Write;

use uwsgid_e2e::{DEFAULT_TIMEOUT, curl, wait_until};

use super::*;

#[test]
fn logto_appends_every_process_output_to_the_file() {
    let dir = TestDir::new().expect("temp dir");
    let logto = dir.join("app.log");
    {
        let mut file = std::fs::File::create(&logto).expect("create");
        writeln!(file, "an earlier line").expect("write");
    }
    let logto_arg = logto.to_str().expect("utf-8 path").to_owned();
    let (mut server, port) = start_http(&dir, "pid_app.py", &["--logto", &logto_arg]);
    let pid = served_pid(curl(port, "/logged")).expect("served");
    let text = || std::fs::read_to_string(&logto).unwrap_or_default();
    wait_until(
        "the request line in the logto file",
        DEFAULT_TIMEOUT,
        || text().contains("GET /logged =>").then_some(()),
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", text()));
    let content = text();
    assert!(
        content.starts_with("an earlier line\n"),
        "appended:\n{content}"
    );
    assert!(
        content.contains("spawned uWSGI master process"),
        "{content}"
    );
    assert!(
        content.contains(&format!("[pid: {pid}|worker: 1|")),
        "{content}"
    );
    // No detach: the launched process is the master and still runs.
    server
        .ensure_running()
        .expect("the master runs in the foreground");
    assert!(
        content.contains(&format!("(pid: {})", server.pid())),
        "{content}"
    );
    assert!(
        !server.log().contains("spawned uWSGI master"),
        "nothing on stderr"
    );
}

#[test]
fn a_root_master_without_uid_is_warned_about() {
    let dir = TestDir::new().expect("temp dir");
    let (server, _port) = start_http(&dir, "pid_app.py", &[]);
    let warning = "*** WARNING: you are running uWSGI as root !!! (use the --uid flag) ***";
    let root = nix::unistd::Uid::effective().is_root();
    assert_eq!(server.log().contains(warning), root, "{}", server.log());
}
