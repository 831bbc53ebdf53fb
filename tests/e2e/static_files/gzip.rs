//! Precompressed siblings (`static-gzip-all`, `static-gzip-ext`,
//! `static-gzip-dir`). uWSGI 2.0.31, pinned with curl against the same
//! tree: `Accept-Encoding: gzip` gets `site.css.gz` with `Content-Encoding:
//! gzip` before `Content-Type: text/css` (the original name's type) and the
//! sibling's length; `gzip, deflate, br` gets the `.br` one; `deflate` or
//! none gets the file itself; a file without a sibling is served as is.
//! uwsgid adds `Vary: Accept-Encoding` to a compressed answer.

use super::{Tree, big_body};
use uwsgid_e2e::{HttpApp, Response};

fn get(app: &HttpApp, path: &str, accept: &str) -> Response {
    app.curl(path)
        .header("Accept-Encoding", accept)
        .run()
        .expect("curl")
}

fn site(extra: &[&str]) -> (HttpApp, Tree) {
    let tree = Tree::new();
    tree.dir.write("www/s.css.gz", "GZIPPED").expect("write");
    tree.dir.write("www/s.css.br", "BROTLI").expect("write");
    tree.dir.write("www/big.bin.gz", "small").expect("write");
    // A sibling that resolves out of the document root is never served.
    std::os::unix::fs::symlink(tree.join("other/secret.txt"), tree.join("www/a.txt.gz"))
        .expect("symlink");
    let app = HttpApp::start_args(&tree.args(extra)).expect("uwsgid serves");
    (app, tree)
}

#[test]
fn static_gzip_all_serves_the_sibling_the_client_accepts() {
    let (app, _tree) = site(&["--static-gzip-all"]);
    let gz = get(&app, "/s/s.css", "gzip");
    assert_eq!(gz.text(), "GZIPPED");
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("content-type"), Some("text/css"));
    assert_eq!(gz.header("content-length"), Some("7"));
    assert_eq!(gz.header("vary"), Some("Accept-Encoding"));
    let names: Vec<&str> = gz.headers.iter().map(|(n, _)| n.as_str()).collect();
    let at = |name: &str| names.iter().position(|n| *n == name);
    assert!(at("content-encoding") < at("content-type"), "{names:?}");

    let br = get(&app, "/s/s.css", "gzip, deflate, br");
    assert_eq!(br.text(), "BROTLI");
    assert_eq!(br.header("content-encoding"), Some("br"));

    for accept in ["deflate", ""] {
        let plain = get(&app, "/s/s.css", accept);
        assert_eq!(plain.text(), "body{}", "{accept:?}");
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(plain.header("vary"), None);
    }
    let no_sibling = get(&app, "/s/dir/index.html", "gzip");
    assert_eq!(no_sibling.text(), "idx");
    assert_eq!(no_sibling.header("content-encoding"), None);

    let outside = get(&app, "/s/a.txt", "gzip");
    assert_eq!(
        outside.text(),
        "hello static\n",
        "the symlinked sibling is refused"
    );
    assert_eq!(outside.header("content-encoding"), None);
}

#[test]
fn static_gzip_ext_and_dir_choose_the_files() {
    let (app, tree) = site(&["--static-gzip-ext", ".css"]);
    assert_eq!(get(&app, "/s/s.css", "gzip").text(), "GZIPPED");
    let big = get(&app, "/s/big.bin", "gzip");
    assert!(big.body == big_body(), "no rule for .bin: the file itself");
    drop(app);

    let dir = format!(
        "{}/",
        tree.join("www").canonicalize().expect("real").display()
    );
    let app = HttpApp::start_args(&tree.args(&["--static-gzip-dir", &dir])).expect("serves");
    assert_eq!(get(&app, "/s/big.bin", "gzip").text(), "small");
}
