//! sentry-sdk's check of uWSGI's options (`check_uwsgi_thread_support`,
//! run by `sentry_sdk.init()`): with `enable-threads` it warns of nothing,
//! preforked or `lazy-apps`, because uwsgid's forked workers always run
//! CPython's fork hooks and `uwsgi.opt` says so. Without it, sentry-sdk
//! warns as it does under uWSGI: the check did run.

use uwsgid_e2e::{ServerBuilder, TestDir, curl, free_port, venv, wait_http_ready};

use super::SLOW;

/// The warnings `sentry_sdk.init()` gave in the app under `extra`.
fn warnings(extra: &str) -> Vec<String> {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let app = dir
        .write("sentry_app.py", include_str!("sentry_app.py"))
        .expect("write the app");
    let ini = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\nhome = {}\n\
         processes = 2\n{extra}\n",
        app.display(),
        venv().expect("the test venv").display(),
    );
    dir.write("app.ini", ini).expect("write app.ini");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--ini", "app.ini"])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");
    let response = curl(port, "/").run().expect("curl runs");
    assert_eq!(response.status, 200, "{}", server.log());
    let list = response.json().expect("a JSON answer");
    serde_json::from_value(list).expect("a list of strings")
}

#[test]
fn sentry_sdk_warns_of_nothing_with_enable_threads() {
    assert_eq!(warnings("enable-threads = true"), Vec::<String>::new());
    assert_eq!(
        warnings("enable-threads = true\nlazy-apps = true"),
        Vec::<String>::new()
    );
}

#[test]
fn sentry_sdk_warns_without_threads_as_under_uwsgi() {
    let got = warnings("lazy-apps = true");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("We detected the use of uWSGI without thread support"),
        "{got:?}"
    );
}
