//! uWSGI's internal routing (`route`, `route-uri`, `route-host`,
//! `route-user-agent`, `route-if`) with the actions real configs use. Every
//! expectation is what uWSGI 2.0.31 (built with PCRE) answered to the same
//! ini and requests.

use uwsgid_e2e::{HttpApp, Response, TestDir};

const APP: &str = r#"
def application(e, sr):
    sr("200 OK", [("Content-Type", "text/plain"), ("X-App", "1")])
    return [("app PI=%s QS=%s MYVAR=%s QVAR=%s RU=%s" % (
        e.get("PATH_INFO"), e.get("QUERY_STRING"), e.get("MYVAR"),
        e.get("QVAR"), e.get("REQUEST_URI"))).encode()]
"#;

const RULES: &str = r#"
route = ^/health$ donotlog:
route = ^/health$ return:200
route = ^/old/(.*)$ redirect-permanent:/new/$1
route = ^/tmp$ redirect:/other
route = ^/blocked break:403 Forbidden
route = ^/rw/(.*)$ rewrite:/target/$1?x=1
route = ^/target addvar:MYVAR=hello
route = ^/target addheader:X-Route: yes
route = ^/cont continue:
route = ^/cont addheader:X-After: no
route = ^/last last:
route = ^/last addheader:X-After: no
route = ^/del delheader:X-App
route = ^/ret404 return:404
route = ^/rl rewrite-last:/target/last
route = ^/target/last addheader:X-Rl: reached
route = ^/sub/(.*)/(.*)$ addheader:X-Groups: $2-$1 ${PATH_INFO}
route-uri = \?q=1$ addvar:QVAR=1
route-host = ^special\.example$ addheader:X-Host: special
route-user-agent = ^Bot break:403 Bots
route-if = equal:${HTTP_X_FORWARDED_PROTO};http redirect-permanent:https://${HTTP_HOST}${REQUEST_URI}
"#;

/// The app with the rules; the directory holding them lives as long.
fn start() -> (HttpApp, TestDir) {
    let dir = TestDir::new().expect("temp dir");
    let app = dir.write("rapp.py", APP).expect("app");
    let ini = dir
        .write(
            "routes.ini",
            format!("[uwsgi]\nwsgi-file = {}\n{RULES}", app.display()),
        )
        .expect("ini");
    let server = HttpApp::start_args(&["--ini".as_ref(), ini.as_os_str()]).expect("uwsgid serves");
    (server, dir)
}

fn get(app: &HttpApp, path: &str) -> Response {
    app.curl(path).run().expect("curl")
}

#[test]
fn routing_actions_answer_as_uwsgi_does() {
    let (app, _dir) = start();
    let health = get(&app, "/health");
    assert_eq!((health.status, health.text()), (200, "OK".to_owned()));
    let old = get(&app, "/old/a/b");
    assert_eq!(old.status, 301);
    assert_eq!(old.header("location"), Some("/new/a/b"));
    assert_eq!(old.text(), "Moved Permanently");
    let tmp = get(&app, "/tmp");
    assert_eq!((tmp.status, tmp.header("location")), (302, Some("/other")));
    assert_eq!(tmp.text(), "Moved");
    let blocked = get(&app, "/blocked");
    assert_eq!((blocked.status, blocked.text()), (403, String::new()));
    let missing = get(&app, "/ret404");
    assert_eq!(
        (missing.status, missing.text()),
        (404, "Not Found".to_owned())
    );
    let bot = app
        .curl("/x")
        .header("User-Agent", "BotX")
        .run()
        .expect("curl");
    assert_eq!(bot.status, 403);
    let forwarded = app
        .curl("/p?q=2")
        .header("X-Forwarded-Proto", "http")
        .header("Host", "h.example")
        .run()
        .expect("curl");
    assert_eq!(forwarded.status, 301);
    assert_eq!(
        forwarded.header("location"),
        Some("https://h.example/p?q=2")
    );
}

#[test]
fn rewrites_vars_and_headers_reach_the_app_as_in_uwsgi() {
    let (app, _dir) = start();
    let rw = get(&app, "/rw/zz");
    assert_eq!(
        rw.text(),
        "app PI=/target/zz QS=x=1 MYVAR=hello QVAR=None RU=/rw/zz"
    );
    assert_eq!(rw.header("x-route"), Some("yes"));
    for path in ["/cont", "/last"] {
        let got = get(&app, path);
        assert_eq!(got.status, 200);
        assert_eq!(got.header("x-after"), None, "{path}: the scan stopped");
    }
    let del = get(&app, "/del");
    assert_eq!((del.status, del.header("x-app")), (200, None));
    let rl = get(&app, "/rl");
    assert!(
        rl.text().starts_with("app PI=/target/last "),
        "{}",
        rl.text()
    );
    assert_eq!(rl.header("x-rl"), None, "rewrite-last stops the scan");
    let q = get(&app, "/q?q=1");
    assert!(q.text().contains("QVAR=1"), "{}", q.text());
    let host = app
        .curl("/x")
        .header("Host", "special.example")
        .run()
        .expect("curl");
    assert_eq!(host.header("x-host"), Some("special"));
    let groups = get(&app, "/sub/a/b");
    assert_eq!(groups.header("x-groups"), Some("b-a /sub/a/b"));
    // donotlog: the health check leaves no request line.
    get(&app, "/plain");
    let log = app.log();
    assert!(log.contains("GET /plain"), "{log}");
    assert!(!log.contains("GET /health"), "{log}");
}

#[test]
fn a_routing_action_uwsgid_lacks_is_refused_with_its_line() {
    let (resolved, stderr) = super::check_ini(
        "[uwsgi]\nhttp-socket = :9090\nmodule = app\nroute = ^/x cachestore:key=a\n",
    );
    assert!(!resolved, "{stderr}");
    assert!(stderr.contains("app.ini:4"), "{stderr}");
    assert!(stderr.contains("cachestore"), "{stderr}");
}
