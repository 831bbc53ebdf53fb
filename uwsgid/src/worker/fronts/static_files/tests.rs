//! The lookup and the answer, on a real directory tree.

use std::fs;
use std::path::{Path, PathBuf};

use super::Server;
use crate::config::{ExpiresOn, Expiry, StaticFiles, StaticMap};
use crate::protocol::request::RequestHead;

struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// `www/{a.txt,s.css,dir/index.html,empty/,link.txt -> ../other/secret.txt}`,
/// `other/{a.txt,b.txt,secret.txt}`, `mime.types`.
fn tree() -> Tree {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canonical");
    let w = |p: &str, body: &str| {
        let path = root.join(p);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, body).expect("write");
    };
    w("www/a.txt", "hello static\n");
    w("www/s.css", "body{}");
    w("www/dir/index.html", "idx");
    w("other/a.txt", "second");
    w("other/b.txt", "onlyother");
    w("other/secret.txt", "secret");
    w(
        "mime.types",
        "text/plain txt\ntext/css css\ntext/html html\n",
    );
    fs::create_dir(root.join("www/empty")).expect("mkdir");
    std::os::unix::fs::symlink(root.join("other/secret.txt"), root.join("www/link.txt"))
        .expect("symlink");
    Tree { _dir: dir, root }
}

fn map(prefix: &str, dir: &Path) -> StaticMap {
    StaticMap {
        prefix: prefix.to_owned(),
        dir: dir.to_owned(),
    }
}

fn config(t: &Tree) -> StaticFiles {
    StaticFiles {
        maps: vec![
            map("/s", &t.root.join("www")),
            map("/s", &t.root.join("other")),
        ],
        index: vec!["index.html".to_owned()],
        mime_files: vec![t.root.join("mime.types")],
        ..StaticFiles::default()
    }
}

