//! The seed configuration (`tests/fixtures/ini/seed.ini`, a copy of
//! /work/shared/examples/uwsgi.ini) resolves to exactly what it means.

use super::{Dir, ok};
use crate::config::{AppConfig, ListenAddr, ListenSpec, Protocol};
use std::path::PathBuf;

const SEED: &str = include_str!("../../../../tests/fixtures/ini/seed.ini");

#[test]
fn seed_resolves_exactly() {
    let d = Dir::new();
    let r = ok(d.ini(SEED));
    let expected = AppConfig {
        ini: Some(std::fs::canonicalize(d.path("uwsgi.ini")).expect("canonical")),
        name: Some("mysite1".into()),
        uid: Some("www-data".into()),
        gid: Some("www-data".into()),
        home: Some(PathBuf::from("/home/user1/Env/mysite1")),
        chdir: Some(PathBuf::from("/home/user1/mysite1")),
        module: Some("mysite1.wsgi:application".into()),
        master: true,
        processes: 2,
        sockets: vec![ListenSpec {
            protocol: Protocol::Uwsgi,
            address: ListenAddr::Unix(PathBuf::from("/run/uwsgi/mysite1.sock")),
            option: "socket".into(),
            raw: "/run/uwsgi/mysite1.sock".into(),
        }],
        chown_socket: Some("www-data:www-data".into()),
        chmod_socket: Some(0o664),
        pidfile: Some(PathBuf::from("/tmp/mysite1-master.pid")),
        daemonize: Some(PathBuf::from("/var/log/uwsgi/mysite1.log")),
        vacuum: true,
        max_requests: 5000,
        harakiri: 60,
        harakiri_verbose: true,
        buffer_size: 65536,
        post_buffering: 65536,
        memory_report: true,
        reload_mercy: Some(10),
        reload_on_as: Some(1024 * 1024 * 1024),
        // Checked below.
        exported_options: r.app.exported_options.clone(),
        ..AppConfig::default()
    };
    assert_eq!(r.app, expected);
    // `uwsgi.opt`: every line in order, as written after expansion.
    let keys: Vec<&str> = r
        .app
        .exported_options
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "ini",
            "uid",
            "gid",
            "project",
            "base",
            "home",
            "chdir",
            "module",
            "master",
            "processes",
            "socket",
            "chown-socket",
            "chmod-socket",
            "pidfile",
            "daemonize",
            "vacuum",
            "max-requests",
            "harakiri",
            "harakiri-verbose",
            "buffer-size",
            "post-buffering",
            "memory-report",
            "reload-mercy",
            "reload-on-as"
        ]
    );
    let value = |key: &str| {
        r.app
            .exported_options
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.clone())
    };
    assert_eq!(value("home").as_deref(), Some("/home/user1/Env/mysite1"));
    assert_eq!(value("master").as_deref(), Some("True"));
    assert_eq!(r.app.worker_reload_mercy, 60);
    // No value keeps a comment, and the seed draws no warning at all.
    for v in r.options.values() {
        assert!(!v.to_string().contains('#'), "{v}");
    }
    assert_eq!(r.warnings, Vec::<String>::new());
}

#[test]
fn seed_options_as_check_config_reports_them() {
    let r = ok(Dir::new().ini(SEED));
    let o = serde_json::Value::Object(r.options);
    assert_eq!(o["socket"], serde_json::json!(["/run/uwsgi/mysite1.sock"]));
    assert_eq!(o["chmod-socket"], "664");
    assert_eq!(o["reload-on-as"], 1024);
    assert_eq!(o["processes"], 2);
    assert_eq!(o["master"], true);
    assert!(o.get("project").is_none(), "placeholders are not options");
}
