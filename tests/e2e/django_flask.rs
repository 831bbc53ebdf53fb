//! Real frameworks in the real test virtualenv (`home=`): a Flask app
//! (`tests/apps/flask_app.py`) and a Django 5.2 project (made by
//! `scripts/test` with the views of `tests/fixtures/django/`), each answering
//! GET, a POST form, JSON, a file upload, a redirect, cookies and a streamed
//! response through uwsgid.

use std::ffi::OsString;

use serde_json::json;
use uwsgid_e2e::{HttpApp, app_path, django_project, sha256_file, venv};

/// The URL of each kind of request in one framework's app.
struct Routes {
    hello: &'static str,
    hello_text: &'static str,
    info: &'static str,
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
