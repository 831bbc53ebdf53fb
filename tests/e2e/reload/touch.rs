//! `touch-reload`, `touch-workers-reload`, `touch-chain-reload`: touching
//! one of the files (or removing it, as uWSGI 2.0.31 counts that too)
//! reloads the app gracefully, with uWSGI's log line, under the same
//! master.

use super::*;
use crate::master::stop_cleanly;

/// Sets the file's modification time to `seconds` after the epoch: a
/// change the master sees whatever the file system's time granularity.
fn touch_at(path: &Path, seconds: u64) {
    let time = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(time))
        .expect("touch");
}

#[test]
fn touching_each_file_reloads_gracefully_with_uwsgis_line() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    for name in ["reload.txt", "workers.txt", "chain.txt"] {
        dir.write(name, "").expect("touch file");
    }
    write_ini(
        &dir,
        port,
        &app_path("pid_app.py"),
        "processes = 2\ntouch-reload = reload.txt\ntouch-workers-reload = workers.txt\ntouch-chain-reload = chain.txt",
    );
    let mut server = start_ini(&dir, port);
    let master = server.pid();
    let steps = [
        ("reload.txt", "grace them all"),
        ("workers.txt", "workers reload"),
        ("chain.txt", "chain reload"),
    ];
    for (generation, (name, words)) in (2u64..).zip(steps) {
        touch_at(&dir.join(name), 1_000_000 + generation);
        let line = format!("*** {name} has been touched... {words} !!! ***");
        wait_for_log(&mut server, &line, RELOAD_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
        let gone = format!("every worker of generation {} is gone", generation - 1);
        wait_for_log(&mut server, &gone, RELOAD_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
        wait_generation(&server, generation, 2);
    }
    // Removing the file counts as a change, as in uWSGI.
    std::fs::remove_file(dir.join("reload.txt")).expect("remove");
    wait_for_log(
        &mut server,
        "every worker of generation 4 is gone",
        RELOAD_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert_eq!(server.pid(), master);
    assert_eq!(
        served_pid_status(port),
        200,
        "the app serves after the reloads:\n{}",
        server.log()
    );
    let log = stop_cleanly(server, Signal::SIGTERM);
    assert_eq!(count(&log, "has been touched"), 4, "{log}");
}

fn served_pid_status(port: u16) -> u16 {
    curl(port, "/").run().map_or(0, |r| r.status)
}

/// `py-autoreload = 1`: changing the file of an imported module reloads
/// the app gracefully once, with uWSGI's lines.
#[test]
fn py_autoreload_reloads_when_an_imported_module_changes() {
    py_autoreload("");
}

/// The same with `lazy-apps`, where worker 1 imported the app itself.
#[test]
fn py_autoreload_reloads_lazy_apps_too() {
    py_autoreload("\nlazy-apps = true");
}

fn py_autoreload(extra: &str) {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let app = dir.join("watched_app.py");
    std::fs::copy(app_path("pid_app.py"), &app).expect("copy the app");
    let options = format!("processes = 2\npy-autoreload = 1{extra}");
    write_ini(&dir, port, &app, &options);
    let mut server = start_ini(&dir, port);
    // Logged once the watcher has taken its first look.
    wait_for_log(&mut server, "Python auto-reloader enabled", DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    touch_at(&app, 1_000_000);
    let line = format!(
        "[uwsgi-python-reloader] module/file {} has been modified",
        app.display()
    );
    wait_for_log(&mut server, &line, RELOAD_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_for_log(
        &mut server,
        "every worker of generation 1 is gone",
        RELOAD_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_generation(&server, 2, 2);
    assert_eq!(served_pid_status(port), 200);
    let log = stop_cleanly(server, Signal::SIGTERM);
    assert_eq!(
        count(&log, "has been modified"),
        1,
        "one change, one reload:\n{log}"
    );
}

/// `fs-reload` reloads with uWSGI's `[uwsgi-fsmon]` lines; `touch-logreopen`
/// opens the log file again (after logrotate moved it); `touch-exec` runs
/// its command.
#[test]
fn fs_reload_touch_logreopen_and_touch_exec() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    for name in ["watched", "reopen", "exec"] {
        dir.write(name, "").expect("file");
    }
    write_ini(
        &dir,
        port,
        &app_path("pid_app.py"),
        "logto = app.log\nfs-reload = watched\ntouch-logreopen = reopen\ntouch-exec = exec touch ran.flag",
    );
    let mut server = start_ini(&dir, port);
    let log_file = dir.join("app.log");
    let log = || std::fs::read_to_string(&log_file).unwrap_or_default();
    assert!(
        log().contains("[uwsgi-fsmon] registered monitor for \"watched\""),
        "{}",
        log()
    );

    touch_at(&dir.join("exec"), 1_000_001);
    wait_until("the touch-exec command", DEFAULT_TIMEOUT, || {
        dir.join("ran.flag").exists().then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", log()));

    let rotated = dir.join("app.log.1");
    std::fs::rename(&log_file, &rotated).expect("rotate away");
    touch_at(&dir.join("reopen"), 1_000_002);
    // The line goes to the old file; what the master logs next, to the new.
    wait_until("the reopen", DEFAULT_TIMEOUT, || {
        let old = std::fs::read_to_string(&rotated).unwrap_or_default();
        (old.contains("has been touched... reopening logs") && log_file.exists()).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}"));

    touch_at(&dir.join("watched"), 1_000_003);
    wait_until("the fs-reload", RELOAD_TIMEOUT, || {
        let text = log();
        (text.contains("[uwsgi-fsmon] detected event on \"watched\"")
            && text.contains("every worker of generation 1 is gone"))
        .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", log()));
    assert_eq!(served_pid_status(port), 200);
    let _ = server.stop();
}

#[test]
fn touch_logrotate_is_refused() {
    let option = "touch-logrotate";
    let dir = TestDir::new().expect("temp dir");
    let text = format!("[uwsgi]\nhttp-socket = :0\nmodule = app\n{option} = x\n");
    let ini = dir.write("app.ini", text).expect("ini");
    let out = std::process::Command::new(uwsgid_e2e::uwsgid_bin().expect("uwsgid"))
        .arg("--check-config")
        .arg(&ini)
        .output()
        .expect("uwsgid runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("app.ini:4"), "{stderr}");
    assert!(stderr.contains("not implemented by uwsgid"), "{stderr}");
}
