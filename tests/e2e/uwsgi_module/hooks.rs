//! `@postfork` (`uwsgi.post_fork_hook`) in every worker after each fork —
//! first start, a respawn after a kill, a reload asked by `uwsgi.reload()`
//! — with and without `lazy-apps`, and `uwsgi.atexit` in every worker that
//! ends gracefully.

use std::collections::BTreeSet;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uwsgid_e2e::{TestDir, free_port, wait_for_log};

use super::{SLOW, get_json, markers, of_kind, start, wait_markers};

#[test]
fn postfork_runs_after_every_fork_and_atexit_on_graceful_exit() {
    fork_hooks(false);
}

#[test]
fn postfork_runs_in_lazy_apps_workers_too() {
    fork_hooks(true);
}

fn worker_ids(found: &BTreeSet<(u32, i32)>) -> BTreeSet<u32> {
    found.iter().map(|(w, _)| *w).collect()
}

fn fork_hooks(lazy: bool) {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let mut server = start(
        &dir,
        port,
        &format!("processes = 2\nlocks = 2\nlazy-apps = {lazy}\n"),
    );
    let marks = dir.join("markers");
    let both = BTreeSet::from([1, 2]);

    // First start: one postfork per worker, each in a process of the tree.
    let first = wait_markers(&marks, "postfork", "a postfork marker per worker", |m| {
        m.len() == 2 && worker_ids(m) == both
    });
    let tree: BTreeSet<i32> = server.descendants().iter().map(|p| p.pid).collect();
    assert!(
        first.iter().all(|(_, pid)| tree.contains(pid)),
        "{first:?} not in {tree:?}"
    );
    let imports = of_kind(&markers(&marks), "import");
    if lazy {
        // Each lazy worker imports the app itself, knowing its id, and
        // runs the hooks afterwards.
        assert_eq!(imports, first, "lazy workers import the app");
    } else {
        // The zygote (worker id 0) imports once; its workers fork from it.
        assert_eq!(imports.len(), 1, "{imports:?}");
        assert!(
            imports
                .iter()
                .all(|(w, pid)| *w == 0 && !first.iter().any(|(_, p)| p == pid))
        );
    }

    // A worker killed outright is respawned: its successor runs the hooks.
    let (victim_id, victim) = *first.iter().next().expect("worker 1");
    kill(Pid::from_raw(victim), Signal::SIGKILL).expect("kill worker 1");
    let respawned = wait_markers(&marks, "postfork", "the respawned worker's postfork", |m| {
        m.iter().any(|(w, pid)| *w == victim_id && *pid != victim)
    });
    assert_eq!(respawned.len(), 3, "{respawned:?}");
    assert!(
        !of_kind(&markers(&marks), "atexit").contains(&(victim_id, victim)),
        "a killed worker runs no atexit"
    );

    // uwsgi.reload() from the app: a graceful reload; the new generation
    // runs the hooks, the old workers end gracefully and run atexit.
    let answer = get_json(port, "/reload");
    assert_eq!(answer["reload"], true);
    wait_for_log(&mut server, "generation 2 ready in", SLOW).expect("generation 2 is ready");
    wait_for_log(&mut server, "every worker of generation 1 is gone", SLOW)
        .expect("generation 1 finishes");
    let after = wait_markers(&marks, "postfork", "the new generation's postfork", |m| {
        m.len() == 5
    });
    let new: BTreeSet<(u32, i32)> = after.difference(&respawned).copied().collect();
    assert_eq!(worker_ids(&new), both, "{after:?}");
    let old: BTreeSet<(u32, i32)> = respawned
        .iter()
        .filter(|(_, pid)| *pid != victim)
        .copied()
        .collect();
    wait_markers(&marks, "atexit", "atexit in every old worker", |m| {
        *m == old
    });
    if !lazy {
        let imports = of_kind(&markers(&marks), "import");
        assert_eq!(
            imports.len(),
            2,
            "a new zygote imports the app: {imports:?}"
        );
    }
    // The new generation answers as the module says it should.
    let facts = get_json(port, "/facts");
    assert_eq!(facts["numproc"], 2);
    assert!(
        new.iter()
            .any(|(w, pid)| facts["worker_id"] == *w && facts["pid"] == *pid),
        "{facts} not among {new:?}"
    );
    assert_eq!(facts["lazy-apps"], format!("b'{lazy}'"));
    assert_eq!(get_json(port, "/locks")["held"], true);
}
