//! `uwsgid --check-config` end to end: the real binary resolves the seed
//! configuration exactly, reports errors with `file:line`, and reads every
//! file of the shared corpus of real-world ini files without crashing.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The uwsgid binary next to this test executable (`target/debug/uwsgid`).
fn uwsgid() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/debug/deps/e2e-… → target/debug/uwsgid
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("uwsgid"))
        .expect("target directory");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p uwsgid` first",
        bin.display()
    );
    bin
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

/// The shared corpus of ini files: `<repo>/../shared/corpus/ini`, else
/// `/work/shared/corpus/ini`.
fn corpus() -> PathBuf {
    let candidates = [
        repo().join("../shared/corpus/ini"),
        PathBuf::from("/work/shared/corpus/ini"),
    ];
    candidates
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| panic!("the ini corpus is missing; looked in {candidates:?}"))
}

struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs uwsgid with `args` in `cwd`, without `UWSGI_*` variables, and waits
/// at most 30 s (then kills it by pid and fails).
fn run(args: &[&str], cwd: &Path) -> Output {
    let mut cmd = Command::new(uwsgid());
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("UWSGI_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().expect("spawn uwsgid");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("uwsgid {args:?} did not finish within 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: String::from_utf8_lossy(&out_t.join().expect("stdout thread")).into_owned(),
        stderr: String::from_utf8_lossy(&err_t.join().expect("stderr thread")).into_owned(),
    }
}

#[test]
fn seed_check_config_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let seed = repo().join("tests/fixtures/ini/seed.ini");
    let out = run(
        &[
            "--check-config",
            seed.to_str().expect("utf-8 path"),
            "--json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    let expected = serde_json::json!({
        "uid": "www-data",
        "gid": "www-data",
        "home": "/home/user1/Env/mysite1",
        "chdir": "/home/user1/mysite1",
        "module": "mysite1.wsgi:application",
        "master": true,
        "processes": 2,
        "socket": ["/run/uwsgi/mysite1.sock"],
        "chown-socket": "www-data:www-data",
        "chmod-socket": "664",
        "pidfile": "/tmp/mysite1-master.pid",
        "daemonize": "/var/log/uwsgi/mysite1.log",
        "vacuum": true,
        "max-requests": 5000,
        "harakiri": 60,
        "harakiri-verbose": true,
        "buffer-size": 65536,
        "post-buffering": 65536,
        "memory-report": true,
        "reload-mercy": 10,
        "reload-on-as": 1024,
    });
    assert_eq!(v["options"], expected);
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn check_config_for_a_person_and_with_options() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("app.ini"),
        "[uwsgi]\nprocesses = 2\nsocket = :3031\nproccesses = 3\n",
    )
    .expect("write");
    let out = run(
        &["--check-config", "app.ini", "--master", "--http", ":8080"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", out.stderr);
    assert_eq!(
        out.stdout,
        "http = :8080\nmaster = true\nprocesses = 2\nsocket = :3031\n"
    );
    assert!(
        out.stderr.contains("app.ini:4: option 'proccesses'")
            && out.stderr.contains("did you mean 'processes'")
    );
}

#[test]
fn check_config_errors_exit_1_with_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("bad.ini"),
        "[uwsgi]\nmaster = 1\nchmod-socket = 0660\n",
    )
    .expect("write");
    let out = run(&["--check-config", "bad.ini", "--json"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let msg = "bad.ini:3: option 'chmod-socket': invalid value '0660': expected three octal digits such as 664";
    assert!(out.stderr.contains(msg), "stderr: {}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["errors"], serde_json::json!([msg]));
    assert_eq!(v["options"]["master"], true);
}

#[test]
fn the_whole_corpus_resolves_or_fails_cleanly() {
    let dir = corpus();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ini"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no ini files in {}", dir.display());
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut resolved, mut failed) = (0, Vec::new());
    // Files whose every option is implemented, and how many files use
    // each option that is not.
    let mut complete = 0;
    let mut missing: std::collections::BTreeMap<String, usize> = Default::default();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let out = run(
            &["--check-config", f.to_str().expect("utf-8 path")],
            tmp.path(),
        );
        match out.status.code() {
            Some(0) => {
                resolved += 1;
                let ignored = ignored_options(&out.stderr);
                if ignored.is_empty() {
                    complete += 1;
                }
                for option in ignored {
                    *missing.entry(option).or_default() += 1;
                }
            }
            Some(1) => {
                let first = out
                    .stderr
                    .lines()
                    .find(|l| l.starts_with("uwsgid: error: "))
                    .unwrap_or_else(|| {
                        panic!("{name}: exit 1 without an error line: {}", out.stderr)
                    })
                    .to_string();
                let located = first.contains(".ini:")
                    && first
                        .split(".ini:")
                        .nth(1)
                        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
                assert!(
                    located,
                    "{name}: the error does not name file:line: {first}"
                );
                failed.push(format!("{name}: {first}"));
            }
            other => panic!(
                "{name}: uwsgid exited with {other:?} ({}), stderr: {}",
                out.status, out.stderr
            ),
        }
    }
    println!(
        "{resolved} of {} corpus files resolved; {} failed:",
        files.len(),
        failed.len()
    );
    for f in &failed {
        println!("  {f}");
    }
    println!(
        "{complete} of {} corpus files ({}%) use only options uwsgid implements",
        files.len(),
        complete * 100 / files.len()
    );
    let mut by_use: Vec<_> = missing.into_iter().collect();
    by_use.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let listed: Vec<String> = by_use.iter().map(|(o, n)| format!("{o} {n}")).collect();
    println!(
        "options still ignored, by files using them: {}",
        listed.join(", ")
    );
    assert!(
        resolved > failed.len(),
        "most real configurations must resolve"
    );
}

/// The options a `--check-config` run warned it does not implement.
fn ignored_options(stderr: &str) -> BTreeSet<String> {
    stderr
        .lines()
        .filter(|l| l.contains("uwsgid does not implement"))
        .filter_map(|l| {
            let rest = &l[l.find("option `")? + "option `".len()..];
            Some(rest[..rest.find('`')?].to_owned())
        })
        .collect()
}
