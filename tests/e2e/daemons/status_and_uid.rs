//! `uwsgictl status` shows the daemons; `uid=`/`gid=` of `attach-daemon2`
//! run one as another user (the tests run as root).

use uwsgid_e2e::{ModeGuard, uwsgictl, uwsgid_bin, venv};

use super::*;

const WWW_DATA: u32 = 33;

#[test]
fn uwsgictl_status_lists_the_daemons() {
    let app = App::start("attach-daemon = {worker} {dir}/hb\nattach-daemon = sleep 1000");
    app.heartbeat("hb", None);
    let worker = app.wait_daemon(0, |d| d.state == "running").pid;
    let sleep = app.wait_daemon(1, |d| d.state == "running").pid;
    let socket = app.control.to_str().expect("utf-8").to_string();
    let out = uwsgictl(&["--socket", &socket, "status"]).expect("uwsgictl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("DAEMON  PID"), "{text}");
    let sleep_row = text
        .lines()
        .find(|l| l.contains("sleep 1000"))
        .expect("a row");
    let cells: Vec<&str> = sleep_row.split_whitespace().collect();
    assert_eq!(
        cells[..4],
        ["2", &sleep.to_string(), "running", "0"],
        "{text}"
    );
    assert!(text.contains(&format!("{worker}  running")), "{text}");

    let out = uwsgictl(&["--socket", &socket, "--json", "status"]).expect("uwsgictl runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let daemons = &json["apps"][0]["daemons"];
    assert_eq!(daemons[1]["command"], "sleep 1000", "{json}");
    assert_eq!(daemons[1]["pid"], sleep, "{json}");
    app.stop(Signal::SIGTERM);
}

#[test]
fn a_daemon_runs_as_the_uid_and_gid_given() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "the tests run as root"
    );
    let app = App::start("attach-daemon2 = cmd=sleep 1000,uid=33,gid=33");
    let pid = app.wait_daemon(0, |d| d.state == "running").pid;
    // uWSGI 2.0.31 logs the identity the daemon runs as.
    app.wait_log(
        "[uwsgi-daemons] spawning \"sleep 1000\" (uid: 33 gid: 33)",
        1,
    );
    assert_runs_as_www_data(pid);
    app.stop(Signal::SIGTERM);
    wait_gone(pid as i32, "");
}

#[test]
fn a_daemon_runs_as_the_app_s_user() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "the tests run as root"
    );
    let dir = TestDir::new().expect("temp dir");
    // The CPython, the build and the test directory sit where www-data
    // cannot go: opened for the test, restored after.
    let mut modes = ModeGuard::new();
    for path in [
        python_prefix(),
        venv().expect("venv"),
        uwsgid_bin().expect("binary"),
        app_path("pid_app.py"),
        dir.path().to_path_buf(),
    ] {
        modes.traversable(&path).expect("chmod o+x");
    }
    let app = App::launch_in(
        dir,
        "uid = www-data\ngid = www-data\nattach-daemon = sleep 1000",
    );
    app.wait(|a| a.state == "running");
    let pid = app.wait_daemon(0, |d| d.state == "running").pid;
    // Started after the privilege drop, as uWSGI does.
    app.wait_log(
        "[uwsgi-daemons] spawning \"sleep 1000\" (uid: 33 gid: 33)",
        1,
    );
    assert_runs_as_www_data(pid);
    app.stop(Signal::SIGTERM);
    wait_gone(pid as i32, "");
}

/// The CPython installation the venv was made from (`home` of
/// pyvenv.cfg, without its `bin`).
fn python_prefix() -> PathBuf {
    let venv = venv().expect("the test venv");
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).expect("pyvenv.cfg");
    let home = cfg
        .lines()
        .find_map(|l| l.strip_prefix("home"))
        .map(|v| v.trim_start_matches([' ', '=']).trim())
        .expect("home in pyvenv.cfg");
    let home = std::fs::canonicalize(home).expect("the venv's Python exists");
    home.parent().expect("prefix").to_path_buf()
}

/// Real, effective, saved and filesystem uid and gid of `pid` are www-data's.
fn assert_runs_as_www_data(pid: u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc");
    for field in ["Uid:", "Gid:"] {
        let ids: Vec<u32> = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .expect("the field")
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        assert_eq!(ids, [WWW_DATA; 4], "{field} {status}");
    }
}

#[test]
fn the_stats_server_lists_the_daemons_where_uwsgi_does() {
    let app = App::start("stats = {dir}/stats.sock\nattach-daemon = sleep 1000");
    let pid = app.wait_daemon(0, |d| d.state == "running").pid;
    let mut text = String::new();
    let mut stream =
        std::os::unix::net::UnixStream::connect(app.dir.join("stats.sock")).expect("connect");
    std::io::Read::read_to_string(&mut stream, &mut text).expect("the stats JSON");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    // uWSGI 2.0.31: `"cwd": …, "daemons": [{"cmd", "pid", "respawns"}], "locks": …`.
    let keys: Vec<&str> = json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let at = |k: &str| keys.iter().position(|x| *x == k).expect(k);
    assert!(
        at("cwd") < at("daemons") && at("daemons") < at("locks"),
        "{text}"
    );
    assert_eq!(
        json["daemons"],
        serde_json::json!([{"cmd": "sleep 1000", "pid": pid, "respawns": 0}])
    );
    app.stop(Signal::SIGTERM);
}
