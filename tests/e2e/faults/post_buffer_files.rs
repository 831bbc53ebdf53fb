//! `post-buffering` spills bodies over its size into temporary files under
//! `TMPDIR`: none of them may outlive its request, whether the upload was
//! complete, cut short by the client (Content-Length or chunked), or
//! refused. Checked from the outside: the directory stays empty and no
//! process of the tree keeps a descriptor of a file in it (an unlinked
//! file still open would hold its disk space).

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;

use uwsgid_e2e::wait_until;

use super::*;

/// Files under `tmp` that a process of `server`'s tree holds open.
fn held_files(server: &Server, tmp: &Path) -> Vec<String> {
    let prefix = tmp.to_string_lossy().into_owned();
    let mut held = Vec::new();
    for proc in server.descendants() {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", proc.pid)) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                let target = target.to_string_lossy().into_owned();
                if target.starts_with(&prefix) {
                    held.push(format!("pid {}: {target}", proc.pid));
                }
            }
        }
    }
    held
}

/// Sends `head` and `part` of a body, then closes without the rest.
fn cut_short(port: u16, head: &str, part: usize) {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.write_all(head.as_bytes()).expect("send the head");
    conn.write_all(&vec![b'x'; part])
        .expect("send part of the body");
    conn.flush().expect("flush");
}

#[test]
fn post_buffer_files_never_outlive_their_request() {
    let dir = TestDir::new().expect("temp dir");
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).expect("TMPDIR");
    let port = free_port().expect("a free port");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("the uwsgid binary")
        .arg("--http-socket")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--master", "--processes", "2", "--post-buffering", "4096"])
        .args(["--limit-post", "8000000", "--socket-timeout", "3"])
        .arg("--wsgi-file")
        .arg(uwsgid_e2e::app_path("fault_app.py"))
        .env("TMPDIR", &tmp)
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));

    let mib = dir.join("one.mib");
    std::fs::write(&mib, vec![b'y'; 1 << 20]).expect("the upload");
    for _ in 0..3 {
        let done = curl(port, "/")
            .arg("--data-binary")
            .arg(format!("@{}", mib.display()))
            .timeout(Duration::from_secs(30))
            .run()
            .expect("curl");
        assert_eq!(done.status, 200, "{}", server.log());
    }
    // Cut short while the worker buffers: by Content-Length, chunked, and
    // one stalled until socket-timeout gives up on it.
    cut_short(
        port,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n",
        300_000,
    );
    cut_short(
        port,
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n30000\r\n",
        100_000,
    );
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
        .expect("send the head");
    stalled.write_all(&[b'z'; 200_000]).expect("send part");
    // The files do go to TMPDIR (else the check below would prove nothing).
    let buffering = wait_until(
        "the stalled upload's file in TMPDIR",
        DEFAULT_TIMEOUT,
        || (!held_files(&server, &tmp).is_empty()).then_some(()),
    );
    assert!(buffering.is_ok(), "{}", server.log());
    // Refused by limit-post before any of it is buffered.
    let refused = curl(port, "/")
        .arg("-H")
        .arg("Content-Length: 9000000")
        .arg("--data-binary")
        .arg("x")
        .run()
        .expect("curl");
    assert_eq!(refused.status, 413, "{}", server.log());

    // The stalled upload ends with socket-timeout (3 s); wait past it.
    let clean = wait_until("post-buffer files to be gone", DEFAULT_TIMEOUT, || {
        let listed: Vec<_> = std::fs::read_dir(&tmp)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let held = held_files(&server, &tmp);
        (listed.is_empty() && held.is_empty()).then_some(())
    });
    assert!(
        clean.is_ok(),
        "left in {}: {:?}, held: {:?}\n{}",
        tmp.display(),
        std::fs::read_dir(&tmp).map(|d| d.flatten().count()),
        held_files(&server, &tmp),
        server.log()
    );
    drop(stalled);
    assert!(ok(port, "/", Duration::from_secs(10)), "{}", server.log());
    assert!(!server.log().contains("DAMN !"), "{}", server.log());
}
