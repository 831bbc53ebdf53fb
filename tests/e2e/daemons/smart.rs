//! Smart daemons (`smart-attach-daemon`, `smart-attach-daemon2`): watched
//! through their pidfile, restarted when the pid it names dies, left alone
//! by a reload and left running when the app stops, as uWSGI 2.0.31 does.

use super::*;

const SMART: &str =
    "smart-attach-daemon = {dir}/w.pid sh -c '{worker} {dir}/hb & echo $! > {dir}/w.pid'";

#[test]
fn a_smart_daemon_is_followed_through_its_pidfile_and_left_running_on_stop() {
    let app = App::start(SMART);
    let first = app.heartbeat("hb", None);
    let _guard = KillOnDrop(first);
    // uWSGI 2.0.31: `[uwsgi-daemons] found changed pid for "CMD" (old_pid: SH new_pid: PID)`.
    app.wait_log(&format!(" new_pid: {first})"), 1);
    assert!(
        app.log()
            .contains("[uwsgi-daemons] found changed pid for \"sh -c '"),
        "{}",
        app.log()
    );
    let d = app.wait_daemon(0, |d| d.pid == first as u32 && d.state == "running");
    assert!(d.pidfile.ends_with("/w.pid"), "{d:?}");

    kill_pid(first, Signal::SIGKILL);
    let second = app.heartbeat("hb", Some(first));
    let _guard2 = KillOnDrop(second);
    app.wait_log("[uwsgi-daemons] respawning \"sh -c '", 1);
    app.wait_daemon(0, |d| d.pid == second as u32 && d.respawns == 1);

    let log = app.stop(Signal::SIGTERM);
    assert!(!log.contains("[uwsgi-daemons] stopping daemon"), "{log}");
    assert!(alive(second), "a smart daemon outlives its app\n{log}");
}

#[test]
fn a_reload_leaves_a_smart_daemon_and_restarts_a_plain_one() {
    let app = App::start(&format!("{SMART}\nattach-daemon = sleep 1000"));
    let smart = app.heartbeat("hb", None);
    let _guard = KillOnDrop(smart);
    let plain = app.wait_daemon(1, |d| d.pid != 0).pid;
    app.wait_daemon(0, |d| d.pid == smart as u32);
    app.server.signal(Signal::SIGHUP).expect("SIGHUP");
    app.wait_log(
        &format!("[uwsgi-daemons] stopping daemon (pid: {plain}): sleep 1000"),
        1,
    );
    app.wait_daemon(1, |d| d.pid != 0 && d.pid != plain);
    app.wait(|a| a.state == "running");
    let d = &app.daemons()[0];
    assert_eq!(d.pid, smart as u32, "{d:?}\n{}", app.log());
    assert_eq!(d.respawns, 0, "{d:?}");
    app.stop(Signal::SIGTERM);
    assert!(alive(smart));
}

#[test]
fn smart_attach_daemon2_keeps_the_command_in_the_foreground_and_writes_the_pidfile() {
    let app = App::start("smart-attach-daemon2 = {dir}/w2.pid exec {worker} {dir}/hb2");
    let pid = app.heartbeat("hb2", None);
    let _guard = KillOnDrop(pid);
    let written = std::fs::read_to_string(app.dir.join("w2.pid")).expect("the pidfile");
    assert_eq!(written.trim(), pid.to_string());
    app.wait_daemon(0, |d| d.pid == pid as u32 && d.state == "running");
    let log = app.stop(Signal::SIGTERM);
    assert!(alive(pid), "left running on stop\n{log}");
}
