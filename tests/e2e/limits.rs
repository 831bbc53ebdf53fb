//! Limits: harakiri, worker recycling (`max-requests`, `reload-on-as`,
//! `reload-on-rss`), `memory-report`, and the seed configuration run as root
//! with `uid`/`gid`, `daemonize`, `chown-socket`, `pidfile` and `vacuum`.

mod crash_loop;
mod harakiri;
mod privileges;
mod recycle;
mod startup;

use std::collections::BTreeSet;

use uwsgid_e2e::{
    Curl, DEFAULT_TIMEOUT, Server, ServerBuilder, TestDir, app_path, free_port, wait_http_ready,
};

/// uwsgid serving `tests/apps/APP` over `http-socket` with `ARGS`, ready.
fn start_http(dir: &TestDir, app: &str, args: &[&str]) -> (Server, u16) {
    let port = free_port().expect("a free port");
    let file = app_path(app);
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("the uwsgid binary")
        .arg("--http-socket")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--master")
        .arg("--wsgi-file")
        .arg(&file)
        .args(args)
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("the app answers");
    (server, port)
}

/// The `pid` field of a JSON answer (or `pid=N` text).
fn served_pid(request: Curl) -> Option<i32> {
    let response = request.run().ok()?;
    if response.status != 200 {
        return None;
    }
    let text = response.text();
    if let Some(pid) = text.trim().strip_prefix("pid=") {
        return pid.parse().ok();
    }
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    i32::try_from(json.get("pid")?.as_i64()?).ok()
}

/// Pids announced by `spawned uWSGI worker` / `Respawned uWSGI worker` lines.
fn born_pids(log: &str) -> BTreeSet<i32> {
    log.lines()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("spawned uWSGI worker ")
                .or(line.strip_prefix("Respawned uWSGI worker "))?;
            let (_, pid) = rest.split_once("pid: ")?;
            pid.trim_end_matches(')')
                .split(',')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .collect()
}

/// Who a process runs as, from `/proc/PID/status`: the real, effective,
/// saved and filesystem ids of its `Uid:` and `Gid:` lines, and its
/// supplementary groups. A saved id of 0 would let it become root again.
#[derive(Debug, PartialEq, Eq)]
struct Ids {
    uids: Vec<u32>,
    gids: Vec<u32>,
    groups: Vec<u32>,
}

fn ids_of(pid: i32) -> Option<Ids> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<Vec<u32>> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .split_whitespace()
            .map(|v| v.parse().ok())
            .collect()
    };
    Some(Ids {
        uids: field("Uid:")?,
        gids: field("Gid:")?,
        groups: field("Groups:")?,
    })
}
