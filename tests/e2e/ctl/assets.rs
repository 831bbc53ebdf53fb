//! `packaging/build-assets` (completions and man pages from the binaries)
//! and the packaging files the Debian metadata of `uwsgid/Cargo.toml` names.

use std::process::Command;

use super::*;
use uwsgid_e2e::{DEFAULT_TIMEOUT, run_with_timeout};

fn gunzip(path: &Path) -> String {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run gzip on {}: {e}", path.display()));
    assert!(out.status.success(), "gzip -dc {}", path.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn build_assets_writes_completions_and_man_pages() {
    let dir = TestDir::new().expect("temp dir");
    let bin_dir = uwsgid_e2e::paths::uwsgictl_bin()
        .expect("built")
        .parent()
        .expect("target dir")
        .to_path_buf();
    let mut cmd = Command::new(packaging("build-assets"));
    cmd.arg("--bin-dir")
        .arg(&bin_dir)
        .arg("--out")
        .arg(dir.path());
    let out = run_with_timeout(cmd, DEFAULT_TIMEOUT).expect("runs");
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));

    let completions = dir.join("completions");
    assert!(read(&completions.join("uwsgictl")).contains("_uwsgictl()"));
    assert!(read(&completions.join("_uwsgictl")).starts_with("#compdef uwsgictl"));
    assert!(read(&completions.join("uwsgictl.fish")).contains("complete -c uwsgictl"));

    let man = dir.join("man");
    let main_page = gunzip(&man.join("uwsgictl.1.gz"));
    assert!(
        main_page.starts_with(".ie \\n(.g"),
        "roff: {main_page:.200}"
    );
    assert!(main_page.contains("Exit codes"), "{main_page}");
    for sub in ["status", "reload", "logs", "check"] {
        let page = gunzip(&man.join(format!("uwsgictl-{sub}.1.gz")));
        assert!(page.contains(&format!("uwsgictl\\-{sub}")), "{sub}: {page}");
    }
    assert!(!man.join("uwsgictl-__man.1.gz").exists());
    let uwsgid_page = gunzip(&man.join("uwsgid.1.gz"));
    assert!(uwsgid_page.contains("uwsgid"), "{uwsgid_page}");
}

#[test]
fn build_assets_names_a_missing_binary() {
    let dir = TestDir::new().expect("temp dir");
    let mut cmd = Command::new(packaging("build-assets"));
    cmd.arg("--bin-dir")
        .arg(dir.path())
        .arg("--out")
        .arg(dir.join("out"));
    let out = run_with_timeout(cmd, DEFAULT_TIMEOUT).expect("runs");
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not built"), "{stderr}");
}

/// Every `../packaging/…` or `../README.md` source in the `.deb` assets of
/// `uwsgid/Cargo.toml` exists (globs: at least one match), so `cargo deb`
/// does not fail on a renamed file.
#[test]
fn the_debian_metadata_names_existing_files() {
    let manifest = read(&repo_root().join("uwsgid/Cargo.toml"));
    let (_, deb) = manifest
        .split_once("[package.metadata.deb]")
        .expect("uwsgid/Cargo.toml has [package.metadata.deb]");
    let sources: Vec<&str> = deb
        .split('"')
        .filter(|s| s.starts_with("../") && !s.starts_with("../target/"))
        .collect();
    assert!(sources.len() >= 8, "{sources:?}");
    let uwsgid = repo_root().join("uwsgid");
    for source in sources {
        match source.split_once('*') {
            Some((dir, suffix)) => {
                let mut entries = std::fs::read_dir(uwsgid.join(dir))
                    .unwrap_or_else(|e| panic!("{source}: {e}"))
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().ends_with(suffix));
                assert!(entries.next().is_some(), "{source} matches nothing");
            }
            None => assert!(uwsgid.join(source).exists(), "{source} does not exist"),
        }
    }
    for asset in ["target/release/uwsgid", "target/release/uwsgictl"] {
        assert!(deb.contains(asset), "{asset} is not shipped");
    }
    // cargo-deb installs `<unit-scripts>/uwsgid.service` and enables it.
    assert!(deb.contains("unit-scripts = \"../packaging/systemd/\""));
    assert!(packaging("systemd/uwsgid.service").is_file());
}
