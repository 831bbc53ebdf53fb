//! `lazy-apps` with the process-management options: each worker is exec'd
//! and imports the app itself (no zygote), so every path that starts a
//! worker (respawn, reload, cheaper, cheap mode, lifetime) must start it
//! that way. Each test checks with `births` that new workers came and that
//! they serve.

use super::fifo::send;
use super::*;

/// The pids born so far.
fn born(server: &Server) -> BTreeSet<i32> {
    births(&server.log())
        .into_iter()
        .map(|(_, pid)| pid)
        .collect()
}

/// Waits until `n` workers more than `before` were born.
fn wait_births(server: &Server, before: &BTreeSet<i32>, n: usize, what: &str) {
    wait_until(what, DEFAULT_TIMEOUT, || {
        (born(server).difference(before).count() >= n).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
}

#[test]
fn lazy_apps_with_the_fifo_reload_brutal_reload_and_cheap_mode() {
    let dir = TestDir::new().expect("temp dir");
    let fifo = dir.join("ctl.fifo");
    let args = [
        "--master",
        "--lazy-apps",
        "--processes",
        "2",
        "--master-fifo",
        "ctl.fifo",
    ];
    let (mut server, port) = start_http(&dir, "pid_app.py", &args);
    assert!(
        zygotes(&server.log()).is_empty(),
        "no zygote with lazy-apps"
    );
    let first = distinct_pids(2, || curl(port, "/"));

    send(&fifo, &server, b"r");
    wait_births(&server, &first, 2, "a graceful reload's workers");
    wait_for_log(&mut server, "generation 2 ready", DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));

    let second = born(&server);
    send(&fifo, &server, b"R");
    wait_for_log(
        &mut server,
        "...brutally killing workers of generation 2...",
        DEFAULT_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_births(&server, &second, 2, "a brutal reload's workers");

    let third = born(&server);
    send(&fifo, &server, b"C");
    wait_for_log(&mut server, "cheap mode enabled", DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let pid = served_pid(curl(port, "/").timeout(Duration::from_secs(20)));
    assert!(pid.is_some_and(|p| !third.contains(&p)), "{}", server.log());
    server.stop().expect("uwsgid stops");
}

#[test]
fn lazy_apps_with_cheaper_and_a_worker_lifetime() {
    let dir = TestDir::new().expect("temp dir");
    let args = [
        "--master",
        "--lazy-apps",
        "--processes",
        "3",
        "--cheaper",
        "1",
        "--max-worker-lifetime",
        "2",
        "--min-worker-lifetime",
        "1",
    ];
    let (server, port) = start_http(&dir, "pid_app.py", &args);
    let first = born(&server);
    assert_eq!(
        first.len(),
        1,
        "cheaper starts one worker:\n{}",
        server.log()
    );
    wait_until("the lifetime line", DEFAULT_TIMEOUT, || {
        server
            .log()
            .contains("worker 1 lifetime reached, it was running for ")
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_births(&server, &first, 1, "the replacement exec'd");
    assert!(served_pid(curl(port, "/")).is_some(), "{}", server.log());
    assert!(!server.log().contains("DAMN"), "{}", server.log());
}

#[test]
fn lazy_apps_with_touch_reload_and_hooks() {
    let dir = TestDir::new().expect("temp dir");
    let marks = dir.join("marks");
    std::fs::create_dir(&marks).expect("marks dir");
    let touch = dir.join("reload.txt");
    std::fs::write(&touch, "").expect("write the touch file");
    let post_fork = format!("exec:touch {}/post-fork-$$", marks.display());
    let accepting = format!("exec:touch {}/accepting-$$", marks.display());
    let args = [
        "--master",
        "--lazy-apps",
        "--processes",
        "2",
        "--touch-reload",
        "reload.txt",
        "--hook-post-fork",
        &post_fork,
        "--hook-accepting",
        &accepting,
    ];
    let (server, port) = start_http(&dir, "pid_app.py", &args);
    let count = |prefix: &str| {
        std::fs::read_dir(&marks).map_or(0, |d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .count()
        })
    };
    wait_until("each worker's hooks", DEFAULT_TIMEOUT, || {
        (count("accepting-") == 2 && count("post-fork-") == 2).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let first = born(&server);

    // A touch (a new mtime) reloads; the new workers run the hooks too.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&touch)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"x"))
        .expect("touch");
    wait_births(&server, &first, 2, "the reload's workers");
    wait_until("the new workers' hooks", DEFAULT_TIMEOUT, || {
        (count("accepting-") == 4 && count("post-fork-") == 4).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert!(
        server
            .log()
            .contains("has been touched... grace them all !!!"),
        "{}",
        server.log()
    );
    assert!(served_pid(curl(port, "/")).is_some());
}