fn request(method: &str, path: &str, extra: &[(&'static str, &str)]) -> RequestHead {
    let mut head = RequestHead::default();
    head.set("REQUEST_METHOD", method.to_owned());
    head.set("PATH_INFO", path.to_owned());
    head.set("REQUEST_URI", path.to_owned());
    for (k, v) in extra {
        head.set(k, (*v).to_owned());
    }
    head
}

fn found(server: &Server, method: &str, path: &str) -> Option<PathBuf> {
    server.find(&request(method, path, &[]), 0).map(|f| f.real)
}

#[test]
fn maps_are_tried_in_order_and_a_miss_moves_on() {
    let t = tree();
    let s = Server::new(&config(&t));
    // Both maps have a.txt: the first map's, as uWSGI (pinned in
    // tests/e2e/static_files).
    assert_eq!(found(&s, "GET", "/s/a.txt"), Some(t.root.join("www/a.txt")));
    assert_eq!(
        found(&s, "GET", "/s/b.txt"),
        Some(t.root.join("other/b.txt"))
    );
    assert_eq!(found(&s, "GET", "/s/nope"), None);
    assert_eq!(found(&s, "GET", "/other/a.txt"), None);
}

#[test]
fn index_methods_and_skipped_extensions() {
    let t = tree();
    let mut cfg = config(&t);
    cfg.skip_ext = vec![".css".to_owned()];
    let s = Server::new(&cfg);
    let index = Some(t.root.join("www/dir/index.html"));
    assert_eq!(found(&s, "GET", "/s/dir"), index);
    assert_eq!(found(&s, "HEAD", "/s/dir/"), index);
    // A directory without an index goes to the app.
    assert_eq!(found(&s, "GET", "/s/empty"), None);
    assert_eq!(found(&s, "POST", "/s/a.txt"), None);
    assert_eq!(found(&s, "GET", "/s/s.css"), None);
}

#[test]
fn nothing_outside_the_root_unless_safe() {
    let t = tree();
    let mut cfg = config(&t);
    cfg.maps.truncate(1);
    let s = Server::new(&cfg);
    assert_eq!(found(&s, "GET", "/s/../other/secret.txt"), None);
    assert_eq!(found(&s, "GET", "/s/link.txt"), None);
    assert_eq!(found(&s, "GET", "/s/../../../../etc/passwd"), None);
    cfg.safe = vec![t.root.join("other").display().to_string()];
    let s = Server::new(&cfg);
    assert_eq!(
        found(&s, "GET", "/s/link.txt"),
        Some(t.root.join("other/secret.txt"))
    );
}

#[test]
fn check_static_map2_and_a_file_map() {
    let t = tree();
    let cfg = StaticFiles {
        check: vec![t.root.join("www")],
        maps: vec![map("/favicon.ico", &t.root.join("other/b.txt"))],
        maps2: vec![map("/other", &t.root)],
        ..StaticFiles::default()
    };
    let s = Server::new(&cfg);
    assert_eq!(found(&s, "GET", "/a.txt"), Some(t.root.join("www/a.txt")));
    assert_eq!(
        found(&s, "GET", "/favicon.ico"),
        Some(t.root.join("other/b.txt"))
    );
    assert_eq!(
        found(&s, "GET", "/other/a.txt"),
        Some(t.root.join("other/a.txt"))
    );
}

fn header<'a>(head: &'a crate::protocol::response::ResponseHead, name: &str) -> Vec<&'a str> {
    head.headers
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn answers_headers_ranges_and_304() {
    let t = tree();
    let mut cfg = config(&t);
    cfg.honour_range = true;
    cfg.expires = vec![Expiry {
        on: ExpiresOn::Type,
        pattern: "text/plain".to_owned(),
        seconds: 60,
        from_mtime: true,
    }];
    let s = Server::new(&cfg);
    let ask = |method: &str, extra: &[(&'static str, &str)]| {
        let req = request(method, "/s/a.txt", extra);
        s.answer(s.find(&req, 0).expect("found"), &req)
    };
    let a = ask("GET", &[]);
    assert_eq!(a.head.status, "200 OK");
    let names: Vec<_> = a.head.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Content-Type", "Expires", "Content-Length", "Last-Modified"]
    );
    assert_eq!(header(&a.head, "Content-Length"), ["13"]);
    let body = a.body.expect("body");
    assert_eq!((body.offset, body.len), (0, 13));
    let last_modified = header(&a.head, "Last-Modified")[0].to_owned();
    let a = ask("GET", &[("HTTP_IF_MODIFIED_SINCE", &last_modified)]);
    assert_eq!(
        (a.head.code, a.head.headers.len(), a.body.is_none()),
        (304, 0, true)
    );
    let a = ask("HEAD", &[]);
    assert_eq!((a.head.code, a.body.is_none()), (200, true));
    assert_eq!(header(&a.head, "Content-Length"), ["13"]);
    let a = ask("GET", &[("HTTP_RANGE", "bytes=6-")]);
    assert_eq!(a.head.code, 206);
    assert_eq!(header(&a.head, "Content-Range"), ["bytes 6-12/13"]);
    assert_eq!(header(&a.head, "Content-Length"), ["7"]);
    let a = ask("GET", &[("HTTP_RANGE", "bytes=20-")]);
    assert_eq!(a.head.code, 416);
    assert_eq!(header(&a.head, "Content-Range"), ["bytes */13"]);
    // An If-Range date other than Last-Modified asks for the whole file
    // (uWSGI 2.0.31 ignores If-Range: see docs/compatibility.md).
    let a = ask(
        "GET",
        &[
            ("HTTP_RANGE", "bytes=0-3"),
            ("HTTP_IF_RANGE", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ],
    );
    assert_eq!(a.head.code, 200);
    let a = ask(
        "GET",
        &[
            ("HTTP_RANGE", "bytes=0-3"),
            ("HTTP_IF_RANGE", &last_modified),
        ],
    );
    assert_eq!(a.head.code, 206);
}

#[test]
fn range_is_ignored_without_honour_range() {
    let t = tree();
    let s = Server::new(&config(&t));
    let req = request("GET", "/s/a.txt", &[("HTTP_RANGE", "bytes=0-3")]);
    let a = s.answer(s.find(&req, 0).expect("found"), &req);
    assert_eq!(a.head.code, 200);
    assert_eq!(header(&a.head, "Content-Length"), ["13"]);
}

#[test]
fn a_non_ascii_name_is_found_from_its_latin1_path_info() {
    let t = tree();
    fs::write(t.root.join("www/café.txt"), "accent").expect("write");
    let s = Server::new(&config(&t));
    // PATH_INFO carries the UTF-8 bytes as latin-1 chars (PEP 3333).
    let path = "/s/caf\u{c3}\u{a9}.txt";
    assert_eq!(found(&s, "GET", path), Some(t.root.join("www/café.txt")));
}
