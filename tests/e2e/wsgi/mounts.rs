//! `mount = /prefix=app` and `manage-script-name`: several apps in one
//! worker, chosen as uWSGI 2.0.31 chooses them. The tables are what a real
//! uWSGI 2.0.31 answered for the same apps and requests (`--http-socket`,
//! and `--socket` with the variables nginx sends); Flask's `url_for` and
//! Django's `reverse` under mountpoints, behind nginx `uwsgi_pass`.

use std::ffi::OsString;

use serde_json::{Value, json};
use uwsgid_e2e::{HttpApp, Nginx, Python, TestDir, app_path, django_project, venv};

/// Writes an app named `name` that answers its name, SCRIPT_NAME (`None`
/// when absent) and PATH_INFO as JSON.
fn naming_app(dir: &TestDir, name: &str) -> String {
    let source = format!(
        "import json\n\
         def application(e, sr):\n    \
             sr('200 OK', [('Content-Type', 'application/json')])\n    \
             return [json.dumps(['{name}', e.get('SCRIPT_NAME'), e.get('PATH_INFO')]).encode()]\n\
         app = application\n"
    );
    let path = dir
        .write(&format!("{name}.py"), source)
        .expect("write the app");
    path.to_string_lossy().into_owned()
}

/// The three apps of the pinned cases: app0 (`wsgi-file`), a, b.
struct Apps {
    dir: TestDir,
    app0: String,
    a: String,
    b: String,
}

impl Apps {
    fn new() -> Apps {
        let dir = TestDir::new().expect("temp dir");
        let (app0, a, b) = (
            naming_app(&dir, "app0"),
            naming_app(&dir, "a"),
            naming_app(&dir, "b"),
        );
        Apps { dir, app0, a, b }
    }

    fn mounts(&self) -> Vec<String> {
        vec![
            "--mount".into(),
            format!("/a={}", self.a),
            "--mount".into(),
            format!("/a/b={}", self.b),
        ]
    }
}

/// `[app, SCRIPT_NAME, PATH_INFO]` for each path, over HTTP.
fn answers(app: &HttpApp, paths: &[&str]) -> Vec<Value> {
    paths
        .iter()
        .map(|path| {
            let got = app.curl(path).run().expect("curl");
            assert_eq!(got.status, 200, "{path}: {}\n{}", got.text(), app.log());
            got.json().expect("JSON")
        })
        .collect()
}

const PATHS: [&str; 8] = ["/a/x", "/a/b/x", "/ab", "/a", "/a/", "/", "/c", "/A/x"];

#[test]
fn manage_script_name_cuts_the_longest_mountpoint_as_uwsgi_does() {
    let apps = Apps::new();
    let mut args = vec!["--wsgi-file".to_owned(), apps.app0.clone()];
    args.extend(apps.mounts());
    args.push("--manage-script-name".into());
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    // uWSGI leaves SCRIPT_NAME out for `/`; uwsgid always sends it, empty
    // (PEP 3333 allows both; see docs/compatibility.md).
    let want = json!([
        ["a", "/a", "/x"],
        ["b", "/a/b", "/x"],
        ["app0", "", "/ab"],
        ["a", "/a", ""],
        ["a", "/a", "/"],
        ["app0", "", "/"],
        ["app0", "", "/c"],
        ["app0", "", "/A/x"]
    ]);
    assert_eq!(json!(answers(&app, &PATHS)), want, "{}", app.log());
    let log = app.log();
    for line in [
        "WSGI app 0 (mountpoint='') ready",
        "mounting ",
        "WSGI app 1 (mountpoint='/a') ready",
        "WSGI app 2 (mountpoint='/a/b') ready",
    ] {
        assert!(log.contains(line), "{line:?} in\n{log}");
    }
}

#[test]
fn without_manage_script_name_http_requests_go_to_app_zero() {
    let apps = Apps::new();
    let mut args = vec!["--wsgi-file".to_owned(), apps.app0.clone()];
    args.extend(apps.mounts());
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    for (path, got) in PATHS.iter().zip(answers(&app, &PATHS)) {
        assert_eq!(got, json!(["app0", "", path]), "{path}");
    }
}

#[test]
fn with_mounts_only_the_first_mount_is_the_default_app() {
    let apps = Apps::new();
    let mut args = apps.mounts();
    args.push("--manage-script-name".into());
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    let got = answers(&app, &["/a/b/x", "/c", "/"]);
    assert_eq!(
        json!(got),
        json!([["b", "/a/b", "/x"], ["a", "", "/c"], ["a", "", "/"]]),
        "{}",
        app.log()
    );
}

/// `[app, SCRIPT_NAME, PATH_INFO]` for uwsgi-protocol requests carrying
/// the (SCRIPT_NAME, PATH_INFO) pairs of `SENT`, as nginx sends them.
const UWSGI_CLIENT: &str = r#"
import json, socket, struct, sys
sock_path, sent = sys.argv[1], json.loads(sys.argv[2])
def request(script_name, path):
    env = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": script_name, "PATH_INFO": path,
           "REQUEST_URI": path, "QUERY_STRING": "", "SERVER_NAME": "x",
           "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1"}
    body = b"".join(struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode()
                    for k, v in env.items())
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    s.sendall(struct.pack("<BHB", 0, len(body), 0) + body)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1])
print(json.dumps([request(sn, pi) for sn, pi in sent]))
"#;

