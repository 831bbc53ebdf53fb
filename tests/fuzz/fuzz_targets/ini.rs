//! The ini engine on arbitrary file text: the whole resolution (line grammar,
//! magic variables, `$()`/`@()`/`%()` expansion, includes, every option's
//! setter) must end with a configuration or errors, never a panic or a hang.
#![no_main]

use std::ffi::OsString;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use uwsgid::config::{Context, check_with};

/// One scratch directory per fuzzing process: the engine's cwd, holding the
/// ini file under test and a second file that `include`/`@()` may name.
fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("other.ini"), "[uwsgi]\nprocesses = 2\n")
            .expect("other.ini");
        dir
    })
}

fn context(dir: &std::path::Path) -> Context {
    Context {
        env: vec![
            ("HOME".into(), "/home/app".into()),
            ("PORT".into(), "8000".into()),
            ("UWSGI_PROCESSES".into(), "3".into()),
        ],
        cwd: dir.to_path_buf(),
        hostname: "fuzzhost".into(),
        cpus: 2,
        uid: 1000,
        user: "app".into(),
        gid: 1000,
        group: "app".into(),
        now_us: 1_700_000_000_000_000,
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = dir();
    let path = dir.path().join("uwsgi.ini");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let args: Vec<OsString> = vec!["--ini".into(), path.into_os_string()];
    let r = check_with(&args, &context(dir.path()));
    // Every error must render: the messages are what --check-config prints.
    for e in &r.errors {
        let _ = e.messages();
    }
});
