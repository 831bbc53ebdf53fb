//! uWSGI's ini semantics, one rule per test, including the reference's odd
//! cases.

use super::{Dir, ini, ok, opt};
use crate::config::{ListenAddr, Protocol};
use serde_json::json;

#[test]
fn default_section_other_sections_and_blocks() {
    let body = "[uwsgi]\nprocesses = 2\n[dev]\nprocesses = 7\n[uwsgi]\nthreads = 3\n";
    let d = Dir::new();
    let r = ok(d.ini(body));
    assert_eq!((r.app.processes, r.app.threads), (2, 3));
    let r = ok(d.run(&["--ini", "uwsgi.ini:dev"]));
    assert_eq!(r.app.processes, 7);
    // `--ini :section`: that section of the last ini file loaded.
    let r = ok(d.run(&["--ini", "uwsgi.ini", "--ini", ":dev"]));
    assert_eq!(r.app.processes, 7);
}

#[test]
fn missing_section_warns_like_uwsgi() {
    let d = Dir::new();
    d.write("a.ini", "[app]\nprocesses = 2\n");
    let r = ok(d.run(&["a.ini"]));
    assert_eq!(
        r.warnings,
        ["*** WARNING: Can't find section \"uwsgi\" in INI configuration file a.ini ***"]
    );
}

#[test]
fn comments_split_bare_keys_and_crlf() {
    let r = ok(ini(
        "[uwsgi]\r\n; c\r\n# c\r\n  module = a.b:c=d \r\nmaster\r\nvacuum=\r\n",
    ));
    assert_eq!(r.app.module.as_deref(), Some("a.b:c=d"));
    assert!(r.app.master && r.app.vacuum);
}

#[test]
fn scalars_last_wins_lists_accumulate() {
    let r = ok(ini(
        "[uwsgi]\nprocesses = 2\nworkers = 5\nsocket = /a.sock\nhttp-socket = :8000\nsocket = 127.0.0.1:3031\n\
         env = A=1\nenv = B=2\npythonpath = /x\npython-path = /y\ntouch-reload = /t1\ntouch-reload = /t2\n",
    ));
    assert_eq!(r.app.processes, 5);
    let socks: Vec<_> = r
        .app
        .sockets
        .iter()
        .map(|s| (s.option.as_str(), s.protocol))
        .collect();
    assert_eq!(
        socks,
        [
            ("socket", Protocol::Uwsgi),
            ("http-socket", Protocol::Http),
            ("socket", Protocol::Uwsgi)
        ]
    );
    assert_eq!(
        r.app.env,
        [("A".into(), "1".into()), ("B".into(), "2".into())]
    );
    assert_eq!(r.app.pythonpath.len(), 2);
    assert_eq!(r.app.touch_reload.len(), 2);
    assert_eq!(
        opt(&r, "socket"),
        Some(&json!(["/a.sock", "127.0.0.1:3031"]))
    );
}

#[test]
fn socket_addresses_and_protocols() {
    let r = ok(ini(
        "[uwsgi]\nuwsgi-socket = @abs\nhttp = :9090\nhttp11-socket = [::1]:80\nsocket = rel.sock\nprotocol = http\n",
    ));
    let a: Vec<_> = r
        .app
        .sockets
        .iter()
        .map(|s| (s.address.clone(), s.protocol))
        .collect();
    assert_eq!(
        a,
        [
            (ListenAddr::Abstract("abs".into()), Protocol::Uwsgi),
            (
                ListenAddr::Tcp {
                    host: "0.0.0.0".into(),
                    port: 9090
                },
                Protocol::Http
            ),
            (
                ListenAddr::Tcp {
                    host: "::1".into(),
                    port: 80
                },
                Protocol::Http
            ),
            (ListenAddr::Unix("rel.sock".into()), Protocol::Http),
        ]
    );
}

