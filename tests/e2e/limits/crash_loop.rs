//! Runtime crashes: a worker that served and then died (a segfault in a C
//! extension, `os._exit` in a view) is respawned at once and the request it
//! was running is logged with Python's traceback; respawn backoff is kept
//! for workers that cannot start, so one client hitting a crashing URL does
//! not take the site down.

use std::time::Duration;

use uwsgid_e2e::{DEFAULT_TIMEOUT, Python, curl, wait_for_log, wait_until};

use super::*;

const STORM: &str = include_str!("../../fixtures/clients/storm.py");

#[test]
fn a_client_crashing_a_worker_every_200_ms_leaves_the_others_served() {
    let dir = TestDir::new().expect("temp dir");
    let (server, port) = start_http(&dir, "crash_app.py", &["--processes", "4"]);
    let out = Python::script(STORM)
        .arg(port.to_string())
        .arg("/crash")
        .arg("0.2")
        .arg("6")
        .arg("2")
        .timeout(Duration::from_secs(60))
        .run()
        .expect("the storm client");
    let counts: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON counts");
    let ok = counts["ok"].as_u64().expect("ok");
    let failed = counts["failed"].as_u64().expect("failed");
    let crashes = counts["crashes"].as_u64().expect("crashes");
    let log = server.log();
    assert!(crashes >= 20, "only {crashes} crashing requests were sent");
    assert!(
        ok * 100 >= (ok + failed) * 95,
        "{ok} answered, {failed} failed ({:?}) while a client crashed workers:\n{log}",
        counts["errors"]
    );
    assert!(
        !log.contains("respawning too fast"),
        "a runtime crash pushed a worker into backoff:\n{log}"
    );
    assert!(
        log.contains("killed by signal 11 (SIGSEGV) while serving [core 0] 127.0.0.1 - GET /crash"),
        "the crashing request is logged:\n{log}"
    );
    assert!(
        log.contains("Fatal Python error: Segmentation fault")
            && log.contains("in crash_in_c_extension"),
        "faulthandler's traceback is logged:\n{log}"
    );
    // Right after the storm every slot has a live worker again.
    wait_until("four workers answering", DEFAULT_TIMEOUT, || {
        let pids: BTreeSet<String> = (0..16)
            .filter_map(|_| curl(port, "/").run().ok().map(|r| r.text()))
            .collect();
        (pids.len() == 4).then_some(())
    })
    .expect("every worker serves again");
}

#[test]
fn a_worker_that_calls_os_exit_in_a_view_is_respawned_at_once() {
    let dir = TestDir::new().expect("temp dir");
    let (mut server, port) = start_http(&dir, "crash_app.py", &["--processes", "1"]);
    for round in 0..3 {
        assert!(
            curl(port, "/exit").run().is_err(),
            "round {round}: the request is cut"
        );
        let answered = wait_until("the respawned worker", DEFAULT_TIMEOUT, || {
            curl(port, "/").run().ok().filter(|r| r.status == 200)
        });
        answered.expect("the site answers again");
    }
    wait_for_log(
        &mut server,
        "exited with code 3 while serving [core 0] 127.0.0.1 - GET /exit",
        DEFAULT_TIMEOUT,
    )
    .expect("the request is logged");
    assert!(
        !server.log().contains("respawning too fast"),
        "{}",
        server.log()
    );
}
