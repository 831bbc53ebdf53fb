//! Real frameworks in the real test virtualenv (`home=`): a Flask app
//! (`tests/apps/flask_app.py`) and a Django 5.2 project (made by
//! `scripts/test` with the views of `tests/fixtures/django/`), each answering
//! GET, a POST form, JSON, a file upload, a redirect, cookies and a streamed
//! response through uwsgid; and the README's Flask example serves.

use std::ffi::OsString;

use serde_json::json;
use uwsgid_e2e::{HttpApp, app_path, django_project, sha256_file, venv};

/// The URL of each kind of request in one framework's app.
struct Routes {
    hello: &'static str,
    hello_text: &'static str,
    info: &'static str,
    /// The key of `info`'s answer naming the framework's `__file__`.
    framework_file: &'static str,
    form: &'static str,
    json: &'static str,
    upload: &'static str,
    redirect: &'static str,
    cookie_set: &'static str,
    cookie_get: &'static str,
    stream: &'static str,
}

const FLASK: Routes = Routes {
    hello: "/",
    hello_text: "hello from flask\n",
    info: "/info",
    framework_file: "flask_file",
    form: "/form",
    json: "/json",
    upload: "/upload",
    redirect: "/redirect",
    cookie_set: "/cookie/set?value=ginger",
    cookie_get: "/cookie/get",
    stream: "/stream?n=5",
};

const DJANGO: Routes = Routes {
    hello: "/hello/",
    hello_text: "hello from django\n",
    info: "/info/",
    framework_file: "django_file",
    form: "/form/",
    json: "/json/",
    upload: "/upload/",
    redirect: "/redirect/",
    cookie_set: "/cookie/set/?value=ginger",
    cookie_get: "/cookie/get/",
    stream: "/stream/?n=5",
};

fn home_args() -> Vec<OsString> {
    let venv = venv().expect("the test venv");
    vec![
        "--home".into(),
        venv.into_os_string(),
        "--processes".into(),
        "2".into(),
    ]
}

fn flask() -> HttpApp {
    let mut args = vec![
        "--wsgi-file".into(),
        app_path("flask_app.py").into_os_string(),
    ];
    args.extend(home_args());
    HttpApp::start_args(&args).expect("uwsgid serves the Flask app")
}

fn django() -> HttpApp {
    let project = django_project().expect("the test Django project");
    let mut args: Vec<OsString> = vec![
        "--chdir".into(),
        project.into_os_string(),
        "--module".into(),
        "testsite.wsgi:application".into(),
    ];
    args.extend(home_args());
    HttpApp::start_args(&args).expect("uwsgid serves the Django project")
}

fn get(app: &HttpApp, routes: &Routes) {
    let response = app.curl(routes.hello).run().expect("GET");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), routes.hello_text);
    let info = app
        .curl(routes.info)
        .run()
        .expect("GET info")
        .json()
        .expect("JSON");
    let venv = venv().expect("venv").canonicalize().expect("venv path");
    let prefix = std::path::Path::new(info["prefix"].as_str().expect("prefix"));
    assert_eq!(
        prefix.canonicalize().expect("prefix exists"),
        venv,
        "{info}"
    );
    let file = info[routes.framework_file]
        .as_str()
        .expect("the framework's file");
    let file = std::path::Path::new(file)
        .canonicalize()
        .expect("the file exists");
    assert!(
        file.starts_with(&venv),
        "the framework comes from the venv: {info}"
    );
}

fn post_form(app: &HttpApp, routes: &Routes) {
    let response = app
        .curl(routes.form)
        .form_field("name", "Zoë & co")
        .form_field("tag", "a")
        .form_field("tag", "b=c")
        .run()
        .expect("POST form");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json().expect("JSON"),
        json!({"name": ["Zoë & co"], "tag": ["a", "b=c"]})
    );
}

fn post_json(app: &HttpApp, routes: &Routes) {
    let sent = json!({"numbers": [1, 2, 3], "nested": {"ok": true}, "text": "ünïcode"});
    let response = app.curl(routes.json).json(&sent).run().expect("POST JSON");
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json().expect("JSON");
    assert_eq!(answer["received"], sent);
    assert_eq!(answer["content_type"], "application/json");
    let bad = app
        .curl(routes.json)
        .header("Content-Type", "application/json")
        .data("{nope");
    assert_eq!(bad.run().expect("POST bad JSON").status, 400);
}

fn upload(app: &HttpApp, routes: &Routes) {
    let file = app.join("report.bin");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(&file, &content).expect("write the file");
    let response = app
        .curl(routes.upload)
        .multipart("document", &format!("@{}", file.display()))
        .multipart("title", "quarterly")
        .run()
        .expect("POST multipart");
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json().expect("JSON");
    let got = &answer["files"]["document"];
    assert_eq!(got["filename"], "report.bin");
    assert_eq!(got["size"], content.len());
    assert_eq!(got["sha256"], sha256_file(&file).expect("digest"));
    assert_eq!(answer["fields"], json!({"title": "quarterly"}));
}

