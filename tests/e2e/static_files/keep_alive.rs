//! Static answers and app answers on one keep-alive connection (Python's
//! http.client): each response is framed right, so the next one is read
//! from the same connection.

use super::Site;
use uwsgid_e2e::Python;

const CLIENT: &str = r#"
import sys, json, http.client
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
out = []
def ask(method, path, headers={}):
    c.request(method, path, headers=headers)
    r = c.getresponse()
    body = r.read()
    out.append([r.status, r.getheader("Content-Type"), len(body), body[:16].decode("latin-1")])
    return r
first = ask("GET", "/s/a.txt")
ask("GET", "/app")
ask("HEAD", "/s/a.txt")
ask("GET", "/s/a.txt", {"If-Modified-Since": first.getheader("Last-Modified")})
ask("GET", "/s/big.bin")
ask("GET", "/s/dir/")
ask("GET", "/s/a.txt", {"Range": "bytes=100-"})
ask("GET", "/app")
print(json.dumps(out))
"#;

#[test]
fn static_and_app_answers_share_a_keep_alive_connection() {
    let site = Site::start(&["--honour-range"]);
    let out = Python::script(CLIENT)
        .arg(site.app.port.to_string())
        .run_json()
        .expect("the client runs");
    let big = super::BIG_LEN;
    assert_eq!(
        out,
        serde_json::json!([
            [200, "text/plain", 13, "hello static\n"],
            [200, "text/plain", 11, "Hello World"],
            [200, "text/plain", 0, ""],
            [304, null, 0, ""],
            [
                200,
                "application/octet-stream",
                big,
                "\u{0}\u{7}\u{e}\u{15}\u{1c}#*18?FMT[bi"
            ],
            [200, "text/html", 3, "idx"],
            [416, null, 0, ""],
            [200, "text/plain", 11, "Hello World"],
        ]),
        "{out}"
    );
}
