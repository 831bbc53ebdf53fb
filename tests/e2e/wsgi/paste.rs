//! `paste = config:FILE` loads a PasteDeploy app (its `[app:main]`
//! factory gets the section's settings), `paste-logger` applies the file's
//! logging sections, as uWSGI 2.0.31 does (its line `Loading paste
//! environment: config:FILE` and the factory's log line through the
//! configured format were pinned from a real uWSGI run of the same ini);
//! `no-site` starts the interpreter without `site` (`python -S`).

use uwsgid_e2e::{
    DEFAULT_TIMEOUT, ServerBuilder, TestDir, app_path, curl, free_port, venv, wait_http_ready,
};

const PASTE_SECTIONS: &str = "\
[app:main]
paste.app_factory = paste_app:factory
greeting = hello from paste

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = plain

[logger_root]
level = INFO
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_plain]
format = PASTE-LOG %(name)s: %(message)s
";

/// Serves `app.ini` (a `[uwsgi]` section with `extra`, then the paste
/// sections) with `--ini app.ini`, and returns the answer to `/` and the
/// log.
fn serve(extra: &str) -> (String, String) {
    serve_with(extra, "--ini")
}

fn serve_with(extra: &str, how: &str) -> (String, String) {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let apps = app_path("paste_app.py");
    let apps = apps.parent().expect("the apps dir");
    let text = format!(
        "[uwsgi]\nhttp-socket = 127.0.0.1:{port}\npythonpath = {}\n{extra}\n\n{PASTE_SECTIONS}",
        apps.display()
    );
    std::fs::write(dir.join("app.ini"), text).expect("write app.ini");
    answer(&dir, port, &[how, "app.ini"])
}

/// Runs `uwsgid ARGS` in `dir` until it answered `/` on `port`; returns
/// the answer and the log.
fn answer(dir: &TestDir, port: u16, args: &[&str]) -> (String, String) {
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(args)
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let body = curl(port, "/").run().expect("curl").text();
    server.stop().expect("uwsgid stops");
    (body, server.log())
}

#[test]
fn paste_loads_the_app_and_paste_logger_its_logging() {
    let venv = venv().expect("the test venv (PasteDeploy)");
    let extra = format!(
        "home = {}\npaste = config:%p\npaste-logger = true",
        venv.display()
    );
    let (body, log) = serve(&extra);
    assert_eq!(body, "hello from paste no_site=0", "{log}");
    assert!(log.contains("Loading paste environment: config:/"), "{log}");
    assert!(log.contains("/app.ini\n"), "{log}");
    assert!(
        log.contains("PASTE-LOG paste_app: paste app built with greeting hello from paste"),
        "{log}"
    );
}

/// `ini-paste-logged app.ini`: the `[uwsgi]` section, then the file's app
/// and its logging, as `paste = config:/abs/app.ini` with `paste-logger`.
#[test]
fn ini_paste_logged_reads_the_uwsgi_section_then_loads_the_app() {
    let venv = venv().expect("the test venv (PasteDeploy)");
    let (body, log) = serve_with(&format!("home = {}", venv.display()), "--ini-paste-logged");
    assert_eq!(body, "hello from paste no_site=0", "{log}");
    assert!(log.contains("Loading paste environment: config:/"), "{log}");
    assert!(
        log.contains("PASTE-LOG paste_app: paste app built"),
        "{log}"
    );
}

#[test]
fn no_site_starts_python_without_site() {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    let app = dir.join("flags.py");
    std::fs::write(
        &app,
        "import sys\n\ndef application(environ, start_response):\n    \
         body = str(sys.flags.no_site).encode() + b' ' + str('site' in sys.modules).encode()\n    \
         start_response('200 OK', [('Content-Length', str(len(body)))])\n    return [body]\n",
    )
    .expect("write the app");
    let addr = format!("127.0.0.1:{port}");
    let args = [
        "--http-socket",
        &addr,
        "--wsgi-file",
        "flags.py",
        "--no-site",
    ];
    let (body, log) = answer(&dir, port, &args);
    assert_eq!(body, "1 False", "{log}");
}
