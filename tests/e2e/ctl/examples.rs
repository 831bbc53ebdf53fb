//! The example apps of `packaging/examples/` resolve cleanly and put their
//! socket where Debian's nginx setups expect it.

use std::process::Command;

use super::*;
use uwsgid_e2e::{DEFAULT_TIMEOUT, run_with_timeout, uwsgid_bin};

#[test]
fn each_example_ini_resolves_to_a_socket_in_run_uwsgi() {
    for (file, socket) in [
        ("django-mysite1.ini", "/run/uwsgi/mysite1.sock"),
        ("flask-hello.ini", "/run/uwsgi/flask-hello.sock"),
    ] {
        let ini = packaging("examples").join(file);
        let mut cmd = Command::new(uwsgid_bin().expect("built"));
        cmd.arg("--check-config").arg(&ini).arg("--json");
        let out = run_with_timeout(cmd, DEFAULT_TIMEOUT).expect("runs");
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(0), "{file}: {stderr}");
        let resolved: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        assert_eq!(
            resolved["options"]["socket"],
            serde_json::json!([socket]),
            "{file}"
        );
        assert_eq!(resolved["warnings"], serde_json::json!([]), "{file}");
    }
}
