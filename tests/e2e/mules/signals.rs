//! uWSGI signals for mules: `muleN`, `farm_NAME`, `mules`, `mule` reach
//! the mules they name; a 1 s timer every mule registers again (each
//! imports the app) fires once a second in each mule, not more; a bare
//! mule without `mule_msg_hook` logs a message; `hook-as-mule` runs in
//! each mule; `mule-harakiri` kills a
//! mule stuck in a handler, which is respawned; `touch-mules-reload`
//! restarts the mules, and signals reach the new ones.

use std::path::Path;
use std::time::{Duration, Instant};

use uwsgid_e2e::{Server, TestDir, free_port, wait_until};

use super::{SLOW, get, markers_dir, start, wait_log};

/// One handled signal: `KIND-MULE-PID-SEQUENCE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Handled {
    kind: String,
    mule: u32,
    pid: i32,
    seq: u64,
}

fn handled(dir: &Path, kind: &str) -> Vec<Handled> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<Handled> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let mut parts = name.splitn(4, '-');
            Some(Handled {
                kind: parts.next()?.to_string(),
                mule: parts.next()?.parse().ok()?,
                pid: parts.next()?.parse().ok()?,
                seq: parts.next()?.parse().ok()?,
            })
        })
        .filter(|h| h.kind == kind)
        .collect();
    found.sort_by_key(|h| h.seq);
    found
}

/// Waits until the markers of `kind` satisfy `done`; returns them.
fn wait_handled(
    server: &Server,
    dir: &Path,
    kind: &str,
    done: impl Fn(&[Handled]) -> bool,
) -> Vec<Handled> {
    wait_until(&format!("{kind} markers"), SLOW, || {
        let found = handled(dir, kind);
        done(&found).then_some(found)
    })
    .unwrap_or_else(|err| {
        panic!(
            "{err}; {kind}: {:?}\nlog:\n{}",
            handled(dir, kind),
            server.log()
        )
    })
}

/// The ticks of `mule` from `pid` (any pid when 0).
fn ticks_of(all: &[Handled], mule: u32, pid: i32) -> usize {
    all.iter()
        .filter(|t| t.mule == mule && (pid == 0 || t.pid == pid))
        .count()
}

#[test]
fn signals_reach_the_mules_they_name() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let touched = dir.join("touched");
    let extra = format!(
        "mules = 2\nfarm = crunch:1\nmule-harakiri = 2\ntouch-mules-reload = {}\n\
         hook-as-mule = print:the as-mule hook ran\n",
        touched.display()
    );
    let server = start(&dir, port, include_str!("signals_app.py"), &extra);
    let marks = markers_dir(&dir);

    // The timer, from the zygote and again from each mule: once a second
    // in each mule. Both mules ticking also says both said hello.
    let before = handled(&marks, "tick");
    let start = Instant::now();
    let ticks = wait_handled(&server, &marks, "tick", |t| {
        ticks_of(t, 1, 0) >= ticks_of(&before, 1, 0) + 5 && ticks_of(t, 2, 0) >= 1
    });
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(3500),
        "5 ticks of a 1 s timer in {elapsed:?}: it fires more than once a second"
    );
    assert!(
        ticks.iter().all(|t| t.mule == 1 || t.mule == 2),
        "{ticks:?}"
    );

    // hook-as-mule, in each mule.
    let ran = |log: &str| log.matches("the as-mule hook ran\n").count();
    wait_until("the as-mule hook in both mules", SLOW, || {
        (ran(&server.log()) >= 2).then_some(())
    })
    .unwrap_or_else(|err| panic!("{err}\nlog:\n{}", server.log()));

    // Each target.
    get(port, "/raise?17");
    let mule2 = wait_handled(&server, &marks, "mule2", |h| !h.is_empty());
    get(port, "/raise?18");
    let farm = wait_handled(&server, &marks, "farm", |h| !h.is_empty());
    get(port, "/raise?19");
    let each = wait_handled(&server, &marks, "mules", |h| h.len() == 2);
    get(port, "/raise?20");
    let any = wait_handled(&server, &marks, "any", |h| !h.is_empty());
    assert_eq!(mule2.iter().map(|h| h.mule).collect::<Vec<_>>(), [2]);
    assert_eq!(farm.iter().map(|h| h.mule).collect::<Vec<_>>(), [1]);
    let mut both: Vec<u32> = each.iter().map(|h| h.mule).collect();
    both.sort();
    assert_eq!(both, [1, 2]);
    assert_eq!(any.len(), 1, "{any:?}");

    // A message to a bare mule without mule_msg_hook.
    assert_eq!(get(port, "/raw?12345"), "True");
    wait_log(&server, "*** mule 1 received a 5 bytes message ***");

    // mule-harakiri: mule 1 stuck in a handler is killed and respawned.
    get(port, "/raise?21");
    let stuck = wait_handled(&server, &marks, "stuck", |h| !h.is_empty());
    let old = stuck[0].pid;
    wait_log(
        &server,
        &format!("*** HARAKIRI ON MULE 1 HANDLING SIGNAL 21 (pid: {old}) ***"),
    );
    wait_log(
        &server,
        &format!("OOOPS mule 1 (pid: {old}) crippled...trying respawn..."),
    );
    let ticks = wait_handled(&server, &marks, "tick", |t| {
        t.iter().any(|h| h.mule == 1 && h.pid != old)
    });
    let new1 = ticks.iter().rev().find(|h| h.mule == 1).map(|h| h.pid);

    // touch-mules-reload: both mules replaced; signals reach the new ones.
    let old2 = mule2[0].pid;
    std::fs::write(&touched, "now").expect("touch the file");
    wait_log(&server, "has been touched... mules reload !!!");
    wait_handled(&server, &marks, "tick", |t| {
        t.iter().any(|h| h.mule == 2 && h.pid != old2)
            && t.iter()
                .any(|h| h.mule == 1 && Some(h.pid) != new1 && h.pid != old)
    });
    get(port, "/raise?17");
    let again = wait_handled(&server, &marks, "mule2", |h| h.len() == 2);
    assert_eq!(again[1].mule, 2);
    assert_ne!(again[1].pid, old2, "the new mule 2 handled it");
}
