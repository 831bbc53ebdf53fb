//! An attached daemon of an app run by the supervisor (`uwsgid
//! --apps-dir`): shown in the supervisor's status, restarted when killed,
//! its lines in the app's log, stopped with the app by `uwsgictl stop`.

use uwsgid_e2e::control::{Client, call};
use uwsgid_proto::v1::AppRequest;

use super::*;

#[test]
fn a_supervised_app_s_daemon_is_restarted_and_stopped_with_the_app() {
    let dir = TestDir::new().expect("temp dir");
    dir.write("worker.py", WORKER).expect("write worker.py");
    std::fs::create_dir_all(dir.join("apps")).expect("apps dir");
    let port = free_port().expect("a free port");
    let ini = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n{}\n",
        app_path("pid_app.py").display(),
        expand("attach-daemon = {worker} {dir}/hb", dir.path())
    );
    std::fs::write(dir.join("apps/app.ini"), ini).expect("write the ini");
    let control = dir.join("run/control.sock");
    let mut supervisor = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .arg("--apps-dir")
        .arg(dir.join("apps"))
        .arg("--control")
        .arg(&control)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--log-dir")
        .arg(dir.join("log"))
        .stop_timeout(WAIT)
        .start()
        .expect("the supervisor starts");
    let app_log = || std::fs::read_to_string(dir.join("log/app.log")).unwrap_or_default();
    let wait = |what: &str, pred: &dyn Fn(&AppStatus) -> bool| {
        wait_app(&control, "app", WAIT, pred)
            .unwrap_or_else(|e| panic!("{what}: {e:#}\n{}\n{}", supervisor.log(), app_log()))
    };
    let status = wait("running", &|a| {
        a.state == "running" && a.daemons.first().is_some_and(|d| d.pid != 0)
    });
    let master = status.master_pid as i32;
    let first = status.daemons[0].pid;
    let worker = wait_until("a heartbeat", WAIT, || heartbeat_pid(&dir.join("hb")))
        .expect("the daemon writes its heartbeat");
    let _guards = [
        KillOnDrop(master),
        KillOnDrop(first as i32),
        KillOnDrop(worker),
    ];

    kill_pid(first as i32, Signal::SIGKILL);
    let status = wait("restarted", &|a| {
        a.daemons[0].pid != first && a.daemons[0].pid != 0 && a.daemons[0].respawns == 1
    });
    let second = status.daemons[0].pid as i32;
    let _guard = KillOnDrop(second);
    assert!(
        app_log().contains("[uwsgi-daemons] respawning \""),
        "{}",
        app_log()
    );

    let request = AppRequest {
        app: "app".into(),
        ..Default::default()
    };
    call(&control, async move |mut c: Client| c.stop(request).await).expect("stop the app");
    wait("stopped", &|a| a.state == "stopped");
    wait_gone(second, &app_log());
    assert!(
        app_log().contains(&format!("[uwsgi-daemons] stopping daemon (pid: {second})")),
        "{}",
        app_log()
    );
    supervisor.signal(Signal::SIGTERM).expect("SIGTERM");
    let code = supervisor.wait_exit(WAIT).expect("the supervisor exits");
    assert!(code.success(), "{code}");
}
