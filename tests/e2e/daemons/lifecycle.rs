//! A plain daemon's life: started with the app, restarted when it dies,
//! restarted by `touch=` and by a graceful reload, stopped with the app
//! (SIGKILL after the mercy when it ignores its stop signal), and an
//! `attach-control-daemon` whose exit stops the app.

use super::*;

#[test]
fn a_worker_daemon_is_restarted_after_a_kill_and_stopped_with_the_app() {
    let app = App::start("attach-daemon = {worker} {dir}/hb");
    let first = app.heartbeat("hb", None);
    // uWSGI 2.0.31: `[uwsgi-daemons] spawning "CMD" (uid: 0 gid: 0)`.
    let cmd = expand("{worker} {dir}/hb", app.dir.path());
    app.wait_log(
        &format!("[uwsgi-daemons] spawning \"{cmd}\" (uid: 0 gid: 0)"),
        1,
    );
    // The shell runs the worker as its child, as under uWSGI.
    let shell = app.wait_daemon(0, |d| d.state == "running").pid as i32;
    assert_eq!(parent_of(first), Some(shell));

    kill_pid(first, Signal::SIGKILL);
    let second = app.heartbeat("hb", Some(first));
    app.wait_log(
        &format!("[uwsgi-daemons] respawning \"{cmd}\" (uid: 0 gid: 0)"),
        1,
    );
    let d = app.wait_daemon(0, |d| d.pid != shell as u32 && d.pid != 0);
    assert_eq!((d.state.as_str(), d.respawns), ("running", 1), "{d:?}");
    assert_eq!(parent_of(second), Some(d.pid as i32));

    let log = app.stop(Signal::SIGTERM);
    let pid = d.pid;
    assert!(
        log.contains(&format!(
            "[uwsgi-daemons] stopping daemon (pid: {pid}): {cmd}"
        )),
        "{log}"
    );
    wait_gone(second, &log);
    assert!(!alive(pid as i32), "the daemon outlived its app\n{log}");
}

#[test]
fn quick_deaths_are_throttled() {
    let app = App::start("attach-daemon = sh -c 'echo started; exit 1'");
    // uWSGI 2.0.31: `[uwsgi-daemons] throttling "CMD" for 1 seconds`.
    app.wait_log(
        "[uwsgi-daemons] throttling \"sh -c 'echo started; exit 1'\" for 1 seconds",
        1,
    );
    app.wait_log(
        "[uwsgi-daemons] throttling \"sh -c 'echo started; exit 1'\" for 2 seconds",
        1,
    );
    let d = app.wait_daemon(0, |d| d.respawns >= 2);
    assert!(["backoff", "running"].contains(&d.state.as_str()), "{d:?}");
    // Its output goes to the app's log.
    assert!(app.log().matches("started\n").count() >= 3, "{}", app.log());
    app.stop(Signal::SIGINT);
}

#[test]
fn a_graceful_reload_restarts_a_plain_daemon() {
    graceful_reload_restarts_the_daemon("attach-daemon = {worker} {dir}/hb");
}

/// With `lazy-apps` uWSGI reloads the workers alone (no re-exec of the
/// master): the daemon keeps running through the reload.
#[test]
fn a_graceful_reload_of_lazy_apps_leaves_the_daemon() {
    let app = App::start("attach-daemon = {worker} {dir}/hb\nlazy-apps = true");
    let worker = app.heartbeat("hb", None);
    let first = app.wait_daemon(0, |d| d.pid != 0).pid;
    app.server.signal(Signal::SIGHUP).expect("SIGHUP");
    app.wait_log("every worker of generation 1 is gone", 1);
    let d = app.wait_daemon(0, |d| d.pid != 0);
    assert_eq!((d.pid, d.respawns), (first, 0), "{d:?}\n{}", app.log());
    assert!(alive(worker), "{}", app.log());
    assert!(!app.log().contains("stopping daemon"), "{}", app.log());
    app.stop(Signal::SIGTERM);
    wait_gone(worker, "");
}

fn graceful_reload_restarts_the_daemon(ini: &str) {
    let app = App::start(ini);
    let worker = app.heartbeat("hb", None);
    let first = app.wait_daemon(0, |d| d.pid != 0).pid;
    app.server.signal(Signal::SIGHUP).expect("SIGHUP");
    // uWSGI 2.0.31 stops it before its binary reload and starts it afresh.
    let cmd = expand("{worker} {dir}/hb", app.dir.path());
    app.wait_log(
        &format!("[uwsgi-daemons] stopping daemon (pid: {first}): {cmd}"),
        1,
    );
    let second = app.heartbeat("hb", Some(worker));
    app.wait_log(&format!("[uwsgi-daemons] spawning \"{cmd}\""), 2);
    wait_gone(worker, &app.log());
    wait_gone(first as i32, &app.log());
    let d = app.wait_daemon(0, |d| d.pid != 0 && d.pid != first);
    assert_eq!(d.respawns, 0, "{d:?}");
    app.stop(Signal::SIGTERM);
    wait_gone(second, "");
}

#[test]
fn touching_a_touch_file_restarts_the_daemon() {
    let app = App::start("attach-daemon2 = cmd={worker} {dir}/hb,touch={dir}/restart.txt");
    let worker = app.heartbeat("hb", None);
    let first = app.wait_daemon(0, |d| d.pid != 0).pid;
    app.dir.write("restart.txt", "now").expect("touch");
    let cmd = expand("{worker} {dir}/hb", app.dir.path());
    let touched = expand(
        "*** {dir}/restart.txt has been touched... reloading daemon",
        app.dir.path(),
    );
    app.wait_log(&format!("{touched} \"{cmd}\" (pid: {first}) !!! ***"), 1);
    let second = app.heartbeat("hb", Some(worker));
    wait_gone(worker, &app.log());
    app.stop(Signal::SIGTERM);
    wait_gone(second, "");
}

#[test]
fn a_daemon_ignoring_its_stop_signal_is_killed_after_the_mercy() {
    let app = App::start(
        "reload-mercy = 2\n\
         attach-daemon2 = cmd=trap \"\" USR2; while :; do sleep 0.1; done,stopsignal=12",
    );
    let pid = app.wait_daemon(0, |d| d.pid != 0).pid as i32;
    let log = app.stop(Signal::SIGTERM);
    // uWSGI 2.0.31: `[uwsgi-daemons] daemon did not die in time, killing (pid: N): CMD`.
    assert!(
        log.contains(&format!(
            "[uwsgi-daemons] daemon did not die in time, killing (pid: {pid})"
        )),
        "{log}"
    );
    assert!(!alive(pid), "{log}");
}

#[test]
fn a_control_daemon_s_exit_stops_the_app() {
    let mut app = App::launch("attach-control-daemon = sh -c 'sleep 2; exit 3'");
    let status = app.server.wait_exit(WAIT).expect("the app stops by itself");
    let log = app.log();
    // uWSGI 2.0.31: `graceful shutdown triggered...`, then exit code 0.
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("graceful shutdown triggered..."), "{log}");
    assert!(log.contains("goodbye to uWSGI."), "{log}");
}
