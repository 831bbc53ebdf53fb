//! A forked worker keeps the zygote's objects shared: they are frozen out
//! of the cyclic garbage collector, whose passes would write to (and so
//! copy) every page of the imported app; what a request makes is still
//! collected. A `lazy-apps` worker imports the app itself and freezes
//! nothing.

use serde_json::Value;
use uwsgid_e2e::HttpApp;

fn gc_report(app: &HttpApp) -> Value {
    let response = app.curl("/").run().expect("GET");
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().expect("JSON")
}

#[test]
fn a_forked_worker_freezes_the_imported_objects_and_still_collects_its_own() {
    let app = HttpApp::start("gc_app.py", &["--processes", "2"]).expect("uwsgid serves");
    let report = gc_report(&app);
    let frozen = report["frozen"].as_u64().expect("frozen count");
    assert!(frozen > 1000, "only {frozen} objects frozen: {report}");
    assert_eq!(report["cycle_collected"], true, "{report}");
}

#[test]
fn a_lazy_apps_worker_freezes_nothing() {
    let app =
        HttpApp::start("gc_app.py", &["--processes", "1", "--lazy-apps"]).expect("uwsgid serves");
    let report = gc_report(&app);
    assert_eq!(report["frozen"], 0, "{report}");
    assert_eq!(report["cycle_collected"], true, "{report}");
}
