//! Static files over `http-socket`, with curl.

use std::time::{Duration, SystemTime};

use super::{Site, assert_app, big_body, map};
use uwsgid_e2e::{DEFAULT_TIMEOUT, wait_until};

/// uWSGI 2.0.31 answers `/s/a.txt` with exactly these headers, in this
/// order: `Content-Type`, `Content-Length`, `Last-Modified` (no `Expires`
/// without a rule). The HTTP front adds its `Date` to every answer.
#[test]
fn a_file_with_its_type_length_and_date_and_a_log_line() {
    let site = Site::start(&[]);
    let r = site.get("/s/a.txt");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "hello static\n");
    assert_eq!(
        names(&r),
        ["content-type", "content-length", "last-modified"]
    );
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("content-length"), Some("13"));
    let css = site.get("/s/s.css");
    assert_eq!(css.header("content-type"), Some("text/css"));
    // One request-log line per static answer, as uWSGI writes one.
    let logged = wait_until("the request log line", DEFAULT_TIMEOUT, || {
        let log = site.app.log();
        log.contains("GET /s/s.css => generated 6 bytes")
            .then_some(log)
    });
    let log = logged.expect("logged");
    assert!(log.contains("GET /s/a.txt => generated 13 bytes"), "{log}");
    // No app served it: uWSGI's `app: -1|req: -1/N`.
    assert!(log.contains("|app: -1|req: -1/"), "{log}");
}

#[test]
fn a_large_file_comes_whole() {
    let site = Site::start(&[]);
    let r = site.get("/s/big.bin");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some(&*big_body().len().to_string())
    );
    assert!(r.body == big_body(), "the body is the file");
}

/// The header names of an answer, but the HTTP front's own `Date`.
fn names(r: &uwsgid_e2e::Response) -> Vec<&str> {
    r.headers
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "date")
        .collect()
}

/// uWSGI 2.0.31 answers a 304 with no header at all.
#[test]
fn if_modified_since_gives_304_and_head_no_body() {
    let site = Site::start(&[]);
    let first = site.get("/s/a.txt");
    let date = first.header("last-modified").expect("Last-Modified");
    let r = site
        .app
        .curl("/s/a.txt")
        .header("If-Modified-Since", date)
        .run()
        .expect("curl");
    assert_eq!(r.status, 304);
    assert!(names(&r).is_empty() && r.body.is_empty(), "{:?}", r.headers);
    let old = site
        .app
        .curl("/s/a.txt")
        .header("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")
        .run()
        .expect("curl");
    assert_eq!(old.status, 200);
    let head = site.app.curl("/s/a.txt").head().run().expect("curl");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("13"));
    // That no body follows a HEAD answer is checked on a keep-alive
    // connection (`keep_alive.rs`): curl -I writes the head as its output.
}

/// uWSGI 2.0.31 without `honour-range` answers a Range request with the
/// whole file (200); with it: 206 and `Content-Range`, the first range of
/// a list only, 416 with `Content-Range: bytes */SIZE` past the end.
#[test]
fn ranges_only_with_honour_range() {
    let site = Site::start(&[]);
    let r = site
        .app
        .curl("/s/a.txt")
        .header("Range", "bytes=0-3")
        .run()
        .expect("curl");
    assert_eq!((r.status, r.text().as_str()), (200, "hello static\n"));
    drop(site);

    let site = Site::start(&["--honour-range"]);
    let range = |spec: &str| {
        site.app
            .curl("/s/a.txt")
            .header("Range", spec)
            .run()
            .expect("curl")
    };
    let r = range("bytes=0-3");
    assert_eq!((r.status, r.text().as_str()), (206, "hell"));
    assert_eq!(r.header("content-range"), Some("bytes 0-3/13"));
    assert_eq!(r.header("content-length"), Some("4"));
    let r = range("bytes=1-2,5-6");
    assert_eq!((r.status, r.text().as_str()), (206, "el"));
    let r = range("bytes=-7");
    assert_eq!((r.status, r.text().as_str()), (206, "static\n"));
    assert_eq!(range("bytes=0-").status, 200);
    let r = range("bytes=100-");
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), Some("bytes */13"));
    let big = site
        .app
        .curl("/s/big.bin")
        .header("Range", "bytes=70000-")
        .run()
        .expect("curl");
    assert_eq!(big.status, 206);
    assert!(big.body == big_body()[70_000..], "the tail of the file");
}

/// uWSGI 2.0.31 (with PCRE) adds one `Expires` per kind of rule: REQUEST_URI
/// regex (`static-expires-uri`) now + N, file-name regex
/// (`static-expires`), content type (`static-expires-type`); the `-mtime`
/// variants count from the file's mtime.
#[test]
fn expires_from_the_rules() {
    let site = Site::start(&[
        "--static-expires-uri",
        r"\.css$ 100",
        "--static-expires-type",
        "text/css=300",
        "--static-expires-mtime",
        r"\.txt$ 86400",
    ]);
    let css = site.get("/s/s.css");
    let dates = css.header_all("expires");
    assert_eq!(dates.len(), 2, "{:?}", css.headers);
    let now = SystemTime::now();
    let ahead = |date: &str| {
        let t = httpdate(date);
        t.duration_since(now).unwrap_or_default()
    };
    let (uri, by_type) = (ahead(dates[0]), ahead(dates[1]));
    assert!(
        uri > Duration::from_secs(90) && uri <= Duration::from_secs(101),
        "{dates:?}"
    );
    assert!(by_type > Duration::from_secs(290), "{dates:?}");
    let txt = site.get("/s/a.txt");
    let modified = httpdate(txt.header("last-modified").expect("Last-Modified"));
    let expires = httpdate(txt.header("expires").expect("Expires"));
    assert_eq!(
        expires.duration_since(modified).ok(),
        Some(Duration::from_secs(86_400))
    );
}

