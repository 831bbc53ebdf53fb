//! One cache for every worker: concurrent increments from four workers
//! lose nothing; the contents outlive a worker's death and a graceful
//! reload; expired items go, and the sweeper frees them unread, as
//! `uwsgictl status` shows.

use std::collections::BTreeSet;
use std::time::Duration;

use nix::sys::signal::Signal;
use uwsgid_e2e::{Python, control, wait_until};

use super::{CacheApp, SLOW};

/// `n` GETs of `/inc` from 8 client threads.
fn increment_concurrently(port: u16, n: usize) -> BTreeSet<i64> {
    let out = Python::script(format!(
        r#"
import http.client, json, threading
pids = set()
lock = threading.Lock()
def run(count):
    c = http.client.HTTPConnection("127.0.0.1", {port}, timeout=60)
    for _ in range(count):
        c.request("GET", "/inc", headers={{"Connection": "close"}})
        r = c.getresponse()
        body = json.loads(r.read())
        assert body["ok"] is True, body
        with lock:
            pids.add(body["pid"])
        c.close()
threads = [threading.Thread(target=run, args=({n} // 8,)) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(sorted(pids)))
"#
    ))
    .timeout(SLOW)
    .run_json()
    .expect("the clients run");
    out.as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_i64)
        .collect()
}

#[test]
fn concurrent_increments_from_every_worker_lose_nothing() {
    let app = CacheApp::start(
        "processes = 4\nthreads = 2\ncache2 = name=counters,items=10,blocksize=64\n",
    );
    let pids = increment_concurrently(app.port, 800);
    assert!(pids.len() >= 2, "several workers served: {pids:?}");
    assert_eq!(app.json("/num")["num"], 800);
}

/// The pid of the worker answering (processes = 1).
fn worker_pid(app: &CacheApp) -> i64 {
    app.json("/get?k=x")["pid"].as_i64().unwrap_or(0)
}

fn kept_across_death_and_reload(lazy: bool) {
    let app = CacheApp::start(&format!(
        "processes = 1\nlazy-apps = {lazy}\ncache = 20\ncache-blocksize = 256\n"
    ));
    assert_eq!(app.json("/set?k=kept&v=across")["ok"], true);
    let first = worker_pid(&app);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(first as i32), Signal::SIGKILL)
        .expect("kill the worker");
    let second = wait_until("a new worker answers", SLOW, || {
        let pid = curl_pid(&app)?;
        (pid != first).then_some(pid)
    })
    .expect("the worker is respawned");
    assert_eq!(app.get("kept"), "across", "after the respawn");
    app.server
        .signal(Signal::SIGHUP)
        .expect("SIGHUP the master");
    wait_until("a worker of the new generation answers", SLOW, || {
        let pid = curl_pid(&app)?;
        (pid != second).then_some(pid)
    })
    .expect("the app reloads");
    assert_eq!(app.get("kept"), "across", "after the reload");
}

/// The answering worker's pid, or None while none answers.
fn curl_pid(app: &CacheApp) -> Option<i64> {
    let r = uwsgid_e2e::curl(app.port, "/get?k=x").run().ok()?;
    (r.status == 200).then(|| r.json().ok()?["pid"].as_i64())?
}

#[test]
fn the_contents_outlive_a_worker_and_a_reload() {
    kept_across_death_and_reload(false);
}

#[test]
fn the_contents_outlive_a_lazy_worker_and_a_reload() {
    kept_across_death_and_reload(true);
}

#[test]
fn expired_items_go_and_the_sweeper_frees_them_unread() {
    let stats_port = uwsgid_e2e::free_port().expect("a free port");
    let app = CacheApp::start(&format!(
        "processes = 2\ncache2 = name=sessions,items=10,blocksize=128\ncache-expire-freq = 1\n\
         cache-report-freed-items = true\nstats = 127.0.0.1:{stats_port}\n"
    ));
    for key in ["a", "b", "c"] {
        assert_eq!(app.json(&format!("/set?k={key}&v=v&e=1"))["ok"], true);
    }
    assert_eq!(app.json("/set?k=forever&v=v")["ok"], true);
    let status = control::wait_app(&app.socket(), "app", SLOW, |a| !a.caches.is_empty())
        .expect("the status");
    let cache = &status.caches[0];
    assert_eq!(cache.name, "sessions");
    assert_eq!(cache.max_items, 9, "items=10 holds 9, as in uWSGI");
    assert_eq!(cache.blocksize, 128);
    assert!(cache.bytes >= 10 * 128, "{cache:?}");
    assert!(cache.items <= 4, "{cache:?}");
    // Nobody reads them: the sweeper removes the three that expire.
    control::wait_app(&app.socket(), "app", Duration::from_secs(30), |a| {
        a.caches.first().is_some_and(|c| c.items == 1)
    })
    .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", app.server.log()));
    assert!(
        app.server.log().contains("items for cache \"sessions\""),
        "{}",
        app.server.log()
    );
    assert_eq!(app.get("a"), serde_json::Value::Null);
    assert_eq!(app.get("forever"), "v");
    assert_eq!(app.json("/keys")["keys"], serde_json::json!(["forever"]));
    // `uwsgictl status` shows it.
    let out = uwsgid_e2e::uwsgictl(&["--socket", app.socket().to_str().expect("utf-8"), "status"])
        .expect("uwsgictl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("sessions"))
        .unwrap_or_else(|| panic!("no cache row in:\n{text}"));
    assert!(row.contains("1/9"), "{row}");
    // The stats server lists it with uWSGI's keys.
    let stats = read_stats(stats_port);
    let cache = &stats["caches"][0];
    assert_eq!(cache["name"], "sessions", "{stats}");
    assert_eq!(cache["max_items"], 10);
    assert_eq!(cache["blocksize"], 128);
    assert_eq!(cache["items"], 1);
    assert_eq!(cache["hash"], "djb33x");
}

/// The stats server's JSON.
fn read_stats(port: u16) -> serde_json::Value {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(SLOW))
        .expect("set a read timeout");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read the stats");
    serde_json::from_str(&text).expect("stats JSON")
}

#[test]
fn a_reload_keeps_the_caches_even_when_their_options_changed() {
    let mut app = CacheApp::start("processes = 1\ncache2 = name=c,items=10\n");
    assert_eq!(app.json("/set?k=kept&v=yes")["ok"], true);
    app.rewrite("processes = 1\ncache2 = name=c,items=50\n");
    app.server
        .signal(Signal::SIGHUP)
        .expect("SIGHUP the master");
    uwsgid_e2e::wait_for_log(
        &mut app.server,
        "reload: the caches (cache2, cache and their options) cannot change without a restart",
        SLOW,
    )
    .expect("the reload says the caches are kept");
    let status = control::wait_app(&app.socket(), "app", SLOW, |a| {
        a.state == "running" && a.generation > 1
    })
    .expect("the reload completes");
    assert_eq!(status.caches[0].max_items, 9, "the old size is kept");
    assert_eq!(app.get("kept"), "yes");
}
