//! `uwsgi.set_user_harakiri` and `@harakiri`, without the `harakiri`
//! option: the master kills the worker past its own deadline with uWSGI's
//! lines (`*** HARAKIRI ON WORKER 1 …`, `HARAKIRI (user) triggered by worker
//! 1 core 0 !!!`) and a new worker serves; a decorated function that
//! returned in time clears the timer, so the request may go on.

use super::*;

fn start_harakiri_app(dir: &TestDir, port: u16) -> Server {
    let app = dir
        .write("harakiri_app.py", include_str!("harakiri_app.py"))
        .expect("write the app");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--master", "--http-socket", &format!("127.0.0.1:{port}")])
        .arg("--wsgi-file")
        .arg(&app)
        .arg("--home")
        .arg(venv().expect("the test venv"))
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");
    server
}

fn pid(port: u16) -> String {
    curl(port, "/").run().expect("curl runs").text()
}

#[test]
fn user_harakiri_kills_the_worker_past_its_deadline_and_no_sooner() {
    let dir = TestDir::new().expect("a test dir");
    let port = uwsgid_e2e::free_port().expect("a free port");
    let server = start_harakiri_app(&dir, port);
    let first = pid(port);

    // Returned in time: the timer is cleared, the request goes on past it.
    let quick = curl(port, "/quick").run().expect("curl runs");
    assert_eq!((quick.status, quick.text().as_str()), (200, "done"));
    assert!(!server.log().contains("HARAKIRI"), "{}", server.log());
    assert_eq!(pid(port), first, "the same worker");

    for (path, killed) in [("/slow", 1), ("/set", 2)] {
        let cut = curl(port, path).timeout(Duration::from_secs(60)).run();
        assert!(cut.is_err() || cut.is_ok_and(|r| r.status != 200), "{path}");
        let log = wait_until("the user harakiri", SLOW, || {
            let log = server.log();
            (log.matches("HARAKIRI (user) triggered by worker 1 core 0 !!!")
                .count()
                == killed)
                .then_some(log)
        })
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
        assert!(log.contains("*** HARAKIRI ON WORKER 1 (pid: "), "{log}");
    }
    let now = wait_until("a new worker", SLOW, || {
        let now = pid(port);
        (now != first && !now.is_empty()).then_some(now)
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert_ne!(now, first);
}
