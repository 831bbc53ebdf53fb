//! uWSGI's hooks: each point's `ACTION:ARGS` lines run where uWSGI runs
//! them, with its `running "…" (point)...` lines; `unix_signal` in
//! `hook-master-start` remaps a master signal (the corpus's
//! `unix_signal:15 gracefully_kill_them_all`); a failing hook destroys the
//! instance ("FATAL hook failed").

use super::*;

/// The `(point)` of each `running "…" (point)...` line, in log order.
fn points_run(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.starts_with("running \""))
        .filter_map(|l| Some(l.rsplit_once(" (")?.1.trim_end_matches(")...").to_owned()))
        .collect()
}

#[test]
fn every_hook_point_runs_in_uwsgis_order() {
    let dir = TestDir::new().expect("temp dir");
    let marks = dir.join("marks");
    std::fs::create_dir(&marks).expect("marks dir");
    let m = marks.display();
    let hook = |point: &str, action: String| [format!("--hook-{point}"), action];
    let mut args: Vec<String> = ["--processes", "2"].map(String::from).to_vec();
    for point in [
        "asap",
        "as-root",
        "as-user",
        "master-start",
        "pre-app",
        "post-app",
    ] {
        args.extend(hook(point, format!("write:{m}/{point} done")));
    }
    args.extend(hook("post-fork", format!("exec:touch {m}/post-fork-$$")));
    args.extend(hook("accepting", format!("exec:touch {m}/accepting-$$")));
    args.extend(hook("accepting1", format!("exec:touch {m}/accepting1-$$")));
    args.extend(hook(
        "as-user-atexit",
        "print:bye from the hooks".to_owned(),
    ));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (server, port) = start_http(&dir, "pid_app.py", &args);
    distinct_pids(2, || curl(port, "/"));
    let count_marks = |prefix: &str| {
        std::fs::read_dir(&marks)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                    .count()
            })
            .unwrap_or(0)
    };
    wait_until("each worker's accepting hook", DEFAULT_TIMEOUT, || {
        (count_marks("accepting-") == 2).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert_eq!(count_marks("post-fork-"), 2, "one per forked worker");
    assert_eq!(count_marks("accepting1-"), 1, "worker 1 only");
    for point in [
        "asap",
        "as-root",
        "as-user",
        "master-start",
        "pre-app",
        "post-app",
    ] {
        let text = std::fs::read_to_string(marks.join(point)).unwrap_or_default();
        assert_eq!(text, "done", "{point}");
    }
    let log = stop_cleanly(server, Signal::SIGTERM);
    let points = points_run(&log);
    let first = |p: &str| points.iter().position(|q| q == p).unwrap_or(usize::MAX);
    let order = [
        "asap",
        "as-root",
        "as-user",
        "master-start",
        "pre-app",
        "post-app",
        "post-fork",
    ];
    for pair in order.windows(2) {
        assert!(first(pair[0]) < first(pair[1]), "{pair:?} in {points:?}");
    }
    assert!(first("as-user-atexit") > first("accepting"), "{points:?}");
    assert!(log.contains("bye from the hooks"), "{log}");
}

#[test]
fn unix_signal_remaps_what_a_signal_does() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, _port) = start_http(
        &dir,
        "pid_app.py",
        &[
            "--hook-master-start",
            "unix_signal:15 gracefully_kill_them_all",
            "--hook-master-start",
            "unix_signal:10 grace_them_all",
            "--hook-master-start",
            "unix_signal:1 gracefully_kill_them_all",
        ],
    );
    // SIGUSR1 now reloads…
    server.signal(Signal::SIGUSR1).expect("USR1");
    wait_for_log(&mut server, "generation 2 ready in", DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    // …and SIGHUP stops gracefully.
    server.signal(Signal::SIGHUP).expect("HUP");
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("the master exits");
    let log = server.log();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("goodbye to uWSGI."), "{log}");
}

#[test]
fn a_failing_hook_destroys_the_instance() {
    let dir = TestDir::new().expect("temp dir");
    let log = start_failing(
        &dir,
        &[
            "--http-socket",
            "127.0.0.1:0",
            "--wsgi-file",
            "x.py",
            "--hook-as-root",
            "exec:exit 7",
        ],
        1,
    );
    assert!(
        log.contains("command \"exit 7\" exited with non-zero code: 7"),
        "{log}"
    );
    assert!(
        log.contains("FATAL hook failed, destroying instance"),
        "{log}"
    );

    // In a worker: the master is stopped too, leaving no process.
    let dir = TestDir::new().expect("temp dir");
    let file = app_path("pid_app.py");
    let mut server = start(
        &dir,
        &[
            "--http-socket",
            "127.0.0.1:0",
            "--master",
            "--wsgi-file",
            file.to_str().expect("utf-8 path"),
            "--hook-post-fork",
            "exec:false",
        ],
    );
    server.wait_exit(DEFAULT_TIMEOUT).expect("the master exits");
    assert!(
        server.log().contains("FATAL hook failed"),
        "{}",
        server.log()
    );
}

#[test]
fn an_unknown_hook_action_is_refused_with_its_line() {
    let dir = TestDir::new().expect("temp dir");
    let log = start_failing(
        &dir,
        &[
            "--http-socket",
            "127.0.0.1:0",
            "--wsgi-file",
            "x.py",
            "--hook-asap",
            "mount:proc none /proc",
        ],
        1,
    );
    assert!(
        log.contains("hook action `mount` is not implemented"),
        "{log}"
    );
}
