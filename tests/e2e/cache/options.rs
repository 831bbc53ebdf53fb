//! The cache options: the old `cache = N` with `cache-blocksize`, the
//! `cache2` keys and options uwsgid refuses by name, at `--check-config`
//! and at startup alike.

use std::process::{Command, Stdio};
use std::time::Duration;

use uwsgid_e2e::{TestDir, run_with_timeout, uwsgid_bin};

use super::CacheApp;

#[test]
fn the_old_cache_option_makes_the_default_cache() {
    let app = CacheApp::start("processes = 1\ncache = 3\ncache-blocksize = 200\n");
    let long = "x".repeat(200);
    assert_eq!(app.json(&format!("/set?k=a&v={long}"))["ok"], true);
    assert_eq!(
        app.json(&format!("/set?k=b&v={long}x"))["ok"],
        serde_json::Value::Null
    );
    assert_eq!(app.json("/set?k=b&v=1")["ok"], true);
    // cache = 3 holds 2, as uWSGI's.
    assert_eq!(app.json("/set?k=c&v=1")["ok"], serde_json::Value::Null);
    assert_eq!(app.json("/keys")["keys"], serde_json::json!(["a", "b"]));
    // The old cache is named "default".
    assert_eq!(app.json("/get?k=b&cache=default")["value"], "1");
}

/// `uwsgid --check-config app.ini` of `ini`, then `uwsgid --ini app.ini`:
/// both fail with `message`.
fn refused(ini: &str, message: &str) {
    let dir = TestDir::new().expect("a test dir");
    dir.write(
        "app.ini",
        format!("[uwsgi]\nhttp-socket = 127.0.0.1:0\n{ini}\n"),
    )
    .expect("write app.ini");
    for args in [
        &["--check-config", "app.ini"][..],
        &["--ini", "app.ini"][..],
    ] {
        let mut cmd = Command::new(uwsgid_bin().expect("uwsgid is built"));
        cmd.args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = run_with_timeout(cmd, Duration::from_secs(30)).expect("uwsgid runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(out.status.code(), Some(0), "{args:?}: {text}");
        assert!(text.contains(message), "{args:?}: {text}");
    }
}

#[test]
fn what_is_not_implemented_is_refused_by_name() {
    refused(
        "cache2 = name=c,items=10,store=/tmp/c.cache",
        "cache2 key `store`: a cache persisted to a file (store) is not implemented",
    );
    refused(
        "cache2 = name=c,items=10,blocks=5",
        "invalid number of cache blocks for \"c\", must be higher than max_items (10)",
    );
    refused(
        "cache2 = name=c,items=10,nodes=127.0.0.1:4242",
        "cache2 key `nodes`",
    );
    refused(
        "cache2 = name=c",
        "you have to specify the maximum number of cache items",
    );
    refused("cache2 = items=3", "you have to specify a cache name");
    refused(
        "cache2 = name=c,items=3\ncache2 = name=c,items=4",
        "a cache named \"c\" already exists",
    );
    refused("cache = 10\ncache-store = /tmp/c.cache", "cache-store");
    refused(
        "cache = 10\ncache-udp-node = 127.0.0.1:4242",
        "cache-udp-node",
    );
}

#[test]
fn add_cache_item_and_load_file_in_cache_fill_the_caches_at_start() {
    let dir = TestDir::new().expect("a test dir");
    let file = dir.write("motd.txt", "welcome").expect("write the file");
    let page = dir
        .write("page.html", "<p>hello</p>\n".repeat(100))
        .expect("write the file");
    let app = CacheApp::start(&format!(
        "processes = 1\ncache2 = name=one,items=10\ncache2 = name=two,items=10\n\
         add-cache-item = everywhere=1\nadd-cache-item = two only=2\n\
         add-cache-item = broken\nload-file-in-cache = one {}\n\
         load-file-in-cache-gzip = two {}\nload-file-in-cache-gzip = /nonexistent.css\n",
        file.display(),
        page.display()
    ));
    let get =
        |key: &str, cache: &str| app.json(&format!("/get?k={key}&cache={cache}"))["value"].clone();
    assert_eq!(get("everywhere", "one"), "1");
    assert_eq!(get("everywhere", "two"), "1");
    assert_eq!(get("only", "two"), "2");
    assert_eq!(get("only", "one"), serde_json::Value::Null);
    assert_eq!(get(&file.display().to_string(), "one"), "welcome");
    // uWSGI 2.0.31 stores the gzip member under the path, as given.
    let page_key = page.display().to_string();
    let gunzipped = app.json(&format!("/gunzip?k={page_key}&cache=two"))["value"].clone();
    assert_eq!(gunzipped, "<p>hello</p>\n".repeat(100));
    assert_eq!(get(&page_key, "one"), serde_json::Value::Null);
    let log = app.server.log();
    for line in [
        "[cache] stored \"everywhere\" in \"one\"",
        "[cache] stored \"only\" in \"two\"",
        "[cache] unable to store item broken",
        &format!("[cache-gzip] stored \"{page_key}\" in \"two\""),
        "[cache-error] unable to read file \"/nonexistent.css\"",
    ] {
        assert!(log.contains(line), "{line}\n{log}");
    }
}