const SENT: [(&str, &str); 5] = [
    ("/a", "/a/x"),
    ("/a", "/x"),
    ("", "/a/x"),
    ("/zz", "/a/b/x"),
    ("/a/b", "/q"),
];

fn over_uwsgi(manage_script_name: bool) -> Value {
    let apps = Apps::new();
    let socket = apps.dir.join("app.sock");
    let mut args: Vec<OsString> = vec!["--wsgi-file".into(), apps.app0.clone().into()];
    args.extend(apps.mounts().into_iter().map(OsString::from));
    args.extend(["--socket".into(), socket.clone().into_os_string()]);
    if manage_script_name {
        args.push("--manage-script-name".into());
    }
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    Python::script(UWSGI_CLIENT)
        .arg(&socket)
        .arg(json!(SENT).to_string())
        .run_json()
        .unwrap_or_else(|e| panic!("{e:#}\n{}", app.log()))
}

#[test]
fn script_name_from_nginx_chooses_the_app_as_uwsgi_does() {
    assert_eq!(
        over_uwsgi(false),
        json!([
            ["a", "/a", "/a/x"],
            ["a", "/a", "/x"],
            ["app0", "", "/a/x"],
            ["app0", "/zz", "/a/b/x"],
            ["b", "/a/b", "/q"]
        ])
    );
    assert_eq!(
        over_uwsgi(true),
        json!([
            ["a", "/a", "/x"],
            ["a", "/a", "/x"],
            ["a", "/a", "/x"],
            ["b", "/a/b", "/x"],
            ["b", "/a/b", "/q"]
        ])
    );
}

#[test]
fn flask_url_for_and_django_reverse_carry_the_mountpoint_behind_nginx() {
    let dir = TestDir::new().expect("temp dir");
    let socket = dir.join("app.sock");
    let flask = app_path("flask_app.py");
    let args: Vec<OsString> = vec![
        "--home".into(),
        venv().expect("venv").into_os_string(),
        "--chdir".into(),
        django_project().expect("Django project").into_os_string(),
        "--mount".into(),
        format!("/flask={}", flask.display()).into(),
        "--mount".into(),
        "/django=testsite.wsgi:application".into(),
        "--manage-script-name".into(),
        "--socket".into(),
        socket.clone().into_os_string(),
    ];
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    let nginx = Nginx::uwsgi_pass(&dir, &format!("unix:{}", socket.display())).expect("nginx");
    let get = |path: &str| {
        let got = nginx.curl(path).run().expect("curl through nginx");
        assert_eq!(got.status, 200, "{path}: {}\n{}", got.text(), app.log());
        got
    };
    let flask_urls = get("/flask/urls").json().expect("JSON");
    assert_eq!(flask_urls["index"], "/flask/", "{flask_urls}");
    assert_eq!(flask_urls["info"], "/flask/info", "{flask_urls}");
    assert_eq!(flask_urls["script_root"], "/flask", "{flask_urls}");
    assert_eq!(flask_urls["path"], "/urls", "{flask_urls}");
    let django_urls = get("/django/urls/").json().expect("JSON");
    assert_eq!(django_urls["hello"], "/django/hello/", "{django_urls}");
    assert_eq!(django_urls["script_name"], "/django", "{django_urls}");
    assert_eq!(django_urls["path"], "/django/urls/", "{django_urls}");
    assert_eq!(django_urls["path_info"], "/urls/", "{django_urls}");
    assert!(get("/django/hello/").text().contains("hello"));
    assert_eq!(get("/flask/").text(), "hello from flask\n");
}

#[test]
fn static_maps_apply_after_manage_script_name_as_in_uwsgi() {
    let apps = Apps::new();
    let files = apps.dir.join("files");
    std::fs::create_dir(&files).expect("files dir");
    std::fs::write(files.join("f.txt"), "static body\n").expect("file");
    let args = vec![
        "--mount".to_owned(),
        format!("/a={}", apps.a),
        "--manage-script-name".into(),
        "--static-map".into(),
        format!("/static={}", files.display()),
    ];
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    // uWSGI 2.0.31: both serve the file; the mount still gets the rest.
    for path in ["/a/static/f.txt", "/static/f.txt"] {
        let got = app.curl(path).run().expect("curl");
        assert_eq!(got.status, 200, "{path}: {}", app.log());
        assert_eq!(got.text(), "static body\n", "{path}");
    }
    assert_eq!(answers(&app, &["/a/x"]), vec![json!(["a", "/a", "/x"])]);
}

#[test]
fn a_mount_without_a_mountpoint_is_refused_with_its_line() {
    let (resolved, stderr) =
        super::check_ini("[uwsgi]\nhttp-socket = 127.0.0.1:0\nmount = app.py\n");
    assert!(!resolved, "{stderr}");
    assert!(stderr.contains("mount"), "{stderr}");
    assert!(stderr.contains("app.ini:3"), "{stderr}");
    assert!(stderr.contains("MOUNTPOINT=APP"), "{stderr}");
}
