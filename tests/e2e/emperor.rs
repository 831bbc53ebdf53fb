//! uWSGI's Emperor mode: `emperor = DIR` (or a glob) in an ini, or
//! `--emperor` on the command line, runs uwsgid's supervisor on the vassal
//! files, with `emperor-pidfile`, `emperor-freq`, `vassal-set`,
//! `vassals-include` and `emperor-tyrant`; `uwsgictl` works against it.
//! Other Emperor options are refused with their line.
//!
//! Every path of the supervisor is in the test's own directory (the
//! tests run as root and must not touch `/run/uwsgid`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use uwsgid_e2e::control::{status, wait_app};
use uwsgid_e2e::{
    Server, ServerBuilder, TestDir, app_path, curl, free_port, process, uwsgictl, wait_until,
};
use uwsgid_proto::v1::AppStatus;

mod tyrant;

/// Starting and stopping vassals on a busy 2-core machine.
const WAIT: Duration = Duration::from_secs(60);

/// A vassal's ini: `pid_app.py` on 127.0.0.1:port, with `extra` lines.
fn vassal(port: u16, extra: &str) -> String {
    format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n{extra}\n",
        app_path("pid_app.py").display()
    )
}

/// The test directory, readable by every user (a tyrant's vassals read
/// their files as their owners).
fn open_dir() -> TestDir {
    let dir = TestDir::new().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod the test dir");
    std::fs::create_dir_all(dir.join("vassals")).expect("vassals dir");
    dir
}

/// `uwsgid ARGS --control … --state-dir … --log-dir …` in `dir`.
fn start_emperor(dir: &TestDir, args: &[&str]) -> Server {
    ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(args)
        .arg("--control")
        .arg(control(dir))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--log-dir")
        .arg(dir.join("log"))
        .current_dir(dir.path())
        .stop_timeout(WAIT)
        .start()
        .expect("uwsgid starts")
}

fn control(dir: &TestDir) -> PathBuf {
    dir.join("run/control.sock")
}

/// Waits until the vassal `name` runs with `workers` workers.
fn wait_running(dir: &TestDir, server: &Server, name: &str, workers: usize) -> AppStatus {
    wait_app(&control(dir), name, WAIT, |a| {
        a.state == "running" && a.workers.iter().filter(|w| w.pid > 0).count() == workers
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()))
}

/// The text `pid_app.py` answers `path` with on `port`.
fn answer(port: u16, path: &str) -> String {
    let reply = curl(port, path).run().expect("curl runs");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.text()
}

/// The real uid of `pid`, from `/proc`.
fn uid_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn stop(mut server: Server, pidfile: Option<&Path>) {
    let status = server.stop().expect("the Emperor stops");
    assert!(status.success(), "{status}\n{}", server.log());
    if let Some(pidfile) = pidfile {
        assert!(!pidfile.exists(), "the pidfile is removed at exit");
    }
}

