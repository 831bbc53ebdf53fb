//! The environ a request produces (`environ_app.py` echoes it): PEP 3333's
//! CGI variables and `wsgi.*` keys, over `http-socket` and through nginx's
//! `uwsgi_pass`.

use serde_json::Value;
use uwsgid_e2e::{HttpApp, Nginx, TestDir, app_path};

use super::assert_clean_log;

fn environ(response: &uwsgid_e2e::Response) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().expect("JSON")["environ"].clone()
}

/// Fails unless `env[key] == value`, naming the key.
fn expect(env: &Value, key: &str, value: &str) {
    assert_eq!(env[key], value, "{key} in {env}");
}

#[test]
fn http_socket_environ_follows_pep_3333() {
    let app = HttpApp::start("environ_app.py", &["--processes", "2"]).expect("uwsgid serves");
    let response = app
        .curl("/%C3%A9/a%20b?q=%20&r=1")
        .header("X-Custom-Header", "custom value")
        .header("X-Multi", "a")
        .header("X-Multi", "b")
        .header("Content-Type", "text/plain")
        .data("x=1")
        .run()
        .expect("POST");
    let env = environ(&response);
    expect(&env, "REQUEST_METHOD", "POST");
    // Native strings hold the request's bytes decoded as latin-1.
    expect(&env, "PATH_INFO", "/\u{c3}\u{a9}/a b");
    expect(&env, "QUERY_STRING", "q=%20&r=1");
    expect(&env, "SCRIPT_NAME", "");
    expect(&env, "SERVER_PROTOCOL", "HTTP/1.1");
    expect(&env, "SERVER_PORT", &app.port.to_string());
    expect(&env, "REMOTE_ADDR", "127.0.0.1");
    expect(&env, "HTTP_X_CUSTOM_HEADER", "custom value");
    expect(&env, "CONTENT_TYPE", "text/plain");
    expect(&env, "CONTENT_LENGTH", "3");
    expect(&env, "wsgi.url_scheme", "http");
    assert!(
        env["SERVER_NAME"].as_str().is_some_and(|s| !s.is_empty()),
        "{env}"
    );
    assert!(
        env["REMOTE_PORT"].is_string(),
        "REMOTE_PORT is a string: {env}"
    );
    let multi: Vec<&str> = env["HTTP_X_MULTI"]
        .as_str()
        .expect("X-Multi")
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(multi, ["a", "b"], "repeated headers are joined in order");
    assert!(env.get("HTTP_CONTENT_TYPE").is_none(), "{env}");
    assert!(env.get("HTTP_CONTENT_LENGTH").is_none(), "{env}");
    assert_eq!(env["wsgi.version"], serde_json::json!([1, 0]));
    assert_eq!(env["wsgi.multithread"], false, "threads=1");
    assert_eq!(env["wsgi.multiprocess"], true, "processes=2");
    assert_eq!(env["wsgi.run_once"], false);
    assert_eq!(response.json().expect("JSON")["body"], "x=1");
    assert_clean_log(&app);
}

#[test]
fn threads_make_wsgi_multithread_true() {
    let app = HttpApp::start("environ_app.py", &["--processes", "1", "--threads", "4"])
        .expect("uwsgid serves");
    let env = environ(&app.curl("/").run().expect("GET"));
    assert_eq!(env["wsgi.multithread"], true, "threads=4");
    assert_eq!(env["wsgi.multiprocess"], false, "processes=1");
}

#[test]
fn uwsgi_pass_environ_carries_nginx_params() {
    let dir = TestDir::new().expect("temp dir");
    let (app, socket) = super::start_on_unix_socket("environ_app.py", &dir);
    let nginx = Nginx::uwsgi_pass(&dir, &format!("unix:{}", socket.display())).expect("nginx");
    let response = nginx
        .curl("/through/nginx?k=v")
        .header("X-Custom-Header", "via nginx")
        .data("body bytes")
        .run()
        .expect("POST through nginx");
    let env = environ(&response);
    expect(&env, "REQUEST_METHOD", "POST");
    expect(&env, "PATH_INFO", "/through/nginx");
    expect(&env, "QUERY_STRING", "k=v");
    expect(&env, "REQUEST_URI", "/through/nginx?k=v");
    expect(&env, "SERVER_PORT", &nginx.port.to_string());
    expect(&env, "REMOTE_ADDR", "127.0.0.1");
    expect(&env, "HTTP_X_CUSTOM_HEADER", "via nginx");
    expect(&env, "CONTENT_LENGTH", "10");
    expect(&env, "wsgi.url_scheme", "http");
    assert_eq!(response.json().expect("JSON")["body"], "body bytes");
    assert_clean_log(&app);
}

#[test]
fn file_wrapper_without_a_validator_sends_the_file() {
    let app = HttpApp::start("environ_app.py", &["--processes", "1"]).expect("uwsgid serves");
    let response = app.curl("/file_wrapper").run().expect("GET");
    assert_eq!(response.status, 200);
    let source = std::fs::read(app_path("environ_app.py")).expect("read the app");
    assert!(
        response.body == source,
        "file_wrapper body differs from the file"
    );
    assert_clean_log(&app);
}
