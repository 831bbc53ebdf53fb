//! The master FIFO's other letters, with uWSGI 2.0.31's meanings: `R`/`W`
//! brutal reload (the old workers are killed at the take-over, their
//! in-flight requests cut), `l` reopen the log file, `L` rotate it (to
//! `log-backupname`), `C` cheap mode (every worker stopped until a
//! connection comes).

use std::path::PathBuf;
use std::thread;

use super::fifo::{fifo_inode, send};
use super::*;

/// `APP` with `--master --processes 2 --master-fifo ctl.fifo` in a new
/// directory: the directory, the FIFO's path, the server and its port.
fn with_fifo(app: &str) -> (TestDir, PathBuf, Server, u16) {
    let dir = TestDir::new().expect("temp dir");
    let fifo = dir.join("ctl.fifo");
    let args = ["--master", "--processes", "2", "--master-fifo", "ctl.fifo"];
    let (server, port) = start_http(&dir, app, &args);
    (dir, fifo, server, port)
}

#[test]
fn a_brutal_reload_cuts_the_old_workers_requests_and_the_new_ones_serve() {
    let (dir, fifo, mut server, port) = with_fifo("marked_slow_app.py");
    assert!(fifo_inode(&fifo).is_some(), "{}", server.log());
    // A request the old generation is running when the new one takes over:
    // a graceful reload would let it finish its 60 s.
    let mark = dir.join("running");
    let url = format!("/?s=60&mark={}", mark.display());
    let slow = thread::spawn(move || {
        curl(port, &url)
            .timeout(Duration::from_secs(90))
            .run()
            .map(|r| r.status)
    });
    wait_until("the slow request to run", DEFAULT_TIMEOUT, || {
        mark.exists().then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let cut_after = Instant::now();
    send(&fifo, &server, b"R");
    wait_for_log(
        &mut server,
        "...brutally killing workers of generation 1...",
        DEFAULT_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let outcome = slow.join().expect("the client thread ends");
    assert!(
        !matches!(outcome, Ok(200)),
        "the in-flight request was cut, not finished: {outcome:?}\n{}",
        server.log()
    );
    assert!(
        cut_after.elapsed() < Duration::from_secs(30),
        "cut at the take-over, not after the request's 60 s"
    );
    assert_eq!(curl(port, "/").run().expect("curl").status, 200);
    let log = server.log();
    assert!(
        log.contains("master fifo: brutal reload requested"),
        "{log}"
    );
    assert!(log.contains("generation 2 ready"), "{log}");
    server.stop().expect("uwsgid stops");
}

/// `l` and `L` on `logto` file, with the log master or without.
fn reopen_and_rotate(log_master: bool) {
    let dir = TestDir::new().expect("temp dir");
    let fifo = dir.join("ctl.fifo");
    let (log, moved, backup) = (
        dir.join("app.log"),
        dir.join("moved.log"),
        dir.join("app.log.bak"),
    );
    let mut args = vec![
        "--master",
        "--master-fifo",
        "ctl.fifo",
        "--logto",
        "app.log",
        "--log-backupname",
        "app.log.bak",
    ];
    if log_master {
        args.push("--log-master");
    }
    let (mut server, port) = start_http(&dir, "pid_app.py", &args);
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();

    // An operator moved the file away: `l` makes a new one at the path.
    std::fs::rename(&log, &moved).expect("move the log away");
    send(&fifo, &server, b"l");
    wait_until("the reopened log", DEFAULT_TIMEOUT, || {
        read(&log)
            .contains("master fifo: log reopened")
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\nmoved: {}", read(&moved)));
    assert!(read(&moved).contains("spawned uWSGI worker 1"));

    // `L`: the file goes to log-backupname, a new one takes its place.
    send(&fifo, &server, b"L");
    wait_until("the rotated log", DEFAULT_TIMEOUT, || {
        read(&log)
            .contains("master fifo: log rotated")
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\nbackup: {}", read(&backup)));
    let rotated = read(&backup);
    assert!(rotated.contains("master fifo: log reopened"), "{rotated}");
    assert!(rotated.contains("triggering rotation to "), "{rotated}");
    assert!(!read(&log).contains("master fifo: log reopened"));
    assert_eq!(curl(port, "/").run().expect("curl").status, 200);
    server.stop().expect("uwsgid stops");
    // Nothing of the master's goes missing: the stop is in the new file.
    assert!(read(&log).contains("goodbye to uWSGI."), "{}", read(&log));
}

#[test]
fn l_reopens_and_capital_l_rotates_the_log_file() {
    reopen_and_rotate(false);
}

#[test]
fn l_reopens_and_capital_l_rotates_the_log_file_of_the_log_master() {
    reopen_and_rotate(true);
}

#[test]
fn capital_c_stops_every_worker_until_a_connection_comes() {
    let (_dir, fifo, mut server, port) = with_fifo("pid_app.py");
    let before = distinct_pids(2, || curl(port, "/"));
    send(&fifo, &server, b"C");
    wait_for_log(
        &mut server,
        "cheap mode enabled: waiting for socket connection...",
        DEFAULT_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_until("every worker gone", DEFAULT_TIMEOUT, || {
        let alive: Vec<i32> = server.descendants().iter().map(|p| p.pid).collect();
        before.iter().all(|pid| !alive.contains(pid)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert!(server.log().contains("going cheap..."), "{}", server.log());

    // The next connection brings them back and is answered.
    let pid = served_pid(curl(port, "/").timeout(Duration::from_secs(20)));
    let pid = pid.unwrap_or_else(|| panic!("answered after cheap mode\n{}", server.log()));
    assert!(!before.contains(&pid), "a new worker answered");
    server.stop().expect("uwsgid stops");
}

#[test]
fn p_pauses_the_workers_and_sigtstp_resumes_them_losing_nothing() {
    let (dir, fifo, mut server, port) = with_fifo("marked_slow_app.py");
    let request = |name: &str, seconds: u32| {
        let mark = dir.join(name);
        let url = format!("/?s={seconds}&mark={}", mark.display());
        let client = thread::spawn(move || {
            curl(port, &url)
                .timeout(Duration::from_secs(60))
                .run()
                .map(|r| r.status)
        });
        (mark, client)
    };
    // In flight when the pause comes: it finishes.
    let (running, before) = request("running", 2);
    wait_until("the first request to run", DEFAULT_TIMEOUT, || {
        running.exists().then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    send(&fifo, &server, b"p");
    wait_for_log(
        &mut server,
        "*** PAUSE (press start to resume",
        DEFAULT_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let (queued, during) = request("queued", 0);
    let first = before.join().expect("the client thread ends");
    assert!(matches!(first, Ok(200)), "{first:?}\n{}", server.log());
    // The in-flight request took 2 s: the one sent during the pause has
    // not started in that time.
    assert!(
        !queued.exists(),
        "a paused app took a request\n{}",
        server.log()
    );
    assert!(!during.is_finished(), "{}", server.log());
    assert!(server.log().contains("suspended ***"), "{}", server.log());

    server.signal(Signal::SIGTSTP).expect("SIGTSTP");
    let second = during.join().expect("the client thread ends");
    assert!(matches!(second, Ok(200)), "{second:?}\n{}", server.log());
    assert!(queued.exists());
    let log = server.log();
    assert!(
        log.contains("*** (SIGTSTP received) resuming workers ***"),
        "{log}"
    );
    assert!(log.contains("resumed ***"), "{log}");
    server.stop().expect("uwsgid stops");
}
