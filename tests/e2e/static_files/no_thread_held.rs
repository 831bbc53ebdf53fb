//! A static body never holds the worker's only Python thread: while a
//! client reads a large file slowly (the kernel's socket buffers full, the
//! worker waiting to write more), the app still answers at once. Over
//! `http-socket` and over a uwsgi socket, where the idle Python thread
//! that read the request hands the connection to the runtime.

use std::time::Duration;

use super::{Site, Tree, assert_app};
use uwsgid_e2e::{HttpApp, Python};

/// Asks for `www/big.bin` (1.5 MiB), reads 1 KiB of the answer, then, while
/// not reading any further, asks the app (`/app`) over HTTP and prints
/// what it answered and how long it took.
const STALLED_READER: &str = r#"
import sys, json, socket, time, http.client, rawhttp
kind, target, http_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "http":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A small window before the connect: the file cannot fit in flight.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", int(target)))
    s.sendall(b"GET /s/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(target)
    s.sendall(rawhttp.uwsgi_packet(rawhttp.uwsgi_vars("GET", "/s/big.bin")))
first = s.recv(1024)
time.sleep(0.3)
started = time.monotonic()
c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
c.request("GET", "/app")
r = c.getresponse()
body = r.read().decode()
print(json.dumps({"first": first[:15].decode("latin-1"), "status": r.status, "body": body,
                  "seconds": time.monotonic() - started}))
s.close()
"#;

fn stalled(kind: &str, target: &str, app: &HttpApp) -> serde_json::Value {
    Python::script(STALLED_READER)
        .arg(kind)
        .arg(target)
        .arg(app.port.to_string())
        .timeout(Duration::from_secs(30))
        .run_json()
        .expect("the client runs")
}

fn assert_app_answered(out: &serde_json::Value, what: &str) {
    assert_eq!(out["first"], "HTTP/1.1 200 OK", "{what}: {out}");
    assert_eq!(out["status"], 200, "{what}: {out}");
    assert_eq!(out["body"], "Hello World", "{what}: {out}");
    // Without the thread free, the app request would wait for the stalled
    // download (for socket-timeout: the client does not read) and the
    // client would give up after 5 s.
    let seconds = out["seconds"].as_f64().expect("seconds");
    assert!(seconds < 3.0, "{what}: {out}");
}

#[test]
fn a_stalled_download_leaves_the_python_thread_free() {
    // A socket-timeout longer than the client waits: a held thread would
    // not be freed by the stalled write timing out meanwhile.
    let one_thread = [
        "--processes",
        "1",
        "--threads",
        "1",
        "--socket-timeout",
        "30",
    ];
    let site = Site::start(&one_thread);
    let out = stalled("http", &site.app.port.to_string(), &site.app);
    assert_app_answered(&out, "http-socket");

    let tree = Tree::new();
    let sock = tree.join("app.sock");
    let mut args = tree.args(&one_thread);
    args.extend(["--socket".into(), sock.clone().into_os_string()]);
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    let out = stalled("uwsgi", &sock.display().to_string(), &app);
    assert_app_answered(&out, "uwsgi socket");
    assert_app(&app.curl("/after").run().expect("curl"), "after");
}
