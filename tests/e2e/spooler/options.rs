//! The spooler's options: the directory uWSGI makes, `spooler-chdir`,
//! `spooler-quiet`, `spooler-import`, what `uwsgi.spool()` refuses, and
//! the options uwsgid refuses by name.

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use super::SpoolApp;
use uwsgid_e2e::TestDir;

#[test]
fn a_missing_relative_directory_is_made_0750_where_uwsgid_started() {
    let app = SpoolApp::start("");
    let mode = std::fs::metadata(app.spool_dir())
        .expect("made")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o750);
    app.wait_log(&format!(
        "spawned the uWSGI spooler on dir {} with pid ",
        app.spool_dir().display()
    ));
}

#[test]
fn spooler_chdir_quiet_and_import() {
    let dir = TestDir::new().expect("a test dir");
    std::fs::create_dir(dir.join("elsewhere")).expect("mkdir");
    let extra = dir
        .write(
            "extra.py",
            "import os\nopen(os.path.join(os.environ['OUT'], 'imported-%d' % os.getpid()), 'w').close()\n",
        )
        .expect("write extra.py");
    let ini = format!(
        "spooler-chdir = {}\nspooler-quiet = true\nspooler-python-import = {}",
        dir.join("elsewhere").display(),
        extra.display()
    );
    let app = SpoolApp::start_in(dir, &ini);
    app.get("/job?q");
    let record = app.wait_record("job-q");
    let elsewhere = std::fs::canonicalize(app.dir.join("elsewhere")).expect("canonical");
    assert_eq!(record["cwd"], json!(elsewhere.display().to_string()));
    let pid = record["pid"].as_i64().expect("a pid");
    assert!(
        app.dir.join(&format!("out/imported-{pid}")).exists(),
        "imported in the spooler"
    );
    let log = app.server.log();
    assert!(
        !log.contains("managing request") && !log.contains("[spooler] written"),
        "{log}"
    );
}

#[test]
fn spool_refuses_what_uwsgi_refuses() {
    let app = SpoolApp::start("");
    let bytes_only = "spooler callable dictionary must contains only bytes";
    assert_eq!(
        app.get("/errors"),
        json!({
            "str_keys": bytes_only,
            "kwargs": bytes_only,
            "int_value": bytes_only,
            "bytearray_value": "True",
            "not_a_dict": "The argument of spooler callable must be a dictionary",
            "unknown_spooler": "unable to spool job",
        })
    );
    app.wait_log("[uwsgi-spooler] unable to find spooler \"/nowhere\"");
}

#[test]
fn spooler_external_is_refused_by_name() {
    let dir = TestDir::new().expect("a test dir");
    let ini = dir
        .write(
            "app.ini",
            "[uwsgi]\nhttp-socket = :0\nmodule = app\nspooler-external = x\n",
        )
        .expect("ini");
    let out = std::process::Command::new(uwsgid_e2e::uwsgid_bin().expect("uwsgid"))
        .arg("--check-config")
        .arg(&ini)
        .output()
        .expect("uwsgid runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("spooler-external"), "{stderr}");
    assert!(stderr.contains("not implemented by uwsgid"), "{stderr}");
}
