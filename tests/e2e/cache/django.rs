//! Django's cache framework on a uwsgid cache through django-uwsgi-cache
//! (`uwsgicache.UWSGICache`, in the test requirements): what one worker
//! sets another reads, `add` refuses an existing key, a timeout of 0
//! expires at once, `delete` and `clear` work.

use std::ffi::OsString;

use uwsgid_e2e::{HttpApp, django_project, venv, wait_until};

use super::SLOW;

fn django_with_cache() -> HttpApp {
    let project = django_project().expect("the test Django project");
    let args: Vec<OsString> = vec![
        "--chdir".into(),
        project.into_os_string(),
        "--module".into(),
        "testsite.wsgi:application".into(),
        "--home".into(),
        venv().expect("the test venv").into_os_string(),
        "--processes".into(),
        "3".into(),
        "--cache2".into(),
        "name=djcache,items=100,blocksize=4096".into(),
        "--env".into(),
        "UWSGID_TEST_CACHE=djcache".into(),
    ];
    HttpApp::start_args(&args).expect("uwsgid serves the Django project")
}

fn op(app: &HttpApp, query: &str) -> serde_json::Value {
    let response = app
        .curl(&format!("/cache/?{query}"))
        .run()
        .expect("curl runs");
    assert_eq!(
        response.status,
        200,
        "{query}: {}\n{}",
        response.text(),
        app.log()
    );
    response.json().expect("JSON")
}

#[test]
fn djangos_cache_framework_shares_one_cache_across_workers() {
    let app = django_with_cache();
    let set = op(&app, "op=set&k=greeting&v=hello");
    assert_eq!(
        set["backend"], "uwsgicache.UWSGICache",
        "no LocMemCache fallback"
    );
    assert_eq!(set["value"], serde_json::json!({"v": "hello"}));
    let writer = set["pid"].clone();
    // Another worker reads what the first one wrote.
    let other = wait_until("another worker answers", SLOW, || {
        let got = op(&app, "op=get&k=greeting");
        (got["pid"] != writer).then_some(got)
    })
    .expect("several workers serve");
    assert_eq!(other["value"], serde_json::json!({"v": "hello"}));
    assert_eq!(op(&app, "op=add&k=greeting&v=again")["result"], false);
    assert_eq!(op(&app, "op=add&k=fresh&v=new")["result"], true);
    // timeout=0: set and expired at once, as Django asks.
    assert_eq!(
        op(&app, "op=set&k=gone&v=x&t=0")["value"],
        serde_json::Value::Null
    );
    assert_eq!(
        op(&app, "op=delete&k=fresh")["value"],
        serde_json::Value::Null
    );
    assert_eq!(
        op(&app, "op=clear&k=greeting")["value"],
        serde_json::Value::Null
    );
}
