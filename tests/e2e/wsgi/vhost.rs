//! `vhost`: apps keyed by `HOST|SCRIPT_NAME` (the host from `HTTP_HOST`,
//! else `SERVER_NAME`), app 0 for any other host, and request lines
//! starting with the host. Pinned from uWSGI 2.0.31 with `--vhost --mount
//! "a.test|=hello.py"` beside `--wsgi-file pid_app.py`: `Host: a.test` got
//! `Hello World` and the line `a.test [pid: …|app: 1|req: 1/1]`; `Host:
//! b.test` got app 0 (`|app: 0|req: 1/2]`).

use uwsgid_e2e::{DEFAULT_TIMEOUT, HttpApp, app_path, wait_until};

#[test]
fn vhost_chooses_the_app_by_host_and_logs_it() {
    let hello = format!("a.test|={}", app_path("hello.py").display());
    let pid_app = app_path("pid_app.py").display().to_string();
    let args = ["--wsgi-file", &pid_app, "--vhost", "--mount", &hello];
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    let get = |host: &str| {
        app.curl("/")
            .header("Host", host)
            .run()
            .expect("curl")
            .text()
    };
    assert_eq!(get("a.test"), "Hello World");
    assert!(get("b.test").starts_with("pid="), "another host: app 0");
    let log = wait_until("both request lines", DEFAULT_TIMEOUT, || {
        let log = app.log();
        (log.contains("\na.test [pid: ") && log.contains("\nb.test [pid: ")).then_some(log)
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", app.log()));
    assert!(log.contains("VirtualHosting mode enabled."), "{log}");
    // The app's index and its own count before the worker's, as uWSGI's
    // lines have them (the readiness probe was app 0's first request).
    assert!(log.contains("a.test [pid: "), "{log}");
    assert!(log.contains("|app: 1|req: 1/2] "), "{log}");
    assert!(log.contains("|app: 0|req: 2/3] "), "{log}");
}
