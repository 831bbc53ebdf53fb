//! `uwsgictl reload mysite1` under load: every worker of mysite1 replaced,
//! not one request failed, and mysite2's workers untouched.

use super::*;
use crate::reload::{Load, assert_no_failure, pids_of};

#[test]
fn reload_under_load_replaces_one_apps_workers_and_loses_no_request() {
    let site1 = AppSpec::new("mysite1", 2);
    let site2 = AppSpec::new("mysite2", 1);
    let host = Host::start(&[site1.clone(), site2.clone()]);
    let before = host.worker_pids("mysite1");
    let other = host.worker_pids("mysite2");
    assert_eq!(before.len(), 2);

    let load = Load::start(&host.dir, site1.port, 16);
    uwsgid_e2e::wait_until("the load to reach mysite1", APP_TIMEOUT, || {
        let served: u64 = control::status(&host.control())
            .ok()?
            .iter()
            .find(|a| a.name == "mysite1")?
            .requests;
        (served >= 20).then_some(())
    })
    .expect("the load runs");

    let progress = host.ctl_ok(&["reload", "mysite1"]);
    let after = host.wait_running("mysite1");
    let result = load.finish();

    assert!(
        progress.lines().count() >= 2,
        "reload shows its progress:\n{progress}"
    );
    assert!(progress.contains("mysite1"), "{progress}");
    let now: BTreeSet<u32> = after.workers.iter().map(|w| w.pid).collect();
    assert!(
        now.is_disjoint(&before),
        "every worker was replaced: {before:?} -> {now:?}"
    );
    assert_eq!(host.worker_pids("mysite2"), other, "mysite2 untouched");
    assert_no_failure(&result, &host.server.log());
    let seen = pids_of(&result);
    assert!(
        seen.iter().any(|p| now.contains(&(*p as u32))),
        "the new workers served: {seen:?} vs {now:?}"
    );
}
