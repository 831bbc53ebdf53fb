//! `master-fifo`: uWSGI's one-letter commands written to a named pipe, as
//! the scripts of the pidfile era do (`echo r > /run/app.fifo`). The FIFO
//! is mode 0600, made again after every writer (uWSGI's behaviour), on
//! SIGHUP when deleted, and removed by `vacuum`.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::process::Command;

use super::*;

/// Which file the FIFO at `path` is, if one is there: its inode and its
/// change time to the nanosecond (a file made again may reuse the inode).
pub(super) fn fifo_inode(path: &Path) -> Option<(u64, i64, i64)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.file_type()
        .is_fifo()
        .then(|| (meta.ino(), meta.ctime(), meta.ctime_nsec()))
}

/// Runs `write`, then waits until the master made the FIFO again (a new
/// file at the path): the sign it read the command and its end-of-file,
/// and what makes the next write land in the FIFO it reads.
fn after_remake(path: &Path, server: &Server, write: impl FnOnce()) {
    let before = fifo_inode(path).expect("the master fifo exists");
    write();
    let remade = wait_until("the master fifo to be made again", DEFAULT_TIMEOUT, || {
        fifo_inode(path).filter(|&now| now != before)
    });
    assert!(remade.is_ok(), "{}", server.log());
}

/// Writes `bytes` to the FIFO and waits for it to be made again.
pub(super) fn send(path: &Path, server: &Server, bytes: &[u8]) {
    after_remake(path, server, || {
        let mut fifo = OpenOptions::new()
            .write(true)
            .open(path)
            .expect("open the fifo for writing");
        fifo.write_all(bytes).expect("write the command");
    });
}

#[test]
fn letters_written_to_the_fifo_reload_scale_report_and_stop() {
    let dir = TestDir::new().expect("temp dir");
    let fifo = dir.join("ctl.fifo");
    let (mut server, port) = start_http(
        &dir,
        "pid_app.py",
        &[
            "--master",
            "--processes",
            "2",
            "--master-fifo",
            "ctl.fifo",
            "--vacuum",
        ],
    );
    let meta = std::fs::symlink_metadata(&fifo).expect("the fifo is made");
    assert!(meta.file_type().is_fifo());
    assert_eq!(meta.mode() & 0o777, 0o600, "only the app's user may write");
    assert_eq!(meta.uid(), nix::unistd::geteuid().as_raw());

    // A shell script's reload: new workers, and the app serves throughout.
    let first = births(&server.log()).len();
    after_remake(&fifo, &server, || {
        let status = Command::new("sh")
            .arg("-c")
            .arg("echo r > ctl.fifo")
            .current_dir(dir.path())
            .status()
            .expect("sh runs");
        assert!(status.success());
    });
    wait_for_log(&mut server, "...gracefully reloading", DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_until("the new generation's workers", DEFAULT_TIMEOUT, || {
        (births(&server.log()).len() >= first + 2).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert_eq!(curl(port, "/").run().expect("curl").status, 200);

    // Several letters in one write run in order.
    send(&fifo, &server, b"+s");
    wait_for_log(&mut server, "*** workers stats", DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert!(
        server
            .log()
            .contains("master fifo: adding worker 3 (workers: 3)"),
        "{}",
        server.log()
    );
    distinct_pids(3, || curl(port, "/"));

    // A letter for a feature uwsgid lacks is named, not silently dropped.
    send(&fifo, &server, b"f\n");
    wait_for_log(
        &mut server,
        "command 'f' (reforking the master",
        DEFAULT_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));

    // `q`: a graceful stop; vacuum removes the fifo.
    OpenOptions::new()
        .write(true)
        .open(&fifo)
        .and_then(|mut f| f.write_all(b"q"))
        .expect("write q");
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("the master exits");
    let log = server.log();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("goodbye to uWSGI."), "{log}");
    assert!(!fifo.exists(), "vacuum removed the fifo:\n{log}");
}

#[test]
fn a_digit_chooses_the_next_fifo_and_sighup_remakes_a_deleted_one() {
    let dir = TestDir::new().expect("temp dir");
    let (first, second) = (dir.join("a.fifo"), dir.join("b.fifo"));
    let (mut server, port) = start_http(
        &dir,
        "pid_app.py",
        &[
            "--master",
            "--master-fifo",
            "a.fifo",
            "--master-fifo",
            "b.fifo",
        ],
    );
    assert!(fifo_inode(&first).is_some(), "{}", server.log());
    assert!(fifo_inode(&second).is_none(), "only the first is active");

    // `1` makes the second active once this writer closes (uWSGI's order).
    OpenOptions::new()
        .write(true)
        .open(&first)
        .and_then(|mut f| f.write_all(b"1"))
        .expect("write 1");
    wait_until("the second fifo", DEFAULT_TIMEOUT, || fifo_inode(&second))
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert!(
        server.log().contains("active master fifo is now b.fifo"),
        "{}",
        server.log()
    );

    // Deleted, it comes back with the next reload.
    std::fs::remove_file(&second).expect("delete the fifo");
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    wait_until("the fifo made again", DEFAULT_TIMEOUT, || {
        fifo_inode(&second)
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert_eq!(curl(port, "/").run().expect("curl").status, 200);

    OpenOptions::new()
        .write(true)
        .open(&second)
        .and_then(|mut f| f.write_all(b"Q"))
        .expect("write Q");
    let status = server.wait_exit(DEFAULT_TIMEOUT).expect("the master exits");
    assert_eq!(status.code(), Some(0), "{}", server.log());
}
