//! Static files over the uwsgi protocol: behind nginx's `uwsgi_pass` (a
//! whole request, read and handed on by an idle Python thread), and from a
//! raw client that sends its request slowly (read by the runtime's uwsgi
//! front).

use std::ffi::OsString;

use super::{Tree, assert_app, big_body};
use uwsgid_e2e::{HttpApp, Nginx, Python, TestDir, free_port};

/// uwsgid with `socket = SOCKET` as well as its `http-socket`, and nginx
/// passing to it; nginx stops first, then uwsgid, then the trees go.
struct Behind {
    nginx: Nginx,
    app: HttpApp,
    dir: TestDir,
    _tree: Tree,
}

fn behind(tcp: bool, extra: &[&str]) -> Behind {
    let tree = Tree::new();
    let nginx_dir = TestDir::new().expect("temp dir");
    let (socket, upstream) = if tcp {
        let addr = format!("127.0.0.1:{}", free_port().expect("port"));
        (OsString::from(&addr), addr)
    } else {
        let path = nginx_dir.join("app.sock");
        (
            path.clone().into_os_string(),
            format!("unix:{}", path.display()),
        )
    };
    let mut args = tree.args(extra);
    args.extend(["--socket".into(), socket]);
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    let nginx = Nginx::uwsgi_pass(&nginx_dir, &upstream).expect("nginx starts");
    Behind {
        nginx,
        app,
        dir: nginx_dir,
        _tree: tree,
    }
}

#[test]
fn files_behind_nginx_uwsgi_pass() {
    for tcp in [false, true] {
        let b = behind(tcp, &["--honour-range"]);
        let get = |path: &str| b.nginx.curl(path).run().expect("curl through nginx");
        let r = get("/s/a.txt");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "hello static\n"),
            "tcp {tcp}"
        );
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.header("content-length"), Some("13"));
        let date = r.header("last-modified").expect("Last-Modified").to_owned();
        let big = get("/s/big.bin");
        assert_eq!(big.status, 200, "tcp {tcp}");
        assert!(big.body == big_body(), "tcp {tcp}: the whole file");
        let not_modified = b
            .nginx
            .curl("/s/a.txt")
            .header("If-Modified-Since", &date)
            .run()
            .expect("curl");
        assert_eq!(not_modified.status, 304, "tcp {tcp}");
        let head = b.nginx.curl("/s/a.txt").head().run().expect("curl");
        assert_eq!(head.header("content-length"), Some("13"), "tcp {tcp}");
        let part = b
            .nginx
            .curl("/s/big.bin")
            .header("Range", "bytes=10-19")
            .run()
            .expect("curl");
        assert_eq!(part.status, 206, "tcp {tcp}");
        assert!(part.body == big_body()[10..20], "tcp {tcp}");
        assert_eq!(get("/s/dir/").text(), "idx");
        assert_app(&get("/s/nope"), "a missing file");
        assert_app(&get("/s/empty/"), "a directory without index");
        assert_app(&get("/s/link.txt"), "a symlink out");
        // nginx resolves `..` itself; what reaches uwsgid stays in the map.
        assert_app(&get("/s/%2e%2e/other/secret.txt"), "%2e%2e");
        let log = b.app.log();
        assert!(log.contains("GET /s/big.bin => generated"), "{log}");
    }
}

/// A request sent in two parts 50 ms apart: the idle Python thread hands
/// it to the runtime, whose uwsgi front answers the file.
const SLOW_CLIENT: &str = r#"
import sys, time, rawhttp
c = rawhttp.Conn.unix(sys.argv[1], timeout=10)
packet = rawhttp.uwsgi_packet(rawhttp.uwsgi_vars("GET", sys.argv[2]))
c.send(packet[:3])
time.sleep(0.05)
c.send(packet[3:])
r = c.read_response()
rawhttp.emit({"status": r.status, "length": len(r.body), "type": r.header("content-type"),
              "closed": c.closed_by_server()})
"#;

#[test]
fn a_slow_uwsgi_request_for_a_file() {
    let b = behind(false, &[]);
    let sock = b.dir.join("app.sock");
    for (path, length, mime) in [
        ("/s/big.bin", super::BIG_LEN, "application/octet-stream"),
        ("/s/a.txt", 13, "text/plain"),
    ] {
        let out = Python::script(SLOW_CLIENT)
            .arg(&sock)
            .arg(path)
            .run_json()
            .expect("the client runs");
        assert_eq!(out["status"], 200, "{path}: {out}");
        assert_eq!(out["length"], length, "{path}: {out}");
        assert_eq!(out["type"], mime, "{path}: {out}");
        assert_eq!(out["closed"], true, "{path}: {out}");
    }
}

/// What nginx would never send (it resolves `..` itself), sent raw: a
/// PATH_INFO leading out of the map is passed to the app, as uWSGI 2.0.31
/// does ("[uwsgi-fileserve] security error").
const RAW_CLIENT: &str = r#"
import sys, json, rawhttp
out = {}
for path in sys.argv[2:]:
    c = rawhttp.Conn.unix(sys.argv[1], timeout=10)
    c.uwsgi_request(rawhttp.uwsgi_vars("GET", path))
    r = c.read_response()
    out[path] = [r.status, r.body.decode("latin-1")]
print(json.dumps(out))
"#;

#[test]
fn a_raw_uwsgi_path_out_of_the_map_goes_to_the_app() {
    let b = behind(false, &[]);
    let paths = ["/s/../other/secret.txt", "/s/link.txt", "/s/a.txt"];
    let out = paths
        .iter()
        .fold(
            Python::script(RAW_CLIENT).arg(b.dir.join("app.sock")),
            |p, path| p.arg(path),
        )
        .run_json()
        .expect("the client runs");
    assert_eq!(
        out["/s/../other/secret.txt"],
        serde_json::json!([200, "Hello World"])
    );
    assert_eq!(out["/s/link.txt"], serde_json::json!([200, "Hello World"]));
    assert_eq!(out["/s/a.txt"], serde_json::json!([200, "hello static\n"]));
    let log = b.app.log();
    assert!(log.contains("[uwsgi-fileserve] security error:"), "{log}");
}

/// `file-serve-mode = x-accel-redirect`: the worker names the file (uWSGI
/// 2.0.31's headers, pinned: `Content-Type`, `X-Accel-Redirect: REAL PATH`,
/// `Last-Modified`, no body) and nginx sends it from its `internal`
/// location.
#[test]
fn x_accel_redirect_lets_nginx_send_the_file() {
    let b = behind(false, &["--file-serve-mode", "x-accel-redirect"]);
    let direct = b.app.curl("/s/a.txt").run().expect("curl uwsgid");
    let www = b._tree.join("www").canonicalize().expect("real path");
    let named = www.join("a.txt");
    assert_eq!(direct.header("x-accel-redirect"), named.to_str());
    assert_eq!(direct.header("content-type"), Some("text/plain"));
    assert!(direct.body.is_empty(), "the worker sends no body");
    drop(b.nginx);
    let accel =
        Nginx::uwsgi_pass_accel(&b.dir, &unix_upstream(&b.dir), &www).expect("nginx starts");
    let r = accel.curl("/s/big.bin").run().expect("curl through nginx");
    assert_eq!(r.status, 200);
    assert!(r.body == big_body(), "nginx sent the whole file");
    assert_eq!(r.header("x-accel-redirect"), None, "nginx consumed it");
}

fn unix_upstream(dir: &TestDir) -> String {
    format!("unix:{}", dir.join("app.sock").display())
}