fn redirect(app: &HttpApp, routes: &Routes) {
    let response = app.curl(routes.redirect).run().expect("GET redirect");
    assert_eq!(response.status, 302);
    let location = response.header("location").expect("a Location header");
    assert!(location.ends_with(routes.hello), "Location: {location}");
    let followed = app.curl(routes.redirect).follow().run().expect("follow");
    assert_eq!(followed.status, 200);
    assert_eq!(followed.text(), routes.hello_text);
}

fn cookies(app: &HttpApp, routes: &Routes) {
    let jar = app.join("cookies.txt");
    let set = app
        .curl(routes.cookie_set)
        .cookie_jar(&jar)
        .run()
        .expect("set cookie");
    assert_eq!(set.status, 200);
    let header = set.header("set-cookie").expect("a Set-Cookie header");
    assert!(header.starts_with("flavour=ginger"), "Set-Cookie: {header}");
    assert!(
        header.to_ascii_lowercase().contains("httponly"),
        "Set-Cookie: {header}"
    );
    let got = app
        .curl(routes.cookie_get)
        .cookie_jar(&jar)
        .run()
        .expect("get cookie");
    assert_eq!(got.json().expect("JSON"), json!({"flavour": "ginger"}));
}

fn stream(app: &HttpApp, routes: &Routes) {
    let response = app.curl(routes.stream).run().expect("GET stream");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.text(),
        "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n"
    );
    assert_eq!(
        response.header("content-length"),
        None,
        "a stream has no length"
    );
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
}

/// One test per kind of request for one framework.
macro_rules! framework_tests {
    ($name:ident, $start:ident, $routes:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn get_in_the_venv() {
                get(&$start(), &$routes);
            }

            #[test]
            fn post_form() {
                super::post_form(&$start(), &$routes);
            }

            #[test]
            fn post_json() {
                super::post_json(&$start(), &$routes);
            }

            #[test]
            fn file_upload() {
                upload(&$start(), &$routes);
            }

            #[test]
            fn redirect() {
                super::redirect(&$start(), &$routes);
            }

            #[test]
            fn cookies() {
                super::cookies(&$start(), &$routes);
            }

            #[test]
            fn streamed_response() {
                stream(&$start(), &$routes);
            }
        }
    };
}

framework_tests!(flask_app, flask, FLASK);
framework_tests!(django_site, django, DJANGO);

#[test]
fn the_django_project_runs_django_5_2() {
    let app = django();
    let info = app
        .curl(DJANGO.info)
        .run()
        .expect("GET info")
        .json()
        .expect("JSON");
    let version = info["django_version"].as_str().expect("a version");
    assert!(version.starts_with("5.2"), "Django {version}");
}

/// The README's example (`examples/flask`, run by `scripts/example`) serves:
/// its ini, with the port and virtualenv swapped for the test's, next to a
/// copy of its app.
#[test]
fn the_flask_example_serves() {
    let dir = uwsgid_e2e::TestDir::new().expect("temp dir");
    let example = uwsgid_e2e::repo_root().join("examples/flask");
    let ini = std::fs::read_to_string(example.join("uwsgi.ini")).expect("read the ini");
    let port = uwsgid_e2e::free_port().expect("port");
    let venv = venv().expect("the test venv");
    let ini: String = ini
        .lines()
        .map(|line| match line.split('=').next().map(str::trim) {
            Some("http-socket") => format!("http-socket = 127.0.0.1:{port}"),
            Some("home") => format!("home = {}", venv.display()),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        ini.contains(&format!("127.0.0.1:{port}")),
        "the ini has an http-socket line"
    );
    let ini_path = dir.write("example/uwsgi.ini", ini).expect("write the ini");
    std::fs::copy(example.join("app.py"), dir.join("example/app.py")).expect("copy the app");
    let mut server = uwsgid_e2e::ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .arg("--ini")
        .arg(&ini_path)
        .start()
        .expect("uwsgid starts");
    uwsgid_e2e::wait_http_ready(&mut server, port, uwsgid_e2e::DEFAULT_TIMEOUT)
        .expect("the example serves");
    let hello = uwsgid_e2e::curl(port, "/hello/world").run().expect("GET");
    assert_eq!(hello.status, 200);
    assert_eq!(hello.text(), "Hello, world!\n");
    let index = uwsgid_e2e::curl(port, "/")
        .run()
        .expect("GET /")
        .json()
        .expect("JSON");
    assert_eq!(index["message"], "Hello from Flask on uwsgid");
}