/// An RFC 1123 date, through Python (no date crate in the tests).
fn httpdate(date: &str) -> SystemTime {
    let out = uwsgid_e2e::Python::script(
        "import sys, email.utils\nprint(int(email.utils.parsedate_to_datetime(sys.argv[1]).timestamp()))",
    )
    .arg(date)
    .run()
    .expect("python");
    let secs: u64 = out.trim().parse().expect("seconds");
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// uWSGI 2.0.31: a directory serves its `static-index` file (with or
/// without the trailing slash); a directory without one, a missing file
/// and a POST go to the app.
#[test]
fn index_and_what_falls_through_to_the_app() {
    let site = Site::start(&["--static-skip-ext", ".css"]);
    for path in ["/s/dir", "/s/dir/"] {
        let r = site.get(path);
        assert_eq!((r.status, r.text().as_str()), (200, "idx"), "{path}");
        assert_eq!(r.header("content-type"), Some("text/html"));
    }
    assert_app(&site.get("/s/empty"), "a directory without index");
    assert_app(&site.get("/s/nope.txt"), "a missing file");
    assert_app(&site.get("/elsewhere"), "outside the map");
    assert_app(&site.get("/s/s.css"), "static-skip-ext");
    let post = site.app.curl("/s/a.txt").data("x=1").run().expect("curl");
    assert_app(&post, "a POST");
}

/// uWSGI 2.0.31 refuses a file whose real path is outside the map's
/// directory (`..`, `%2e%2e`, a symlink out) with "[uwsgi-fileserve]
/// security error: … is not under … or a safe path" and passes the request
/// on to the app; `static-safe` allows a directory.
#[test]
fn traversal_is_refused_unless_static_safe() {
    let site = Site::start(&[]);
    for path in [
        "/s/../other/secret.txt",
        "/s/%2e%2e/other/secret.txt",
        "/s/%2E%2E/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/s/link.txt",
    ] {
        let r = site.get(path);
        assert_app(&r, path);
    }
    let log = site.app.log();
    assert!(log.contains("[uwsgi-fileserve] security error:"), "{log}");
    drop(site);

    let tree = super::Tree::new();
    let safe = tree.join("other").display().to_string();
    let mut args = tree.args(&["--static-safe"]);
    args.push(safe.into());
    let app = uwsgid_e2e::HttpApp::start_args(&args).expect("uwsgid serves");
    let r = app.curl("/s/link.txt").run().expect("curl");
    assert_eq!((r.status, r.text().as_str()), (200, "secret"));
}

/// uWSGI 2.0.31 tries the maps in configuration order, not the longest
/// prefix first: with `/s=www` before `/s/sub=other/sub`, `/s/sub/x.txt`
/// is `www/sub/x.txt`; a file only the second map has comes from it.
#[test]
fn maps_in_order_check_static_and_map2() {
    let tree = super::Tree::new();
    let mut args = tree.args(&["--static-map"]);
    args.push(map("/s/sub", &tree.join("other/sub")));
    args.extend(["--static-map".into(), map("/s", &tree.join("other"))]);
    args.extend(["--check-static".into(), tree.join("other").into_os_string()]);
    args.extend(["--static-map2".into(), map("/www", tree.dir.path())]);
    let app = uwsgid_e2e::HttpApp::start_args(&args).expect("uwsgid serves");
    let get = |path: &str| app.curl(path).run().expect("curl").text();
    assert_eq!(get("/s/sub/x.txt"), "www-sub");
    assert_eq!(get("/s/a.txt"), "hello static\n");
    assert_eq!(get("/s/b.txt"), "onlyother");
    // check-static: the whole PATH_INFO under the root.
    assert_eq!(get("/b.txt"), "onlyother");
    // static-map2: the whole PATH_INFO appended to the directory.
    assert_eq!(get("/www/a.txt"), "hello static\n");
}

/// `mimefile` replaces `/etc/mime.types`: the first line naming an
/// extension gives its type; an extension it does not name has none.
#[test]
fn a_mimefile_gives_the_types() {
    let tree = super::Tree::new();
    let table = tree
        .dir
        .write("my.types", "# mine\ntext/x-mine txt css\ntext/plain txt\n")
        .expect("write");
    let mut args = tree.args(&["--mimefile"]);
    args.push(table.into_os_string());
    let app = uwsgid_e2e::HttpApp::start_args(&args).expect("uwsgid serves");
    let get = |path: &str| app.curl(path).run().expect("curl");
    assert_eq!(get("/s/a.txt").header("content-type"), Some("text/x-mine"));
    assert_eq!(get("/s/s.css").header("content-type"), Some("text/x-mine"));
    let html = get("/s/dir/index.html");
    assert_eq!((html.status, html.header("content-type")), (200, None));
}