#[test]
fn an_emperor_ini_runs_every_vassal_with_the_vassal_options() {
    let dir = open_dir();
    let (one, two) = (free_port().expect("port"), free_port().expect("port"));
    dir.write("vassals/one.ini", vassal(one, ""))
        .expect("write");
    dir.write("vassals/two.ini", vassal(two, "processes = 1"))
        .expect("write");
    dir.write("common.ini", "[uwsgi]\nenv = FROM_VASSALS_INCLUDE=1\n")
        .expect("write");
    dir.write("vassals/legacy.yaml", "uwsgi:\n  processes: 1\n")
        .expect("write");
    let emperor = format!(
        "[uwsgi]\nemperor = {}\nemperor-pidfile = {}\nemperor-freq = 1\n\
         vassal-set = processes=2\nvassals-include = {}\nbinary-path = /usr/bin/uwsgi\n",
        dir.join("vassals").display(),
        dir.join("emperor.pid").display(),
        dir.join("common.ini").display()
    );
    dir.write("emperor.ini", emperor).expect("write");
    let server = start_emperor(&dir, &["--ini", "emperor.ini"]);

    // `vassal-set` comes before the vassal's file: its own value wins.
    wait_running(&dir, &server, "one", 2);
    wait_running(&dir, &server, "two", 1);
    assert!(answer(one, "/os-environ").contains("FROM_VASSALS_INCLUDE\n"));
    assert!(answer(two, "/").starts_with("pid="));
    let pid = process::read_pidfile(&dir.join("emperor.pid"));
    assert_eq!(pid, Some(server.pid()), "emperor-pidfile");
    let log = server.log();
    assert!(
        log.contains("binary-path = /usr/bin/uwsgi: uwsgid runs its vassals with itself"),
        "{log}"
    );

    // uwsgictl drives the vassals as the supervisor's apps.
    let socket = control(&dir).display().to_string();
    let out = uwsgictl(&["--socket", &socket, "status"]).expect("uwsgictl runs");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && table.contains("one") && table.contains("two"));

    // A new file is a new vassal; a removed one stops (emperor-freq = 1).
    let three = free_port().expect("port");
    dir.write("vassals/three.ini", vassal(three, ""))
        .expect("write");
    wait_running(&dir, &server, "three", 2);
    std::fs::remove_file(dir.join("vassals/one.ini")).expect("remove one.ini");
    wait_until("one to be gone", WAIT, || {
        let apps = status(&control(&dir)).ok()?;
        apps.iter().all(|a| a.name != "one").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert!(curl(one, "/").run().is_err(), "one's socket is closed");
    // Named once, though every scan since found it.
    let log = server.log();
    let named = "legacy.yaml is not started: uwsgid runs .ini files only";
    assert_eq!(log.matches(named).count(), 1, "{log}");
    stop(server, Some(&dir.join("emperor.pid")));
}

#[test]
fn the_command_line_emperor_takes_a_glob() {
    let dir = open_dir();
    let (a, b) = (free_port().expect("port"), free_port().expect("port"));
    for (sub, port) in [("a", a), ("b", b)] {
        std::fs::create_dir_all(dir.join(&format!("vassals/{sub}"))).expect("mkdir");
        dir.write(&format!("vassals/{sub}/{sub}.ini"), vassal(port, ""))
            .expect("write");
    }
    dir.write("vassals/a/notes.txt", "not a vassal")
        .expect("write");
    let pattern = format!("{}/vassals/*/*.ini", dir.path().display());
    let server = start_emperor(&dir, &["--emperor", &pattern, "--emperor-freq", "1"]);
    wait_running(&dir, &server, "a", 1);
    wait_running(&dir, &server, "b", 1);
    assert!(answer(a, "/").starts_with("pid="));
    assert!(answer(b, "/").starts_with("pid="));
    let apps = status(&control(&dir)).expect("status");
    assert_eq!(apps.len(), 2, "{apps:?}");
    stop(server, None);
}

#[test]
fn emperor_options_uwsgid_lacks_are_refused_with_their_line() {
    let dir = open_dir();
    dir.write(
        "emperor.ini",
        "[uwsgi]\nemperor = vassals\nemperor-use-clone = fs,pid\n",
    )
    .expect("write");
    let mut server = start_emperor(&dir, &["--ini", "emperor.ini"]);
    let status = server.wait_exit(WAIT).expect("uwsgid exits");
    let log = server.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("emperor.ini:3"), "{log}");
    assert!(log.contains("emperor-use-clone"), "{log}");
    assert!(log.contains("Linux namespaces for vassals"), "{log}");

    // uWSGI runs one Emperor per value; uwsgid refuses a second place.
    let mut server = start_emperor(&dir, &["--emperor", "vassals", "--emperor", "other"]);
    let status = server.wait_exit(WAIT).expect("uwsgid exits");
    assert_eq!(status.code(), Some(1), "{}", server.log());
    assert!(
        server.log().contains("uwsgid runs one Emperor"),
        "{}",
        server.log()
    );
}
