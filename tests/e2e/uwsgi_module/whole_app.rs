//! Issue 15's "done when": one app imports `uwsgi` and `uwsgidecorators`
//! and uses them together, as a project does: a `@postfork` marker per
//! worker (and per mule and spooler, as uWSGI runs the hook there too),
//! a `@timer` that fires once a second on one process, an every-minute
//! `@cron`, a `cache2` both workers write and read, a `@spool` task that
//! runs once, a `@mulefunc` call that runs in the mule, and
//! `uwsgi.reload()` from a request, after which new workers serve and the
//! timer goes on.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use uwsgid_e2e::{ServerBuilder, TestDir, curl, free_port, venv, wait_http_ready, wait_until};

use super::{SLOW, markers, markers_dir};

/// The contents of every marker file of `kind`.
fn contents(dir: &Path, kind: &str) -> Vec<String> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    name.starts_with(&format!("{kind}-"))
                        .then(|| Some((name, std::fs::read_to_string(e.path()).ok()?)))?
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter().map(|(_, text)| text).collect()
}

fn get(port: u16, path: &str) -> serde_json::Value {
    let response = curl(port, path).run().expect("curl runs");
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json().expect("a JSON answer")
}

fn wait_for(what: &str, dir: &Path, done: impl Fn() -> bool) {
    wait_until(what, SLOW, || done().then_some(()))
        .unwrap_or_else(|err| panic!("{err}; markers: {:?}", markers(dir)));
}

#[test]
fn the_whole_uwsgi_api_works_together() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let app = dir
        .write("whole_app.py", include_str!("whole_app.py"))
        .expect("write the app");
    let marks = markers_dir(&dir);
    let spool = dir.join("spool");
    std::fs::create_dir(&spool).expect("the spool directory");
    let ini = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\nhome = {}\n\
         env = MARKERS={}\nprocesses = 2\nenable-threads = true\n\
         cache2 = name=shared,items=16\nspooler = {}\nmules = 1\n",
        app.display(),
        venv().expect("the test venv").display(),
        marks.display(),
        spool.display(),
    );
    dir.write("app.ini", ini).expect("write app.ini");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--ini", "app.ini"])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");

    // @postfork: once in each worker (ids 1 and 2), the mule and the
    // spooler (id 0 both; the mule's marker holds its mule id).
    let postforks = || -> Vec<(u32, String)> {
        let mut all: Vec<(u32, String)> = std::fs::read_dir(&marks)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let e = e.ok()?;
                let name = e.file_name().into_string().ok()?;
                let worker = name
                    .strip_prefix("postfork-")?
                    .split('-')
                    .next()?
                    .parse()
                    .ok()?;
                Some((worker, std::fs::read_to_string(e.path()).ok()?))
            })
            .collect();
        all.sort();
        all
    };
    let want = [(0, "0"), (0, "1"), (1, "0"), (2, "0")].map(|(w, t)| (w, t.to_owned()));
    wait_for("a postfork marker in each process", &marks, || {
        postforks() == want
    });

    // cache2: each worker's pid, read by whichever answers.
    let first = markers(&marks);
    wait_for("both workers' pids in the cache", &marks, || {
        let cache = &get(port, "/")["cache"];
        ["worker1", "worker2"]
            .iter()
            .all(|k| cache[k].as_str().is_some_and(|v| !v.is_empty()))
    });
    let cache = get(port, "/")["cache"].clone();
    let worker_pids: BTreeSet<i32> = first
        .iter()
        .filter(|m| m.kind == "postfork" && m.worker > 0)
        .map(|m| m.pid)
        .collect();
    let cached: BTreeSet<i32> = ["worker1", "worker2"]
        .iter()
        .filter_map(|k| cache[k].as_str()?.parse().ok())
        .collect();
    assert_eq!(cached, worker_pids, "{cache}");

    // @timer(1): once a second on one process, never doubled by the
    // mule's and the spooler's own import of the app.
    let started = Instant::now();
    let before = contents(&marks, "timer").len();
    wait_for("five more timer fires", &marks, || {
        contents(&marks, "timer").len() >= before + 5
    });
    let fired = contents(&marks, "timer").len() - before;
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        (fired as f64) <= seconds + 2.0,
        "{fired} fires in {seconds:.1} s: a timer fired twice"
    );

    // @spool: the task runs once, in the spooler, and its file is gone.
    get(port, "/spool");
    wait_for("the spooled task", &marks, || {
        !contents(&marks, "spooled").is_empty()
    });
    wait_for("the task file to be removed", &marks, || {
        std::fs::read_dir(&spool).is_ok_and(|mut d| d.next().is_none())
    });
    assert_eq!(
        contents(&marks, "spooled"),
        ["alice@example.com welcome"],
        "the task ran once"
    );
    let spooled = markers(&marks);
    assert!(
        spooled.iter().any(|m| m.kind == "spooled" && m.worker == 0),
        "in the spooler: {spooled:?}"
    );

    // @mulefunc: runs in mule 1.
    get(port, "/mule");
    wait_for("the mule's marker", &marks, || {
        !contents(&marks, "mule").is_empty()
    });
    assert_eq!(contents(&marks, "mule"), ["hello 1"]);

    // @cron(-1, …): every minute.
    wait_for("the every-minute cron", &marks, || {
        !contents(&marks, "cron").is_empty()
    });

    // uwsgi.reload() from a request: new workers serve, the timer goes on.
    get(port, "/reload");
    wait_for("two new workers after uwsgi.reload()", &marks, || {
        let now: BTreeSet<i32> = markers(&marks)
            .iter()
            .filter(|m| m.kind == "postfork" && m.worker > 0)
            .map(|m| m.pid)
            .collect();
        now.difference(&worker_pids).count() >= 2
    });
    let after_reload = contents(&marks, "timer").len();
    wait_for("the timer after the reload", &marks, || {
        contents(&marks, "timer").len() >= after_reload + 2
    });
    let answer = get(port, "/");
    let pid = answer["pid"].as_i64().unwrap_or_default() as i32;
    assert!(
        !worker_pids.contains(&pid),
        "an old worker answered: {answer}"
    );

    server.stop().expect("uwsgid stops");
}
