//! The master FIFO of an app the supervisor runs, driven as a pidfile-era
//! script would (`echo r > app.fifo`): `r` reloads it (a new generation,
//! seen by `uwsgictl status`), `q` stops its master, which the supervisor
//! then starts again (as uWSGI's Emperor does with a vassal that exits),
//! its new master reading the same FIFO.

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

use super::*;

fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// Writes `letter` once a master reads the FIFO (a non-blocking open for
/// writing fails while nobody has it open for reading).
fn write_fifo(path: &Path, letter: &[u8], log: &str) {
    let opened = uwsgid_e2e::wait_until("a master reading the fifo", APP_TIMEOUT, || {
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .ok()
    });
    let mut fifo = opened.unwrap_or_else(|e| panic!("{e:#}\n{log}"));
    fifo.write_all(letter).expect("write to the master fifo");
}

#[test]
fn the_fifo_of_a_supervised_app_reloads_and_stops_it() {
    let app = AppSpec::new("site", 1);
    let host = Host::start_with(&[], &[], &[], false);
    let fifo = host.dir.join("site.fifo");
    let extra = format!("master-fifo = {}", fifo.display());
    write_app(&host.dir, &app, &extra);
    let first = host.wait_running("site");
    assert_eq!(first.generation, 1);
    assert!(is_fifo(&fifo), "{}", host.server.log());

    write_fifo(&fifo, b"r", &host.server.log());
    control::wait_app(&host.control(), "site", APP_TIMEOUT, |a| {
        a.generation == 2 && a.state == "running"
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", host.server.log()));
    assert!(answers(app.port));

    // `q`: the master stops; the supervisor starts the app again, and the
    // new master reads the FIFO.
    write_fifo(&fifo, b"q", &host.server.log());
    let again = control::wait_app(&host.control(), "site", APP_TIMEOUT, |a| {
        a.state == "running" && a.master_pid != first.master_pid && a.master_pid != 0
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", host.server.log()));
    assert_eq!(again.generation, 1, "a new master");
    write_fifo(&fifo, b"r", &host.server.log());
    control::wait_app(&host.control(), "site", APP_TIMEOUT, |a| {
        a.master_pid == again.master_pid && a.generation == 2
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", host.server.log()));
    assert!(answers(app.port));
}
