//! The log file fails under a running server: its disk fills up (a small
//! tmpfs mounted by the test; the tests run as root) or its directory is
//! removed. Log lines are lost; requests are not.

use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sys::signal::Signal;
use uwsgid_e2e::wait_until;

use super::*;

/// A tmpfs of `size` mounted on `dir`, unmounted (lazily) on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).expect("the mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount a tmpfs on {}", dir.display());
        Tmpfs(dir.to_path_buf())
    }

    /// Writes a file until the disk is full.
    fn fill(&self) {
        let mut filler = std::fs::File::create(self.0.join("filler")).expect("filler");
        let block = vec![0u8; 4096];
        while std::io::Write::write_all(&mut filler, &block).is_ok() {}
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// 30 requests, half of them writing 8 KiB each to stderr (the log).
fn serves_while_logging(port: u16, server: &Server) {
    for i in 0..30 {
        let path = if i % 2 == 0 { "/noise?kib=8" } else { "/" };
        assert!(
            ok(port, path, Duration::from_secs(10)),
            "{path}\n{}",
            server.log()
        );
    }
}

#[test]
fn a_full_disk_under_logto_loses_log_lines_not_requests() {
    let dir = TestDir::new().expect("temp dir");
    let disk = Tmpfs::mount(&dir.join("disk"), "256k");
    let logto = dir.join("disk/app.log");
    let logto_arg = logto.to_str().expect("utf-8");
    let (mut server, port) = start_app(&dir, &[], &["--processes", "2", "--logto", logto_arg]);
    wait_until("the app's log file", DEFAULT_TIMEOUT, || {
        std::fs::metadata(&logto).ok().filter(|m| m.len() > 0)
    })
    .expect("logto writes the file");
    disk.fill();
    serves_while_logging(port, &server);
    // A reload opens nothing new on the full disk that could stop it.
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    wait_until("workers of the reload", DEFAULT_TIMEOUT, || {
        ok(port, "/", Duration::from_secs(5)).then_some(())
    })
    .expect("serving after the reload");
    serves_while_logging(port, &server);
    server.ensure_running().expect("the master keeps running");
    drop(server);
    drop(disk);
}

#[test]
fn a_removed_log_directory_loses_log_lines_not_requests() {
    let dir = TestDir::new().expect("temp dir");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).expect("logs dir");
    let logto = logs.join("app.log");
    let logto_arg = logto.to_str().expect("utf-8");
    let (mut server, port) = start_app(&dir, &[], &["--processes", "2", "--logto", logto_arg]);
    wait_until("the app's log file", DEFAULT_TIMEOUT, || {
        std::fs::metadata(&logto).ok().filter(|m| m.len() > 0)
    })
    .expect("logto writes the file");
    std::fs::remove_dir_all(&logs).expect("remove the log directory");
    serves_while_logging(port, &server);
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    serves_while_logging(port, &server);
    server.ensure_running().expect("the master keeps running");
}
