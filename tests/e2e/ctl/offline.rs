//! `uwsgictl` with no server to talk to: the error that says what to do,
//! the socket it picks, usage errors, and what needs no server at all.

use super::*;

#[test]
fn no_server_exits_4_naming_the_socket() {
    let dir = TestDir::new().expect("temp dir");
    let socket = dir.join("control.sock");
    let out = uwsgictl(&["--socket", socket.to_str().expect("utf-8"), "status"]).expect("runs");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let expected = format!("uwsgictl: cannot reach uwsgid at {}: ", socket.display());
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(
        stderr.contains(
            "is uwsgid running? (start it with `systemctl start uwsgid`, or pass --socket)"
        ),
        "{stderr}"
    );
}

#[test]
fn a_stale_socket_file_is_no_server_either() {
    let dir = TestDir::new().expect("temp dir");
    let socket = dir.join("control.sock");
    // A socket file nobody listens on: what a crashed uwsgid leaves.
    drop(std::os::unix::net::UnixListener::bind(&socket).expect("bind"));
    let out =
        uwsgictl(&["--socket", socket.to_str().expect("utf-8"), "stop", "--all"]).expect("runs");
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

#[test]
fn the_environment_names_the_socket_when_no_flag_does() {
    let dir = TestDir::new().expect("temp dir");
    let from_env = dir.join("env.sock");
    let mut cmd = std::process::Command::new(uwsgid_e2e::paths::uwsgictl_bin().expect("built"));
    cmd.arg("status").env("UWSGID_CONTROL", &from_env);
    let out = uwsgid_e2e::run_with_timeout(cmd, uwsgid_e2e::DEFAULT_TIMEOUT).expect("runs");
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains(&from_env.display().to_string()), "{stderr}");

    let flag = dir.join("flag.sock");
    let mut cmd = std::process::Command::new(uwsgid_e2e::paths::uwsgictl_bin().expect("built"));
    cmd.args(["status", "--socket"])
        .arg(&flag)
        .env("UWSGID_CONTROL", &from_env);
    let out = uwsgid_e2e::run_with_timeout(cmd, uwsgid_e2e::DEFAULT_TIMEOUT).expect("runs");
    let (_, stderr) = texts(&out);
    assert!(stderr.contains(&flag.display().to_string()), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [&["stop"][..], &["scale", "app", "0"], &["frobnicate"]] {
        let out = uwsgictl(args).expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {:?}", texts(&out));
    }
}

#[test]
fn help_documents_the_exit_codes() {
    let out = uwsgictl(&["--help"]).expect("runs");
    let (stdout, _) = texts(&out);
    assert_eq!(out.status.code(), Some(0));
    for line in [
        "Exit codes:",
        "3  status: an app shown is not running",
        "4  unknown app, or uwsgid cannot be reached",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }
}

#[test]
fn bash_completions_know_every_subcommand() {
    let out = uwsgictl(&["completions", "bash"]).expect("runs");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for sub in [
        "status",
        "start",
        "stop",
        "restart",
        "reload",
        "add",
        "remove",
        "rescan",
        "scale",
        "check",
        "logs",
        "completions",
    ] {
        assert!(
            stdout.contains(sub),
            "{sub} missing from the bash completions"
        );
    }
    assert!(
        !stdout.contains("__man"),
        "the hidden command is not completed"
    );
}