#[test]
fn placeholders_earlier_later_custom_and_missing() {
    let r = ok(ini(
        "[uwsgi]\nchdir = %(base)/%(project)\nbase = /srv\nproject = shop\nmodule = %(project).wsgi\nlogto = %(nothing)/x\n",
    ));
    assert_eq!(
        r.app.chdir.as_deref(),
        Some(std::path::Path::new("/srv/shop"))
    );
    assert_eq!(r.app.module.as_deref(), Some("shop.wsgi"));
    // A name nothing defines stays as written (uWSGI's log-format relies on it).
    assert_eq!(
        r.app.logto.as_deref(),
        Some(std::path::Path::new("%(nothing)/x"))
    );
    assert_eq!(r.app.name.as_deref(), Some("shop"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn first_value_of_a_placeholder_wins() {
    let r = ok(ini("[uwsgi]\nx = 1\nx = 2\nprocesses = %(x)\n"));
    assert_eq!(r.app.processes, 1);
}

#[test]
fn placeholder_arithmetic() {
    let r = ok(ini(
        "[uwsgi]\na = 2\nb = 9\nprocesses = %(a + 1)\nthreads = %(a b)\nlisten = %(b * a - 3)\nharakiri = %(a / 0)\n",
    ));
    assert_eq!(
        (r.app.processes, r.app.threads, r.app.listen, r.app.harakiri),
        (3, 29, 15, 0)
    );
    let r = ok(ini(
        "[uwsgi]\nprocesses = %(%k + 1)\nthreads = %(missing + 2)\nlisten = %(a ++)\na = 41\n",
    ));
    assert_eq!((r.app.processes, r.app.threads, r.app.listen), (5, 2, 42));
}

#[test]
fn magic_variables() {
    let d = Dir::new();
    d.write(
        "conf/site.ini",
        "[uwsgi]\nlogto = %d%n.log\npidfile = %v/%s.%e.%x\nchdir = %c\nprocesses = %k\n",
    );
    let r = ok(d.run(&["--ini", "conf/site.ini"]));
    let dir = std::fs::canonicalize(d.path("conf")).expect("canonical");
    assert_eq!(r.app.logto, Some(dir.join("site.log")));
    let cwd = d.tmp.path().display();
    assert_eq!(
        r.app.pidfile.as_deref().map(|p| p.display().to_string()),
        Some(format!("{cwd}/site.ini.ini.uwsgi"))
    );
    assert_eq!(r.app.chdir.as_deref(), Some(std::path::Path::new("conf")));
    assert_eq!(r.app.processes, 4);
    assert_eq!(r.app.name.as_deref(), Some("site"));
}

#[test]
fn magic_odd_cases() {
    // `%o` is the file name as given; any undefined letter after % is deleted.
    let r = ok(ini("[uwsgi]\ncallable = 50%off\nmodule = 100%%\n"));
    assert_eq!(r.app.callable, "50uwsgi.iniff");
    assert_eq!(r.app.module.as_deref(), Some("100%"));
    // `%` at the end of a line joins the next one: the comment eats `processes`.
    let r = ok(ini("[uwsgi]\n# up to 100%\nprocesses = 4\nthreads = 2\n"));
    assert_eq!((r.app.processes, r.app.threads), (1, 2));
}

#[test]
fn header_with_comment_names_another_section() {
    let r = ok(ini("[uwsgi] ; main\nprocesses = 4\n"));
    assert_eq!(r.app.processes, 1);
    assert_eq!(r.warnings.len(), 1);
}

#[test]
fn inline_comments_are_stripped_before_expansion() {
    let r = ok(ini(
        "[uwsgi]\nmaster = false # x\nprocesses = 2 # workers\nproject = p  # name\nmodule = %(project).wsgi ; m\n",
    ));
    assert!(!r.app.master);
    assert_eq!(r.app.processes, 2);
    assert_eq!(r.app.module.as_deref(), Some("p.wsgi"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}
