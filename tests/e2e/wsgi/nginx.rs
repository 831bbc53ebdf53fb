//! The validator app behind nginx, as deployed: `uwsgi_pass` over a unix
//! socket or TCP (the uwsgi protocol, Debian's `uwsgi_params`) and `proxy_pass`
//! over HTTP/1.1 with upstream keep-alive.

use std::time::Duration;

use uwsgid_e2e::{HttpApp, Nginx, TestDir, free_port, sha256_file};

use super::assert_clean_log;

/// A GET with a query and a 2 MiB POST through `nginx`.
fn get_and_post(nginx: &Nginx, dir: &TestDir) {
    let response = nginx
        .curl("/via/nginx?q=1")
        .run()
        .expect("GET through nginx");
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json().expect("JSON");
    assert_eq!(body["path"], "/via/nginx");
    assert_eq!(body["query"], "q=1");

    let upload = dir
        .write("upload.bin", vec![b'u'; 2 << 20])
        .expect("write the upload");
    let posted = nginx
        .curl("/read")
        .data_file(&upload)
        .timeout(Duration::from_secs(30))
        .run()
        .expect("POST through nginx");
    assert_eq!(posted.status, 200, "{}", posted.text());
    let answer = posted.json().expect("JSON");
    assert_eq!(answer["length"], 2 << 20);
    assert_eq!(answer["sha256"], sha256_file(&upload).expect("digest"));
}

#[test]
fn uwsgi_pass_over_a_unix_socket() {
    let dir = TestDir::new().expect("temp dir");
    let (app, socket) = super::start_on_unix_socket("validator_app.py", &dir);
    let nginx = Nginx::uwsgi_pass(&dir, &format!("unix:{}", socket.display())).expect("nginx");
    get_and_post(&nginx, &dir);
    assert_clean_log(&app);
}

#[test]
fn uwsgi_pass_over_tcp() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("port");
    let socket = format!("127.0.0.1:{port}");
    let app = HttpApp::start(
        "validator_app.py",
        &["--processes", "1", "--socket", &socket],
    )
    .expect("uwsgid serves");
    let nginx = Nginx::uwsgi_pass(&dir, &socket).expect("nginx");
    get_and_post(&nginx, &dir);
    assert_clean_log(&app);
}

#[test]
fn proxy_pass_over_http() {
    let dir = TestDir::new().expect("temp dir");
    let app = HttpApp::start("validator_app.py", &["--processes", "1"]).expect("uwsgid serves");
    let nginx = Nginx::proxy_pass(&dir, &format!("http://127.0.0.1:{}", app.port)).expect("nginx");
    get_and_post(&nginx, &dir);
    assert_clean_log(&app);
}
