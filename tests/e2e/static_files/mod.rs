//! Static files (`static-map` and friends): served by the worker without
//! the app, over `http-socket` (curl, Python's http.client) and behind
//! nginx's `uwsgi_pass` (the idle Python thread's path and the runtime's).
//! The app behind is `hello.py` ("Hello World"), so a request that falls
//! through to the app is told from a file by its body.
//!
//! Where a test says "uWSGI 2.0.31 answers …", the behaviour was read off
//! a real uWSGI 2.0.31 (`pip install uwsgi==2.0.31`, built with PCRE for the
//! `static-expires` regexes) serving the same tree and configuration.

mod gzip;
mod http;
mod keep_alive;
mod nginx;
mod no_thread_held;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use uwsgid_e2e::{HttpApp, Response, TestDir};

/// The files the tests serve.
pub struct Tree {
    pub dir: TestDir,
}

/// 1.5 MiB: more than one sendfile/read chunk.
pub const BIG_LEN: usize = 3 * 512 * 1024;

impl Tree {
    /// `www/{a.txt, s.css, big.bin, dir/index.html, empty/, sub/x.txt,
    /// link.txt -> ../other/secret.txt}`, `other/{a.txt, b.txt,
    /// secret.txt, sub/x.txt}`.
    pub fn new() -> Tree {
        let dir = TestDir::new().expect("temp dir");
        for (name, body) in [
            ("www/a.txt", "hello static\n"),
            ("www/s.css", "body{}"),
            ("www/dir/index.html", "idx"),
            ("www/sub/x.txt", "www-sub"),
            ("other/a.txt", "second"),
            ("other/b.txt", "onlyother"),
            ("other/secret.txt", "secret"),
            ("other/sub/x.txt", "other-sub"),
        ] {
            dir.write(name, body).expect("write");
        }
        dir.write("www/big.bin", big_body()).expect("write");
        std::fs::create_dir(dir.join("www/empty")).expect("mkdir");
        std::os::unix::fs::symlink(dir.join("other/secret.txt"), dir.join("www/link.txt"))
            .expect("symlink");
        Tree { dir }
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `--static-map /s=<www>` and the options every site has.
    pub fn args(&self, extra: &[&str]) -> Vec<OsString> {
        let mut args = vec![
            OsString::from("--wsgi-file"),
            uwsgid_e2e::app_path("hello.py").into_os_string(),
            "--static-map".into(),
            map("/s", &self.join("www")),
            "--static-index".into(),
            "index.html".into(),
        ];
        args.extend(extra.iter().map(OsString::from));
        args
    }
}

/// `PREFIX=DIR`.
pub fn map(prefix: &str, dir: &Path) -> OsString {
    format!("{prefix}={}", dir.display()).into()
}

/// The content of `www/big.bin`: no two neighbouring 64 KiB chunks alike.
pub fn big_body() -> Vec<u8> {
    (0..BIG_LEN)
        .map(|i| ((i * 7 + i / 65_536) % 251) as u8)
        .collect()
}

/// A site over `http-socket`; the app stops before the tree is removed.
pub struct Site {
    pub app: HttpApp,
    _tree: Tree,
}

impl Site {
    pub fn start(extra: &[&str]) -> Site {
        let tree = Tree::new();
        let app = HttpApp::start_args(&tree.args(extra)).expect("uwsgid serves");
        Site { app, _tree: tree }
    }

    pub fn get(&self, path: &str) -> Response {
        self.app.curl(path).arg("--path-as-is").run().expect("curl")
    }
}

/// The app answered, not a file.
pub fn assert_app(r: &Response, what: &str) {
    assert_eq!(r.status, 200, "{what}");
    assert_eq!(r.text(), "Hello World", "{what}: the app answers");
}
