//! A uwsgid installed in a virtualenv (`pip install` puts it into
//! `VENV/bin/`) runs the app inside that venv with no `home=`: the seed's
//! `test.py`, importing a module that exists only in the venv, answers 200
//! on `--http`, and the app sees the venv's prefix and CPython version.
//!
//! The binary is the harness's ([`uwsgid_bin`]). In scripts/test's runs for
//! the other CPythons it is the one `pip install` of the checkout put into
//! that version's venv (`UWSGID_TEST_BIN_DIR=VENV/bin`); in the main run it
//! is this build's uwsgid copied into a fresh venv of the test venv's
//! CPython, which checks the same detection without pip.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use uwsgid_e2e::{
    DEFAULT_TIMEOUT, Server, ServerBuilder, TestDir, fixture_path, free_port, uwsgid_bin,
    venv_major_minor, venv_python, wait_http_ready,
};

/// The seed's `test.py` (uWSGI's quickstart app), importing the venv-only
/// module first: it loads only when the app runs inside the venv.
const TEST_PY: &str = "import uwsgid_venv_probe  # exists only in the venv\n\n\
def application(env, start_response):\n    \
start_response('200 OK', [('Content-Type','text/html')])\n    \
return [b\"Hello World\"]\n";

/// A venv with uwsgid in its `bin/` and the probe module in its
/// site-packages: `(venv, its uwsgid)`.
fn installed_uwsgid(dir: &TestDir) -> (PathBuf, PathBuf) {
    let bin = uwsgid_bin().expect("uwsgid under test");
    let home = bin.parent().and_then(Path::parent);
    if let Some(venv) = home.filter(|venv| venv.join("pyvenv.cfg").is_file()) {
        return (venv.to_path_buf(), bin.clone());
    }
    let venv = dir.join("venv");
    let status = Command::new(venv_python().expect("the test venv"))
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("run python -m venv");
    assert!(
        status.success(),
        "python -m venv {}: {status}",
        venv.display()
    );
    let copy = venv.join("bin/uwsgid");
    std::fs::copy(&bin, &copy).expect("copy uwsgid into the venv");
    let probe = fixture_path("venv/uwsgid_venv_probe.py");
    std::fs::copy(probe, site_packages(&venv).join("uwsgid_venv_probe.py")).expect("copy probe");
    (venv, copy)
}

/// `VENV/lib/python3.X/site-packages`.
fn site_packages(venv: &Path) -> PathBuf {
    std::fs::read_dir(venv.join("lib"))
        .expect("VENV/lib")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("site-packages"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| panic!("no site-packages in {}", venv.display()))
}

/// `uwsgid --http 127.0.0.1:PORT --wsgi-file APP` from `dir`, ready.
fn serve(uwsgid: &Path, dir: &TestDir, app: &Path, log: &str) -> (Server, u16) {
    let port = free_port().expect("port");
    let mut server = ServerBuilder::new(uwsgid, dir.join(log))
        .arg("--http")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--wsgi-file")
        .arg(app)
        .current_dir(dir.path())
        .start()
        .expect("start uwsgid");
    wait_http_ready(&mut server, port, DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    (server, port)
}

#[test]
fn an_installed_uwsgid_serves_its_own_venv_without_home() {
    let dir = TestDir::new().expect("temp dir");
    let (venv, uwsgid) = installed_uwsgid(&dir);
    let venv = venv.canonicalize().expect("venv path");

    let test_py = dir.write("test.py", TEST_PY).expect("write test.py");
    let (mut server, port) = serve(&uwsgid, &dir, &test_py, "test.log");
    let hello = uwsgid_e2e::curl(port, "/").run().expect("GET /");
    assert_eq!(
        (hello.status, hello.text()),
        (200, "Hello World".to_owned()),
        "{}",
        server.log()
    );
    assert!(
        server
            .log()
            .contains("uwsgid is installed in the virtualenv"),
        "{}",
        server.log()
    );
    server.stop().expect("stop uwsgid");

    let info_app = uwsgid_e2e::app_path("venv_app.py");
    let (server, port) = serve(&uwsgid, &dir, &info_app, "info.log");
    let info: Value = uwsgid_e2e::curl(port, "/")
        .run()
        .and_then(|r| r.json())
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let inside = |key: &Value| {
        key.as_str()
            .and_then(|p| Path::new(p).canonicalize().ok())
            .is_some_and(|p| p.starts_with(&venv))
    };
    assert!(inside(&info["prefix"]), "sys.prefix is the venv: {info}");
    assert!(
        inside(&info["probe"]["file"]),
        "the venv-only module: {info}"
    );
    let version = format!("{}.{}", info["version"][0], info["version"][1]);
    assert_eq!(
        version,
        venv_major_minor(&venv).expect("venv version"),
        "{info}"
    );
}
