//! Nothing listens on TCP unless configured: a supervisor whose one app
//! serves on a unix socket owns no LISTEN socket in `/proc/net/tcp{,6}`
//! (sockets matched by inode against every process's `/proc/PID/fd`).

use std::collections::BTreeSet;
use std::time::Duration;

use uwsgid_e2e::process::descendants;
use uwsgid_e2e::{Curl, TestDir, wait_until};

use super::{start_supervisor, stop_supervisor};

/// Inodes of the TCP sockets in LISTEN state (state 0A), v4 and v6.
fn listening_inodes() -> BTreeSet<u64> {
    let mut inodes = BTreeSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) == Some(&"0A")
                && let Some(inode) = fields.get(9).and_then(|i| i.parse().ok())
            {
                inodes.insert(inode);
            }
        }
    }
    inodes
}

/// Inodes of the sockets `pid` has open (`socket:[N]` links).
fn socket_inodes(pid: i32) -> BTreeSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return BTreeSet::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let target = target.to_str()?.to_owned();
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn the_reading_of_proc_net_tcp_finds_a_listening_socket() {
    // The check below proves nothing unless it can see a listener at all.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let own = socket_inodes(std::process::id().try_into().expect("pid"));
    assert!(
        !own.is_disjoint(&listening_inodes()),
        "the test's own listener on {:?} is not found",
        listener.local_addr()
    );
}

#[test]
fn a_supervisor_with_a_unix_socket_app_listens_on_no_tcp_port() {
    let dir = TestDir::new().expect("temp dir");
    std::fs::create_dir_all(dir.join("apps")).expect("apps dir");
    let socket = dir.join("alpha.sock");
    std::fs::write(
        dir.join("apps/alpha.ini"),
        format!(
            "[uwsgi]\nmaster = true\nprocesses = 2\nhttp-socket = {}\nwsgi-file = {}\n\
             stats = {}\n",
            socket.display(),
            uwsgid_e2e::app_path("pid_app.py").display(),
            dir.join("stats.sock").display()
        ),
    )
    .expect("the app's ini");
    let (supervisor, _control) = start_supervisor(&dir);
    let answer = wait_until(
        "an answer on the unix socket",
        Duration::from_secs(60),
        || {
            Curl::new("http://localhost/")
                .arg("--unix-socket")
                .arg(&socket)
                .run()
                .ok()
                .filter(|r| r.status == 200)
        },
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", supervisor.log()));
    assert!(answer.text().starts_with("pid="), "{}", answer.text());

    let mut processes = vec![supervisor.pid()];
    processes.extend(descendants(supervisor.pid()).iter().map(|p| p.pid));
    assert!(
        processes.len() >= 4,
        "supervisor, app master, zygote and workers: {processes:?}"
    );
    let listening = listening_inodes();
    for pid in processes {
        let open = socket_inodes(pid);
        assert!(
            open.is_disjoint(&listening),
            "process {pid} ({}) listens on TCP",
            std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .unwrap_or_default()
                .replace('\0', " ")
        );
    }
    stop_supervisor(supervisor);
}
