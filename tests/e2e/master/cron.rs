//! Command crons (`cron`, `cron2`, `unique-cron`, `cron-harakiri`), with
//! uWSGI 2.0.31's lines (pinned from a real uWSGI run of the same options:
//! `[uwsgi-cron] command "echo hi" registered as cron task`, `[uwsgi-cron]
//! running "echo hi" (pid N)`, `[uwsgi-cron] command "echo hi" running with
//! pid N exited after S second(s)`, `*** HARAKIRI ON CRON "sleep 30" (pid:
//! N) ***`). A `-1` field is "every": such a task runs at once, then once a
//! minute.

use super::*;

#[test]
fn crons_run_their_commands_and_harakiri_ends_a_long_one() {
    let dir = TestDir::new().expect("temp dir");
    let out = dir.join("cron.out");
    let echo = format!("-1 -1 -1 -1 -1 echo ran as $(id -u) >> {}", out.display());
    let (mut server, port) = start_http(
        &dir,
        "pid_app.py",
        &[
            "--master",
            "--cron",
            &echo,
            "--cron2",
            "harakiri=1 sleep 30",
            "--unique-cron",
            "-1 -1 -1 -1 -1 sleep 1",
        ],
    );
    let registered = "[uwsgi-cron] command \"sleep 30\" registered as cron task";
    assert!(server.log().contains(registered), "{}", server.log());
    wait_until("the cron's output", DEFAULT_TIMEOUT, || {
        std::fs::read_to_string(&out)
            .ok()
            .filter(|t| t.starts_with("ran as "))
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_for_log(
        &mut server,
        "*** HARAKIRI ON CRON \"sleep 30\" (pid: ",
        DEFAULT_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_for_log(
        &mut server,
        "[uwsgi-cron] command \"sleep 30\" running with pid ",
        DEFAULT_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_for_log(
        &mut server,
        "[uwsgi-cron] command \"sleep 1\" running with pid ",
        DEFAULT_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let log = server.log();
    assert_eq!(
        count(&log, "[uwsgi-cron] running \"sleep 1\" (pid "),
        1,
        "{log}"
    );
    assert!(log.contains("[uwsgi-cron] running \"echo ran as"), "{log}");
    assert!(served_pid(curl(port, "/")).is_some());
    stop_cleanly(server, Signal::SIGTERM);
}

#[test]
fn a_cron_line_uwsgi_cannot_read_stops_the_start() {
    let dir = TestDir::new().expect("temp dir");
    let log = start_failing(
        &dir,
        &["--http-socket", "127.0.0.1:0", "--cron", "1 2 3 echo"],
        1,
    );
    assert!(log.contains("invalid cron syntax"), "{log}");
    assert!(log.contains("'cron'"), "{log}");
}
