//! `uwsgictl add`, `logs` and `remove` through the supervisor: the apps
//! directory stays the source of truth (add links the ini in, remove takes
//! the link out and leaves the operator's file alone), and an app's log is
//! readable, and followable, without knowing where it is.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use super::*;
use uwsgid_e2e::uwsgictl_bin;

/// Runs `uwsgictl logs NAME --follow -n 0` until a line containing
/// `wanted` arrives or the deadline passes, calling `poke` (which should make
/// the app log such a line) every half second meanwhile: the follower starts
/// at the end of the log at some moment this test cannot see. The pid is
/// ended in every case.
fn follow_until(host: &Host, name: &str, wanted: &str, poke: impl Fn()) -> bool {
    let mut child = Command::new(uwsgictl_bin().expect("uwsgictl is built"))
        .arg("--socket")
        .arg(host.control())
        .args(["logs", name, "--follow", "-n", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("uwsgictl logs --follow starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + APP_TIMEOUT;
    let mut found = false;
    while Instant::now() < deadline && !found {
        poke();
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(line) => found = line.contains(wanted),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    found
}

#[test]
fn add_links_an_ini_in_logs_follow_it_and_remove_takes_it_out() {
    let site1 = AppSpec::new("mysite1", 1);
    let host = Host::start(std::slice::from_ref(&site1));

    let site4 = AppSpec::new("mysite4", 1);
    let own = host
        .dir
        .write("elsewhere/mysite4.ini", site4.ini(""))
        .expect("write the operator's ini");
    host.ctl_ok(&["add", &own.display().to_string()]);
    host.wait_running("mysite4");
    assert!(answers(site4.port));
    let link = host.apps_dir().join("mysite4.ini");
    let meta = std::fs::symlink_metadata(&link).expect("the ini is in the apps dir");
    assert!(meta.file_type().is_symlink(), "add links the ini in");

    let tail = host.ctl_ok(&["logs", "mysite4", "-n", "200"]);
    assert!(tail.contains("spawned uWSGI worker"), "{tail}");
    let port = site4.port;
    let followed = follow_until(&host, "mysite4", "/?followed=1", || {
        let _ = uwsgid_e2e::curl(port, "/?followed=1").run();
    });
    assert!(followed, "logs --follow shows the new request line");

    host.ctl_ok(&["remove", "mysite4"]);
    assert_eq!(code(&host.ctl(&["status", "mysite4"])), Some(4));
    assert!(!link.exists() && std::fs::symlink_metadata(&link).is_err());
    assert!(own.is_file(), "the operator's own file is left alone");
    assert!(!answers(site4.port));
    assert!(answers(site1.port));
}
