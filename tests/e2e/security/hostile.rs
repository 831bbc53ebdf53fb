//! Hostile clients against the HTTP front: request-smuggling shapes are
//! refused with a 4xx, or (Content-Length with Transfer-Encoding, which RFC
//! 9112 section 6.3 lets a server process by the Transfer-Encoding alone)
//! answered and the connection closed; nothing sent after them is ever read
//! as a second request; slowloris connections do not keep others from
//! being served, and a long pipeline is answered in order. (Oversized heads:
//! `wsgi::validator::header_larger_than_buffer_size_is_a_4xx`; a single
//! stalled head or body: `wsgi::workers::socket_timeout_bounds_a_stalled_client`.)

use uwsgid_e2e::{HttpApp, Python};

#[test]
fn request_smuggling_shapes_get_4xx_or_a_closed_connection() {
    let app = HttpApp::start("pid_app.py", &["--processes", "1"]).expect("uwsgid serves");
    let result = Python::script(
        r#"
import sys, rawhttp
port = int(sys.argv[1])
# Each is followed by a smuggled request that must never be answered.
smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
shapes = {
    "cl+te": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "two cl": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n",
    "chunked, identity": "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    "obs-fold": "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
    "signed cl": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n",
    "hex cl": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x0\r\n\r\n",
    "space before colon": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n",
    "te in 1.0": "POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
}
out = {}
for name, raw in shapes.items():
    c = rawhttp.Conn(port, timeout=10)
    c.send(raw + smuggled)
    try:
        first = c.read_response().status
    except (EOFError, ConnectionResetError):
        first = None
    try:
        second = c.read_response().status
    except (EOFError, ConnectionResetError):
        second = "closed"
    except OSError:
        second = "left open"
    out[name] = [first, second]
rawhttp.emit(out)
"#,
    )
    .arg(app.port.to_string())
    .run_json()
    .expect("the client runs");
    for (shape, statuses) in result.as_object().expect("results") {
        assert_eq!(
            statuses[1],
            "closed",
            "{shape}: the connection is closed, the smuggled request never answered: {result}\n{}",
            app.log()
        );
        let first = statuses[0].as_u64();
        let allowed = |s: u64| (400..500).contains(&s) || (shape == "cl+te" && s == 200);
        assert!(first.is_none_or(allowed), "{shape}: {result}");
    }
    let after = app.curl("/").run().expect("curl");
    assert_eq!(after.status, 200, "the worker serves on");
}

#[test]
fn slowloris_connections_do_not_keep_others_from_being_served() {
    let app = HttpApp::start("pid_app.py", &["--processes", "2", "--socket-timeout", "4"])
        .expect("uwsgid serves");
    let result = Python::script(
        r#"
import sys, time, rawhttp
port = int(sys.argv[1])
slow = []
for i in range(16):
    c = rawhttp.Conn(port, timeout=30)
    c.send("GET / HTTP/1.1\r\nHost: x\r\n")
    slow.append(c)
served, worst = 0, 0.0
deadline = time.monotonic() + 8
while time.monotonic() < deadline:
    for c in slow:  # one more header byte now and then, as slowloris does
        try:
            c.send("X")
        except OSError:
            pass
    b = rawhttp.Conn(port, timeout=20)
    started = time.monotonic()
    b.request("GET", "/")
    if b.read_response().status == 200:
        served += 1
    worst = max(worst, time.monotonic() - started)
    b.close()
    time.sleep(0.2)
dropped = sum(1 for c in slow if c.closed_by_server(timeout=10))
rawhttp.emit({"served": served, "worst": worst, "dropped": dropped})
"#,
    )
    .arg(app.port.to_string())
    .timeout(std::time::Duration::from_secs(120))
    .run_json()
    .expect("the client runs");
    let served = result["served"].as_u64().expect("served");
    let worst = result["worst"].as_f64().expect("worst");
    assert!(served >= 5, "{result}\n{}", app.log());
    assert!(
        worst < 6.0,
        "a request waited {worst:.1} s behind slowloris: {result}"
    );
    assert_eq!(
        result["dropped"], 16,
        "every slowloris connection is closed: {result}"
    );
}

#[test]
fn ten_thousand_pipelined_requests_are_answered_in_order() {
    let app = HttpApp::start("environ_app.py", &["--processes", "1"]).expect("uwsgid serves");
    let result = Python::script(
        r#"
import json, sys, threading, rawhttp
port = int(sys.argv[1])
n = 10000
c = rawhttp.Conn(port, timeout=60)
data = "".join("GET /?i=%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(n))
sender = threading.Thread(target=c.send, args=(data,))
sender.start()
wrong = []
for i in range(n):
    r = c.read_response()
    if r.status != 200 or json.loads(r.body)["environ"]["QUERY_STRING"] != "i=%d" % i:
        wrong.append(i)
sender.join()
rawhttp.emit({"wrong": wrong[:5], "wrong_count": len(wrong)})
"#,
    )
    .arg(app.port.to_string())
    .timeout(std::time::Duration::from_secs(180))
    .run_json()
    .expect("the client runs");
    assert_eq!(result["wrong_count"], 0, "{result}");
}
