//! A deleted control socket: `uwsgictl` says the server still runs and how
//! to get the socket back, and SIGHUP makes it again, for the supervisor and
//! for a standalone app master.

use std::ffi::OsStr;
use std::path::Path;

use uwsgid_e2e::{DEFAULT_TIMEOUT, uwsgictl};

use super::*;

/// Deletes `socket`, checks what `uwsgictl status` says about server `pid`,
/// sends SIGHUP through `hup` and waits until `status` works again.
fn delete_and_recreate(socket: &Path, pid: i32, hup: impl FnOnce()) {
    std::fs::remove_file(socket).expect("delete the control socket");
    let out = uwsgictl(&[
        OsStr::new("--socket"),
        socket.as_os_str(),
        OsStr::new("status"),
    ])
    .expect("uwsgictl runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the socket file is gone, but uwsgid (pid {pid}) serves it"
        )) && stderr.contains(&format!("`kill -HUP {pid}`")),
        "{stderr}"
    );
    hup();
    wait_until("the control socket made again", DEFAULT_TIMEOUT, || {
        let out = uwsgictl(&[
            OsStr::new("--socket"),
            socket.as_os_str(),
            OsStr::new("status"),
        ])
        .ok()?;
        out.status.success().then_some(())
    })
    .expect("uwsgictl status works after SIGHUP");
}

#[test]
fn the_supervisor_makes_a_deleted_control_socket_again_on_sighup() {
    let app = App::new("alpha");
    let mut s = Supervised::start(&[&app]);
    s.wait_serving(&app);
    let pid = s.server().pid();
    let socket = s.control();
    delete_and_recreate(&socket, pid, || s.signal(Signal::SIGHUP));
    let log = s.log();
    assert!(
        log.contains("the control socket") && log.contains("was gone: made it again"),
        "{log}"
    );
    // SIGHUP also reloads every app: alpha comes back to running.
    s.wait_state("alpha", "running");
}

#[test]
fn an_app_master_makes_a_deleted_control_socket_again_on_sighup() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let ini = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n",
        app_path("hello.py").display()
    );
    dir.write("app.ini", ini).expect("write app.ini");
    let socket = dir.join("ctl.sock");
    let server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--ini", "app.ini", "--control"])
        .arg(&socket)
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    control::wait_app(&socket, "app", DEFAULT_TIMEOUT, |a| a.state == "running")
        .expect("the app runs");
    let pid = server.pid();
    delete_and_recreate(&socket, pid, || {
        server.signal(Signal::SIGHUP).expect("SIGHUP");
    });
    assert!(
        server
            .log()
            .contains("the control socket was gone: made it again"),
        "{}",
        server.log()
    );
}
