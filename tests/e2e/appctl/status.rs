//! Status, Check, Logs and the refusals of an app master.

use uwsgid_proto::v1::{AppRequest, CheckRequest, LogsRequest, StatusRequest};

use super::*;

#[test]
fn status_before_any_request_shows_every_worker_with_its_memory() {
    let app = App::start("pid_app.py", "processes = 2\nlogto = app.log", &[]);
    let s = app.status();
    assert_eq!(s.name, "app");
    assert_eq!(s.state, "running");
    assert_eq!(s.master_pid, app.server.pid() as u32);
    assert_eq!(s.processes, 2);
    assert_eq!(s.generation, 1);
    assert_eq!(s.requests, 0);
    assert_eq!(s.sockets, [format!("127.0.0.1:{}", app.port)]);
    assert_eq!(Path::new(&s.ini), app.dir.join("app.ini"));
    assert_eq!(Path::new(&s.log_path), app.dir.join("app.log"));
    assert_eq!(s.workers.len(), 2, "{s:?}");
    for (n, w) in s.workers.iter().enumerate() {
        assert_eq!(w.id, n as u32 + 1);
        assert!(w.pid > 0, "{w:?}");
        assert_eq!(w.state, "idle", "{w:?}");
        assert!(
            w.rss_bytes > 0 && w.pss_bytes > 0 && w.vsz_bytes > w.rss_bytes,
            "{w:?}"
        );
        assert!(w.pss_bytes <= w.rss_bytes, "{w:?}");
        assert_eq!(w.generation, 1);
        assert!(w.started_unix > 1_600_000_000, "{w:?}");
        assert_eq!((w.respawns, w.last_exit.as_str()), (0, ""));
    }
    assert_eq!(app.get("/").status, 200);
    let after = app.wait(|a| a.requests == 1);
    let served: u64 = after.workers.iter().map(|w| w.requests).sum();
    assert_eq!(served, 1, "{after:?}");
}

#[test]
fn a_killed_worker_is_respawned_and_its_end_is_shown() {
    let app = App::start("pid_app.py", "processes = 1", &[]);
    let before = app.status().workers[0].pid;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(before as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill the worker");
    let after = app.wait(|a| a.state == "running" && a.workers[0].pid != before);
    let w = &after.workers[0];
    assert_eq!((w.respawns, w.last_exit.as_str()), (1, "signal 9"), "{w:?}");
}

#[test]
fn check_logs_and_what_only_the_supervisor_does() {
    let app = App::start("pid_app.py", "logto = app.log", &[]);
    let bad = app
        .dir
        .write("bad.ini", "[uwsgi]\nprocesses = lots\n")
        .expect("write bad.ini");
    let check = app
        .call(async |mut c: Client| {
            let ini = bad.display().to_string();
            Ok(c.check(CheckRequest { ini }).await?.into_inner())
        })
        .expect("check");
    assert!(!check.valid);
    assert_eq!(check.name, "bad");
    assert!(check.errors[0].contains("bad.ini:2"), "{check:?}");
    let own = app
        .call(async |mut c: Client| Ok(c.check(CheckRequest::default()).await?.into_inner()))
        .expect("check own ini");
    assert!(own.valid, "{own:?}");

    let log = app
        .call(async |mut c: Client| {
            let req = LogsRequest {
                lines: 3,
                ..LogsRequest::default()
            };
            let mut stream = c.logs(req).await?.into_inner();
            let mut out = Vec::new();
            while let Some(chunk) = stream.message().await? {
                out.extend(chunk.data);
            }
            Ok(out)
        })
        .expect("logs");
    let text = String::from_utf8_lossy(&log);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.ends_with('\n'));

    let start = app.call(async |mut c: Client| {
        c.start(AppRequest::default()).await?;
        Ok(())
    });
    let err = start.expect_err("an app master starts nothing");
    assert_eq!(code_of(&err), Some(tonic::Code::FailedPrecondition));
    assert!(
        err.to_string().contains("only the uwsgid supervisor"),
        "{err}"
    );
    let other = app.call(async |mut c: Client| {
        let app = "other".to_string();
        c.status(StatusRequest { app }).await?;
        Ok(())
    });
    assert_eq!(
        code_of(&other.expect_err("unknown app")),
        Some(tonic::Code::NotFound)
    );
}

#[test]
fn logs_without_a_log_file_are_refused() {
    let app = App::start("pid_app.py", "", &[]);
    let err = app
        .call(async |mut c: Client| {
            c.logs(LogsRequest::default()).await?;
            Ok(())
        })
        .expect_err("the log goes to the terminal");
    assert_eq!(code_of(&err), Some(tonic::Code::FailedPrecondition));
    assert!(
        err.to_string().contains("the app logs to its terminal"),
        "{err}"
    );
}

#[test]
fn a_second_master_on_the_same_control_socket_fails_clearly() {
    let first = App::start("pid_app.py", "", &[]);
    let port = free_port().expect("a free port");
    let mut second = ServerBuilder::uwsgid(first.dir.join("second.log"))
        .expect("uwsgid is built")
        .args(["--http-socket", &format!("127.0.0.1:{port}")])
        .arg("--wsgi-file")
        .arg(app_path("pid_app.py"))
        .arg("--control")
        .arg(&first.control)
        .current_dir(first.dir.path())
        .start()
        .expect("uwsgid starts");
    let status = second.wait_exit(WAIT).expect("the second master gives up");
    assert_eq!(status.code(), Some(1), "{}", second.log());
    assert!(
        second
            .log()
            .contains("another uwsgid is already serving the control socket"),
        "{}",
        second.log()
    );
    assert_eq!(first.status().state, "running");
}
