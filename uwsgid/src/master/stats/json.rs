//! uWSGI's stats JSON (`uwsgi_master_generate_stats`): the same keys in
//! the same order with the same units, so `uwsgitop` and the monitoring
//! plugins written for uWSGI read it unchanged. Times are µs
//! (`running_time`, `avg_rt`), memory in bytes, `respawn_count` is 1 after
//! the first spawn, `last_spawn` unix seconds. What uwsgid does not have
//! (locks, offloading, the signal queue) is there with uWSGI's idle values.
//! The shared caches are listed after the locks, as uWSGI lists them.

use serde::Serialize;

use super::{Snapshot, SocketStats};
use crate::master::views::{WorkerState, WorkerView};

#[derive(Serialize)]
struct Stats<'a> {
    version: &'static str,
    listen_queue: u64,
    listen_queue_errors: u64,
    signal_queue: u64,
    load: u64,
    pid: u32,
    uid: u32,
    gid: u32,
    cwd: String,
    /// Only when there are daemons, as in uWSGI.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    daemons: Vec<Daemon<'a>>,
    locks: Vec<serde_json::Value>,
    /// Only when the app has caches, as in uWSGI.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    caches: Vec<Cache>,
    sockets: Vec<Socket<'a>>,
    workers: Vec<Worker>,
}

/// uWSGI 2.0.31 always shows `respawns: 0` (its code tests the count
/// the wrong way round); uwsgid shows the count.
#[derive(Serialize)]
struct Daemon<'a> {
    cmd: &'a str,
    pid: u32,
    respawns: u32,
}

/// One shared cache, with uWSGI's keys (`max_items` is the `items`
/// option, one more than it holds; `last_modified_at` is for uWSGI's
/// cache router: 0).
#[derive(Serialize)]
struct Cache {
    name: String,
    hash: &'static str,
    hashsize: u64,
    keysize: u64,
    max_items: u64,
    blocks: u64,
    blocksize: u64,
    items: u64,
    hits: u64,
    miss: u64,
    full: u64,
    last_modified_at: u64,
}

