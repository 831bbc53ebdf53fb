//! Modes of what uwsgid creates: an app master's control socket, stats
//! socket, pidfile and `logto` file; the supervisor's control socket and its
//! per-app log files. Created under the test's umask (022 on CI).

use uwsgid_e2e::{DEFAULT_TIMEOUT, HttpApp, TestDir, control, free_port, wait_until};

use super::*;

#[test]
fn an_app_masters_sockets_pidfile_and_log_are_not_writable_by_others() {
    let app = HttpApp::start(
        "pid_app.py",
        &[
            "--control",
            "control.sock",
            "--stats",
            "stats.sock",
            "--pidfile",
            "app.pid",
            "--logto",
            "app.log",
        ],
    )
    .expect("uwsgid starts");
    let control = app.join("control.sock");
    wait_until("the control socket", DEFAULT_TIMEOUT, || {
        control::status(&control).ok()
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", app.log()));
    for (name, what) in [
        ("control.sock", "the control socket"),
        ("stats.sock", "the stats socket"),
        ("app.pid", "the pidfile"),
        ("app.log", "the logto file"),
    ] {
        assert_not_world_writable(&app.join(name), what);
    }
    assert_eq!(mode(&control), 0o660, "the control socket");
    assert_eq!(
        mode(&app.join("app.log")),
        0o640 & !umask(),
        "the logto file is created 0640"
    );
}

#[test]
fn the_supervisors_control_socket_and_app_logs_are_not_writable_by_others() {
    let dir = TestDir::new().expect("temp dir");
    std::fs::create_dir_all(dir.join("apps")).expect("apps dir");
    let port = free_port().expect("a free port");
    std::fs::write(
        dir.join("apps/alpha.ini"),
        format!(
            "[uwsgi]\nmaster = true\nprocesses = 1\nhttp-socket = 127.0.0.1:{port}\n\
             wsgi-file = {}\n",
            uwsgid_e2e::app_path("pid_app.py").display()
        ),
    )
    .expect("the app's ini");
    let (supervisor, control) = start_supervisor(&dir);
    let log = dir.join("log/alpha.log");
    assert_eq!(mode(&control), 0o660, "the supervisor's control socket");
    assert_eq!(
        mode(&log),
        0o640 & !umask(),
        "the app's log is created 0640"
    );
    stop_supervisor(supervisor);
}
