//! `uwsgictl status` shows the daemons; `uid=`/`gid=` of `attach-daemon2`
//! run one as another user (the tests run as root).

use uwsgid_e2e::uwsgictl;

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
    app.stop(Signal::SIGTERM);
    wait_gone(pid as i32, "");
}
