//! `home=`: the app runs inside the virtualenv (prefix, site-packages first),
//! with the interpreter uwsgid embeds.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::Value;
use uwsgid_e2e::{HttpApp, venv, venv_major_minor};

fn info(app: &HttpApp) -> Value {
    let response = app.curl("/").run().expect("GET");
    assert_eq!(response.status, 200);
    response.json().expect("JSON")
}

fn canonical(path: &Value) -> PathBuf {
    let text = path
        .as_str()
        .unwrap_or_else(|| panic!("not a path: {path}"));
    Path::new(text)
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(text))
}

fn is_inside(path: &Value, dir: &Path) -> bool {
    canonical(path).starts_with(dir)
}

#[test]
fn home_runs_the_app_inside_the_virtualenv() {
    let venv = venv()
        .expect("the test venv")
        .canonicalize()
        .expect("venv path");
    let app = HttpApp::start("venv_app.py", &[OsStr::new("--home"), venv.as_os_str()])
        .expect("uwsgid serves");
    let got = info(&app);
    assert_eq!(canonical(&got["prefix"]), venv, "sys.prefix: {got}");
    assert_ne!(
        canonical(&got["base_prefix"]),
        venv,
        "base_prefix is the real CPython: {got}"
    );
    let version = format!("{}.{}", got["version"][0], got["version"][1]);
    assert_eq!(
        version,
        venv_major_minor(&venv).expect("venv version"),
        "the venv's CPython: {got}"
    );
    assert!(
        is_inside(&got["probe"]["file"], &venv),
        "venv-only module: {got}"
    );
    assert!(
        is_inside(&got["django"]["file"], &venv),
        "Django comes from the venv: {got}"
    );
    // Flask is also installed in the base CPython: the venv's must win.
    assert!(
        is_inside(&got["flask"]["file"], &venv),
        "Flask comes from the venv: {got}"
    );
}

#[test]
fn without_home_the_venv_only_module_is_missing() {
    let venv = venv()
        .expect("the test venv")
        .canonicalize()
        .expect("venv path");
    let app = HttpApp::start("venv_app.py", &["--processes", "1"]).expect("uwsgid serves");
    let got = info(&app);
    assert_ne!(canonical(&got["prefix"]), venv, "{got}");
    assert!(
        got["probe"]["error"].is_string(),
        "the probe exists only in the venv: {got}"
    );
}
