//! Two generations share the worker ids during a reload, and each id has
//! one scoreboard slot. An old generation's worker that finishes starting
//! after its successor (a slow import, a respawn during the reload) must
//! not take the slot back: the master reads the new worker's `serving`
//! flag there, and would wait for it until `reload-mercy`. A failed reload
//! gives the slots its workers took back to the old workers, which keep
//! serving and must be counted and watched again.

use std::path::Path;

use uwsgid_e2e::control::{start_ini, wait_app};
use uwsgid_proto::v1::{AppStatus, WorkerStatus};

use super::*;

/// The worker of `generation` in slot `id`, if the status lists it.
fn worker(app: &AppStatus, id: u32, generation: u64) -> Option<&WorkerStatus> {
    app.workers
        .iter()
        .find(|w| w.id == id && w.generation == generation)
}

/// Whether `pid` runs more than one thread (a worker starts its threads
/// only after it took its slot).
fn threaded(pid: u32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/task")).is_ok_and(|tasks| tasks.count() > 1)
}

fn touch(dir: &Path, name: &str) {
    std::fs::write(dir.join(name), b"").expect("a gate file");
}

/// An app of two `lazy-apps` workers whose imports wait while `holds`
/// (`hold-ID-N` files, see `gated_import_app.py`) are in its gate
/// directory, with `reload-mercy`, a control socket, serving on its port.
struct Gated {
    dir: TestDir,
    server: Server,
    control: PathBuf,
    port: u16,
}

impl Gated {
    fn start(holds: &[&str], reload_mercy: u32) -> Gated {
        let dir = TestDir::new().expect("temp dir");
        let gate = dir.join("gate");
        std::fs::create_dir(&gate).expect("the gate directory");
        for hold in holds {
            touch(&gate, hold);
        }
        let port = free_port().expect("a free port");
        let extra = format!(
            "lazy-apps = true\nprocesses = 2\nreload-mercy = {reload_mercy}\nenv = GATE_DIR={}\n",
            gate.display()
        );
        write_ini(&dir, port, &app_path("gated_import_app.py"), &extra);
        let (mut server, control) = start_ini(&dir).expect("uwsgid starts");
        wait_http_ready(&mut server, port, DEFAULT_TIMEOUT).expect("a worker answers");
        Gated {
            dir,
            server,
            control,
            port,
        }
    }

    fn open(&self, name: &str) {
        touch(&self.dir.join("gate"), name);
    }
}

#[test]
fn an_old_worker_started_after_its_successor_leaves_it_the_slot() {
    // Generation 1's worker 1 and generation 2's worker 2 wait at import.
    let mut app = Gated::start(&["hold-1-1", "hold-2-2"], 60);
    let (control, server) = (&app.control, &app.server);
    let wait = |what: &dyn Fn(&AppStatus) -> bool| {
        wait_app(control, "app", RELOAD_TIMEOUT, what)
            .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", server.log()))
    };

    server.signal(Signal::SIGHUP).expect("SIGHUP the master");
    // Generation 2's worker 1 serves; its worker 2 is held back.
    wait(&|a| worker(a, 1, 2).is_some_and(|w| w.state != "starting"));
    // Only now does generation 1's worker 1 finish starting.
    let old = wait(&|a| worker(a, 1, 1).is_some_and(|w| w.pid > 0));
    let old_pid = worker(&old, 1, 1).map_or(0, |w| w.pid);
    app.open("go-1-1");
    wait_until("the late old worker's threads", DEFAULT_TIMEOUT, || {
        threaded(old_pid).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", server.log()));
    app.open("go-2-2");

    // The new generation takes over long before reload-mercy (60 s).
    let taken = wait_app(&app.control, "app", Duration::from_secs(30), |a| {
        a.state == "running" && a.generation == 2
    });
    let log = app.server.log();
    taken.unwrap_or_else(|e| panic!("{e:#}\nlog:\n{log}"));
    assert!(log.contains("generation 2 ready in"), "{log}");
    app.server.stop().expect("uwsgid stops");
}

#[test]
fn a_failed_reload_gives_the_old_workers_their_slots_back() {
    // Generation 2's worker 2 never imports within reload-mercy; its
    // worker 1 does, and takes slot 1 from generation 1's worker 1.
    let Gated {
        dir: _dir,
        control,
        mut server,
        port,
    } = Gated::start(&["hold-2-2"], 3);
    let status = |what: &dyn Fn(&AppStatus) -> bool, log: &str| {
        wait_app(&control, "app", RELOAD_TIMEOUT, what)
            .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{log}"))
    };
    status(&|a| a.state == "running", "");

    server.signal(Signal::SIGHUP).expect("SIGHUP the master");
    for line in ["reload failed:", "every worker of generation 2 is gone"] {
        wait_for_log(&mut server, line, RELOAD_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    }

    // Both old workers count their requests again.
    let counted = |a: &AppStatus| -> u64 {
        a.workers
            .iter()
            .filter(|w| w.generation == 1)
            .map(|w| w.requests)
            .sum()
    };
    let before = counted(&status(&|_| true, ""));
    let sent = 20;
    for _ in 0..sent {
        let response = curl(port, "/").run().expect("curl runs");
        assert_eq!(response.status, 200, "{}", server.log());
    }
    let log = server.log();
    status(&|a| counted(a) == before + sent, &log);
    server.stop().expect("uwsgid stops");
}
