//! The control socket's permissions: a peer in the socket's group that is
//! neither root nor the daemon's user may read (status) but not change
//! anything (stop), and is told so.

use std::os::unix::process::CommandExt;
use std::process::Command;

use super::*;
use uwsgid_e2e::{ModeGuard, run_with_timeout, uwsgictl_bin};

const WWW_DATA: u32 = 33;

/// `uwsgictl --socket CONTROL ARGS` run as www-data.
fn ctl_as_www_data(host: &Host, args: &[&str]) -> Output {
    let mut cmd = Command::new(uwsgictl_bin().expect("uwsgictl is built"));
    cmd.arg("--socket").arg(host.control()).args(args);
    // As root, std drops the supplementary groups when it sets the uid.
    cmd.uid(WWW_DATA).gid(WWW_DATA);
    run_with_timeout(cmd, uwsgid_e2e::DEFAULT_TIMEOUT).expect("uwsgictl runs")
}

#[test]
fn a_non_root_peer_may_read_but_cannot_stop_an_app() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "this test runs uwsgictl as www-data and must run as root"
    );
    let site1 = AppSpec::new("mysite1", 1);
    let host = Host::start_with(
        std::slice::from_ref(&site1),
        &["--control-group", "www-data"],
        &[],
        true,
    );
    let mut modes = ModeGuard::new();
    modes
        .traversable(&uwsgictl_bin().expect("uwsgictl"))
        .expect("chmod o+x");
    modes.traversable(&host.control()).expect("chmod o+x");

    let status = ctl_as_www_data(&host, &["status"]);
    assert!(
        status.status.success(),
        "www-data may read: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let stop = ctl_as_www_data(&host, &["stop", "mysite1"]);
    assert_eq!(code(&stop), Some(1), "www-data may not stop");
    let err = String::from_utf8_lossy(&stop.stderr);
    assert!(err.contains("may only read"), "{err}");
    assert!(answers(site1.port), "the app still serves");
    assert_eq!(
        app_of(&host.status_json(None), "mysite1")["state"],
        "running"
    );
}