fn caches() -> Vec<Cache> {
    let Some(caches) = crate::cache::installed() else {
        return Vec::new();
    };
    caches
        .iter()
        .map(|c| {
            let s = c.stats();
            Cache {
                name: s.name,
                hash: "djb33x",
                hashsize: c.spec.hashsize,
                keysize: c.spec.keysize,
                max_items: c.spec.items,
                blocks: c.spec.blocks.max(c.spec.items),
                blocksize: s.blocksize,
                items: s.items,
                hits: s.hits,
                miss: s.misses,
                full: s.full,
                last_modified_at: 0,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct Socket<'a> {
    name: &'a str,
    proto: &'a str,
    queue: u64,
    max_queue: u64,
    shared: u8,
    can_offload: u8,
}

#[derive(Serialize)]
struct Worker {
    id: u32,
    pid: i32,
    accepting: u8,
    requests: u64,
    delta_requests: u64,
    exceptions: u64,
    harakiri_count: u64,
    signals: u64,
    signal_queue: u64,
    status: &'static str,
    rss: u64,
    vsz: u64,
    running_time: u64,
    last_spawn: u64,
    respawn_count: u64,
    tx: u64,
    avg_rt: u64,
    apps: Vec<App>,
    cores: Vec<Core>,
}

#[derive(Serialize)]
struct App {
    id: u32,
    modifier1: u8,
    mountpoint: &'static str,
    startup_time: u64,
    requests: u64,
    exceptions: u64,
    chdir: String,
}

#[derive(Serialize)]
struct Core {
    id: usize,
    requests: u64,
    static_requests: u64,
    routed_requests: u64,
    offloaded_requests: u64,
    write_errors: u64,
    read_errors: u64,
    in_request: u8,
    vars: Vec<String>,
    req_info: serde_json::Map<String, serde_json::Value>,
}

/// Memory of a process: (rss, vsz) in bytes.
pub type MemoryOf<'a> = &'a dyn Fn(i32) -> Option<(u64, u64)>;

/// The JSON document for `snapshot`; `memory` reads a worker's RSS and
/// address space when the scoreboard has none.
pub fn render(snapshot: &Snapshot, memory: MemoryOf<'_>) -> String {
    let sockets: Vec<Socket<'_>> = snapshot.sockets.iter().map(socket).collect();
    let stats = Stats {
        version: env!("CARGO_PKG_VERSION"),
        listen_queue: snapshot.sockets.iter().map(|s| s.queue).sum(),
        listen_queue_errors: 0,
        signal_queue: 0,
        load: snapshot
            .workers
            .iter()
            .filter(|w| w.state == WorkerState::Busy)
            .count() as u64,
        pid: std::process::id(),
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        daemons: snapshot
            .daemons
            .iter()
            .map(|d| Daemon {
                cmd: &d.command,
                pid: d.pid,
                respawns: d.respawns,
            })
            .collect(),
        locks: Vec::new(),
        caches: caches(),
        sockets,
        workers: snapshot
            .workers
            .iter()
            .map(|w| worker(w, &snapshot.chdir, memory))
            .collect(),
    };
    serde_json::to_string(&stats).unwrap_or_else(|_| "{}".to_string())
}

fn socket(s: &SocketStats) -> Socket<'_> {
    Socket {
        name: &s.name,
        proto: s.proto,
        queue: s.queue,
        max_queue: s.max_queue,
        shared: 0,
        can_offload: 0,
    }
}

fn worker(view: &WorkerView, chdir: &str, memory: MemoryOf<'_>) -> Worker {
    let c = view.counters.clone().unwrap_or_default();
    let pid = view.pid.map_or(0, |p| p.as_raw());
    let (rss, vsz) = if c.rss > 0 {
        (c.rss, c.vsz)
    } else if pid > 0 {
        memory(pid).unwrap_or((0, 0))
    } else {
        (0, 0)
    };
    Worker {
        id: view.id,
        pid,
        accepting: u8::from(c.accepting && pid > 0),
        requests: c.requests,
        delta_requests: c.delta_requests,
        exceptions: c.exceptions,
        harakiri_count: c.harakiri_count,
        signals: c.signals,
        signal_queue: 0,
        status: status(view),
        rss,
        vsz,
        running_time: c.running_time_us,
        last_spawn: c.last_spawn_us / 1_000_000,
        respawn_count: c.respawns,
        tx: c.tx,
        avg_rt: c.avg_rt_us,
        apps: vec![App {
            id: 0,
            modifier1: 0,
            mountpoint: "",
            startup_time: 0,
            requests: c.requests,
            exceptions: c.exceptions,
            chdir: chdir.to_string(),
        }],
        cores: view
            .cores
            .iter()
            .enumerate()
            .map(|(id, core)| Core {
                id,
                requests: core.requests,
                static_requests: 0,
                routed_requests: 0,
                offloaded_requests: 0,
                write_errors: 0,
                read_errors: 0,
                in_request: u8::from(core.in_request),
                vars: Vec::new(),
                req_info: serde_json::Map::new(),
            })
            .collect(),
    }
}

/// uWSGI's words: a slot without a process is "cheap" (as a worker the
/// cheaper stopped), one told to finish is "pause" (it accepts no more).
fn status(view: &WorkerView) -> &'static str {
    match view.state {
        _ if view.pid.is_none() => "cheap",
        WorkerState::Busy => "busy",
        WorkerState::Idle | WorkerState::Starting => "idle",
        WorkerState::Stopping => "pause",
    }
}

#[cfg(test)]
mod tests {
    use nix::unistd::Pid;

    use super::*;
    use crate::scoreboard::{CoreSnapshot, SlotSnapshot};

    fn view(pid: Option<i32>, state: WorkerState) -> WorkerView {
        WorkerView {
            id: 1,
            pid: pid.map(Pid::from_raw),
            generation: 1,
            state,
            counters: Some(SlotSnapshot {
                pid: pid.unwrap_or(0),
                requests: 7,
                delta_requests: 3,
                accepting: true,
                running_time_us: 1500,
                avg_rt_us: 250,
                last_spawn_us: 1_700_000_000_000_000,
                respawns: 1,
                ..SlotSnapshot::default()
            }),
            cores: vec![CoreSnapshot {
                requests: 7,
                in_request: false,
            }],
            busy_since_us: None,
            respawns: 0,
            last_exit: String::new(),
            started_unix: 0,
        }
    }

    #[test]
    fn keys_come_in_uwsgis_order_with_its_units() {
        let snapshot = Snapshot {
            workers: vec![view(Some(42), WorkerState::Idle)],
            sockets: vec![SocketStats {
                name: ":8000".into(),
                proto: "http",
                queue: 2,
                max_queue: 100,
            }],
            chdir: "/srv".into(),
            daemons: Vec::new(),
        };
        let text = render(&snapshot, &|_| Some((4096, 8192)));
        assert!(!text.contains("\"daemons\""), "{text}");
        let order: Vec<usize> = [
            "\"version\"",
            "\"listen_queue\"",
            "\"pid\"",
            "\"cwd\"",
            "\"sockets\"",
            "\"workers\"",
        ]
        .iter()
        .map(|k| text.find(k).expect(k))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let w = &json["workers"][0];
        assert_eq!(w["running_time"], 1500);
        assert_eq!(w["avg_rt"], 250);
        assert_eq!(w["last_spawn"], 1_700_000_000u64);
        assert_eq!(w["respawn_count"], 1);
        assert_eq!(w["rss"], 4096);
        assert_eq!(w["status"], "idle");
        assert_eq!(w["cores"][0]["in_request"], 0);
        assert_eq!(json["listen_queue"], 2);
    }

    #[test]
    fn daemons_come_between_cwd_and_locks() {
        let snapshot = Snapshot {
            workers: Vec::new(),
            sockets: Vec::new(),
            chdir: String::new(),
            daemons: vec![uwsgid_proto::v1::DaemonStatus {
                command: "sleep 1003".into(),
                pid: 8827,
                respawns: 2,
                ..Default::default()
            }],
        };
        let text = render(&snapshot, &|_| None);
        let (cwd, daemons, locks) = (
            text.find("\"cwd\"").expect("cwd"),
            text.find("\"daemons\"").expect("daemons"),
            text.find("\"locks\"").expect("locks"),
        );
        assert!(cwd < daemons && daemons < locks, "{text}");
        assert!(
            text.contains(r#""daemons":[{"cmd":"sleep 1003","pid":8827,"respawns":2}]"#),
            "{text}"
        );
    }

    #[test]
    fn statuses_use_uwsgis_words() {
        assert_eq!(status(&view(None, WorkerState::Starting)), "cheap");
        assert_eq!(status(&view(Some(1), WorkerState::Busy)), "busy");
        assert_eq!(status(&view(Some(1), WorkerState::Starting)), "idle");
        assert_eq!(status(&view(Some(1), WorkerState::Stopping)), "pause");
    }
}
