//! The systemd unit, tmpfiles.d and logrotate files: their keys, and
//! `systemd-analyze verify` on the unit (installed on this machine; a
//! missing `systemd-analyze` fails the test: install Debian's `systemd`).

use std::process::Command;

use super::*;
use uwsgid_e2e::{DEFAULT_TIMEOUT, run_with_timeout, uwsgid_bin};

/// `(section, key, value)` of every setting of a systemd unit file, in
/// order (comments and blank lines skipped).
fn settings(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, value)) = line.split_once('=') {
            out.push((section.clone(), key.trim().into(), value.trim().into()));
        } else {
            panic!("not a unit file line: {line:?}");
        }
    }
    out
}

fn values<'a>(all: &'a [(String, String, String)], section: &str, key: &str) -> Vec<&'a str> {
    all.iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.as_str())
        .collect()
}

fn unit() -> String {
    read(&packaging("systemd/uwsgid.service"))
}

#[test]
fn the_unit_is_a_notify_service_that_reloads_with_hup() {
    let all = settings(&unit());
    let one = |key: &str| {
        let v = values(&all, "Service", key);
        assert_eq!(v.len(), 1, "{key}: {v:?}");
        v[0].to_string()
    };
    assert_eq!(one("Type"), "notify");
    assert_eq!(one("NotifyAccess"), "main");
    assert_eq!(one("ExecStart"), "/usr/bin/uwsgid");
    assert_eq!(one("ExecReload"), "/bin/kill -HUP $MAINPID");
    assert_eq!(one("KillMode"), "process");
    assert_eq!(one("Restart"), "on-failure");
    assert_eq!(one("WatchdogSec"), "30");
    assert_eq!(one("RuntimeDirectory"), "uwsgid");
    assert_eq!(one("RuntimeDirectoryMode"), "0755");
    assert_eq!(one("RuntimeDirectoryPreserve"), "yes");
    assert_eq!(one("StateDirectory"), "uwsgid");
    assert_eq!(one("LogsDirectory"), "uwsgid");
    let stop: u64 = one("TimeoutStopSec").parse().expect("seconds");
    assert!(
        stop >= 60,
        "TimeoutStopSec={stop} is shorter than the default mercy"
    );
    assert_eq!(values(&all, "Install", "WantedBy"), ["multi-user.target"]);
}

#[test]
fn the_unit_does_not_hide_home_or_tmp_from_apps() {
    let all = settings(&unit());
    for key in ["ProtectHome", "PrivateTmp", "MemoryDenyWriteExecute"] {
        assert!(values(&all, "Service", key).is_empty(), "{key} is set");
    }
    let system = values(&all, "Service", "ProtectSystem");
    assert_eq!(system, ["true"], "/etc stays writable for `uwsgictl add`");
}

#[test]
fn systemd_analyze_verifies_the_unit() {
    let dir = TestDir::new().expect("temp dir");
    let uwsgid = uwsgid_bin().expect("uwsgid is built");
    let text = unit().replace(
        "ExecStart=/usr/bin/uwsgid",
        &format!("ExecStart={}", uwsgid.display()),
    );
    let copy = dir.write("uwsgid.service", text).expect("write the copy");
    let mut cmd = Command::new("systemd-analyze");
    // --man=no: the man pages named by Documentation= are not installed here.
    cmd.args(["verify", "--man=no"]).arg(&copy);
    let out = run_with_timeout(cmd, DEFAULT_TIMEOUT).expect(
        "systemd-analyze runs (it is in Debian's `systemd` package: apt-get install systemd)",
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    // Unknown keys and bad values are only warnings: any output is a failure.
    assert!(stderr.trim().is_empty(), "{stderr}");
}

#[test]
fn tmpfiles_makes_both_runtime_directories() {
    let text = read(&packaging("tmpfiles.d/uwsgid.conf"));
    let lines: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(lines.contains(&vec![
        "d",
        "/run/uwsgi",
        "0775",
        "www-data",
        "www-data",
        "-"
    ]));
    assert!(lines.contains(&vec!["d", "/run/uwsgid", "0755", "root", "root", "-"]));
}

#[test]
fn logrotate_copies_and_truncates_the_app_logs() {
    let text = read(&packaging("logrotate/uwsgid"));
    let body = text
        .split_once("/var/log/uwsgid/*.log {")
        .expect("a stanza for /var/log/uwsgid/*.log")
        .1;
    let directives: Vec<&str> = body
        .lines()
        .map(str::trim)
        .take_while(|l| *l != "}")
        .collect();
    for d in [
        "weekly",
        "rotate 8",
        "compress",
        "delaycompress",
        "missingok",
        "notifempty",
        "copytruncate",
    ] {
        assert!(directives.contains(&d), "{d} missing: {directives:?}");
    }
}
