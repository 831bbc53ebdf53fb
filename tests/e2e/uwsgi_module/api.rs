//! What the module answers in a worker: the process facts, `workers()`,
//! the options as sentry-sdk reads them, the user locks (across workers),
//! log variables and `log_this_request`, `uwsgi.log`, the clear error of
//! the functions and decorators uwsgid does not support yet, and a
//! `uwsgidecorators.py` on the path taking precedence.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use uwsgid_e2e::{
    Python, ServerBuilder, TestDir, curl, free_port, venv, wait_for_log, wait_http_ready,
};

use super::{SLOW, get_json, start};

#[test]
fn process_facts_and_workers() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let server = start(
        &dir,
        port,
        "processes = 2\nthreads = 2\nbuffer-size = 8192\nenable-threads = true\nlazy-apps = false\n",
    );
    let first = get_json(port, "/facts");
    let tree: BTreeSet<i64> = server
        .descendants()
        .iter()
        .map(|p| i64::from(p.pid))
        .collect();
    assert!(
        [1, 2].contains(&first["worker_id"].as_i64().unwrap_or(0)),
        "{first}"
    );
    assert_eq!(first["masterpid"], server.pid());
    assert_eq!(first["numproc"], 2);
    assert_eq!(first["mule_id"], 0);
    assert_eq!(first["version"], "b'2.0.31'");
    assert_eq!(first["version_info"], "(2, 0, 31, 0, b'')");
    assert_eq!(first["hostname_is_bytes"], true);
    assert_eq!(first["buffer_size"], 8192);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let started = first["started_on"].as_u64().unwrap_or(0);
    assert!(
        started <= now && now - started < 600,
        "started_on {started}, now {now}"
    );
    // uWSGI 2.0.31's keys of a worker's dict.
    assert_eq!(
        first["worker_keys"],
        json!([
            "apps",
            "avg_rt",
            "delta_requests",
            "exceptions",
            "id",
            "last_spawn",
            "pid",
            "requests",
            "respawn_count",
            "rss",
            "running_time",
            "signals",
            "status",
            "tx",
            "vsz"
        ])
    );
    let workers = first["workers"].as_array().cloned().unwrap_or_default();
    assert_eq!(workers.len(), 2, "{first}");
    for (i, w) in workers.iter().enumerate() {
        assert_eq!(w["id"], i + 1);
        assert!(
            tree.contains(&w["pid"].as_i64().unwrap_or(0)),
            "{w} not in {tree:?}"
        );
        assert_eq!(w["apps"], 1);
        // The worker answering is in a request: busy.
        if w["pid"] == first["pid"] {
            assert_eq!(w["status"], "b'busy'", "{w}");
        }
    }
    // What sentry-sdk reads; the values uWSGI 2.0.31 gives for these ini
    // lines.
    assert_eq!(first["enable-threads"], "b'true'");
    assert_eq!(first["lazy-apps"], "b'false'");
    assert_eq!(first["master"], "b'true'");
    assert_eq!(first["opt_keys_are_str"], true);
    // Finished requests are counted.
    let later = get_json(port, "/facts");
    assert!(
        later["total_requests"].as_u64() > first["total_requests"].as_u64(),
        "{first} then {later}"
    );
}

#[test]
fn sentry_style_reads_with_lazy_apps() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let _server = start(&dir, port, "lazy-apps = true\nenable-threads = true\n");
    let facts = get_json(port, "/facts");
    // uwsgi.opt.get("enable-threads") / .get("lazy-apps"): uWSGI 2.0.31
    // gives the ini's text as bytes.
    assert_eq!(facts["enable-threads"], "b'true'");
    assert_eq!(facts["lazy-apps"], "b'true'");
    assert_eq!(facts["worker_id"], 1);
}

#[test]
fn user_locks_exclude_across_workers() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let _server = start(&dir, port, "processes = 2\nthreads = 2\nlocks = 2\n");
    let locks = get_json(port, "/locks");
    assert_eq!(
        locks,
        json!({"before": false, "held": true, "after": false, "lock3": "Invalid lock number"})
    );
    let counter = dir.write("counter", "0").expect("write the counter");
    let result = Python::script(include_str!("increment_client.py"))
        .arg(port.to_string())
        .arg(&counter)
        .arg("40")
        .arg("8")
        .timeout(SLOW)
        .run_json()
        .expect("the client runs");
    assert_eq!(result["errors"], json!([]), "{result}");
    assert_eq!(
        result["pids"].as_array().map(Vec::len),
        Some(2),
        "both workers served: {result}"
    );
    let count = std::fs::read_to_string(&counter).expect("read the counter");
    assert_eq!(count, "40", "no increment lost under @lock");
}

#[test]
fn unsupported_features_name_themselves() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let _server = start(&dir, port, "");
    assert_eq!(
        get_json(port, "/unsupported"),
        json!({
            "register_rpc": "uwsgi.register_rpc is not supported by uwsgid",
            "is_not_implemented": true,
            "rpc": "uwsgidecorators.rpc is not supported by uwsgid",
            "erlang": "uwsgidecorators.erlang is not supported by uwsgid",
        })
    );
}

#[test]
fn logvars_feed_log_format_and_log_this_request_overrides_disable_logging() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let mut server = start(
        &dir,
        port,
        "processes = 1\ndisable-logging = true\n\
         log-format = LV %(method) %(uri) who=%(who) var=%(var.REQUEST_METHOD) none=%(nobody)\n",
    );
    let quiet = get_json(port, "/logvar?alice");
    assert_eq!(quiet, json!({"get": "b'alice'", "unset": "None"}));
    get_json(port, "/logvar?force-bob");
    wait_for_log(
        &mut server,
        "LV GET /logvar?force-bob who=force-bob var=GET none=-\n",
        SLOW,
    )
    .expect("the forced request is logged with its logvar");
    assert!(!server.log().contains("who=alice"), "{}", server.log());
    assert_eq!(get_json(port, "/log"), json!({"log": true}));
    wait_for_log(&mut server, "a line from the app\n", SLOW).expect("uwsgi.log writes a line");
}

#[test]
fn a_uwsgidecorators_file_on_the_path_wins_over_the_embedded_one() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    dir.write("uwsgidecorators.py", "ORIGIN = 'vendored'\n")
        .expect("write the vendored copy");
    let app = dir
        .write(
            "app.py",
            "import uwsgidecorators\n\
             def application(environ, start_response):\n\
             \x20   start_response('200 OK', [('Content-Type', 'text/plain')])\n\
             \x20   return [getattr(uwsgidecorators, 'ORIGIN', 'embedded').encode()]\n",
        )
        .expect("write the app");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .arg("--http-socket")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--home")
        .arg(venv().expect("the test venv"))
        .arg("--wsgi-file")
        .arg(&app)
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");
    let text = curl(port, "/").run().expect("curl runs").text();
    assert_eq!(text, "vendored");
}
