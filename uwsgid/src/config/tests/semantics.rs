//! Option semantics after expansion: environment order, aliases, setters,
//! error messages, unimplemented and unknown options, logic blocks.

use super::{Dir, errors, ini, ok};

#[test]
fn environment_options_come_before_the_command_line() {
    let d = Dir::new()
        .env("UWSGI_MAX_REQUESTS", "5")
        .env("UWSGI_PROCESSES", "3")
        .env("UWSGI_RELOADS", "2");
    let r = ok(d.ini("[uwsgi]\nprocesses = 6\n"));
    assert_eq!((r.app.max_requests, r.app.processes), (5, 6));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn aliases() {
    let r = ok(ini(
        "[uwsgi]\nvirtualenv = /v\nwsgi = m\nfile = f.py\nchmod = 600\nstats-server = :9191\nworker-reload-mercy = 5\n",
    ));
    assert_eq!(r.app.home.as_deref(), Some(std::path::Path::new("/v")));
    assert_eq!(r.app.module.as_deref(), Some("m"));
    assert_eq!(
        r.app.wsgi_file.as_deref(),
        Some(std::path::Path::new("f.py"))
    );
    assert_eq!(r.app.chmod_socket, Some(0o600));
    assert_eq!(r.app.stats.as_deref(), Some(":9191"));
    assert_eq!(r.app.worker_reload_mercy, 5);
    assert!(r.app.master, "stats turns the master on, as in uWSGI");
    for a in ["venv", "pyhome", "home"] {
        let r = ok(ini(&format!("[uwsgi]\n{a} = /e\n")));
        assert_eq!(
            r.app.home.as_deref(),
            Some(std::path::Path::new("/e")),
            "{a}"
        );
    }
}

#[test]
fn setter_semantics() {
    let r = ok(ini(
        "[uwsgi]\nmaster = nope\nvacuum = OFF\nharakiri = 30s\nmax-requests = 7x\nreload-on-rss = 2\nlimit-as = 1\n",
    ));
    assert!(r.app.master && !r.app.vacuum);
    assert_eq!((r.app.harakiri, r.app.max_requests), (30, 7));
    assert_eq!(
        (r.app.reload_on_rss, r.app.limit_as),
        (Some(2 << 20), Some(1 << 20))
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w == "uwsgi.ini:4: option 'harakiri': non-numeric value '30s', using 30")
    );
    let r = ok(ini("[uwsgi]\nharakiri = true\n"));
    assert_eq!(r.app.harakiri, 0);
}

#[test]
fn error_messages_name_file_line_option() {
    let r = ini(
        "[uwsgi]\nmaster = true\nchmod-socket = 0660\nprocesses = -1\nsocket = :http\nenv = NOEQ\nchmod-socket\n",
    );
    assert_eq!(
        errors(&r),
        [
            "uwsgi.ini:3: option 'chmod-socket': invalid value '0660': expected three octal digits such as 664",
            "uwsgi.ini:4: option 'processes': invalid value '-1': must be > 0",
            "uwsgi.ini:5: option 'socket': invalid value ':http': expected host:port with a port number 0-65535, got port 'http'",
            "uwsgi.ini:6: option 'env': invalid value 'NOEQ': expected KEY=VALUE",
            "uwsgi.ini:7: option 'chmod-socket': invalid value '': expected three octal digits such as 664",
        ]
    );
    let r = ini("[uwsgi]\nprocesses = 0\nthreads = true\nhttp = :$(NO_SUCH_PORT)\n");
    let e = errors(&r);
    assert!(
        e[0].starts_with("uwsgi.ini:4: option 'http'")
            && e[0].contains("environment variable is not set"),
        "{e:?}"
    );
    assert_eq!(
        e[1],
        "uwsgi.ini:2: option 'processes': invalid value '0': must be at least 1"
    );
    assert_eq!(e.len(), 2, "{e:?}");
    // `threads = true` reads as 0, which uWSGI runs as one thread.
    assert_eq!(r.app.threads, 1);
    assert!(
        r.warnings
            .iter()
            .any(|w| w
                == "uwsgi.ini:3: option 'threads': 0 means one thread per worker, as in uWSGI"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn unimplemented_noop_and_unknown_options() {
    let r = ok(ini(
        "[uwsgi]\nplugins = python3\nplugin = python\nthunder-lock = true\nsingle-interpreter\nauto-procname\nprocname-prefix = x\n\
         enable-threads = true\nstatic-cache-paths = 30\nproccesses = 4\nmax_requests = 9\nproject = p\n",
    ));
    assert_eq!(
        r.warnings,
        [
            "option `static-cache-paths` (uwsgi.ini:9) is a uWSGI option uwsgid does not implement; ignored",
            "uwsgi.ini:10: option 'proccesses': unknown option, not used as a %(placeholder) either (did you mean 'processes'?); ignored",
            "uwsgi.ini:11: option 'max_requests': unknown option, not used as a %(placeholder) either (did you mean 'max-requests'?); ignored",
        ]
    );
    assert_eq!(r.app.max_requests, 0, "uWSGI does not normalise _ to -");
}

#[test]
fn strict_turns_unknown_keys_into_errors() {
    let r = ini("[uwsgi]\nstrict = true\nproccesses = 4\nstatic-map = /s=/srv\n");
    assert_eq!(
        errors(&r),
        [
            "uwsgi.ini:3: option 'proccesses': unknown option, not used as a %(placeholder) either (did you mean 'processes'?)"
        ]
    );
}

#[test]
fn unparseable_input() {
    let d = Dir::new();
    d.write("bin.ini", b"[uwsgi]\nmaster = 1\n\x00\x01\x02");
    let r = d.run(&["bin.ini"]);
    assert_eq!(
        errors(&r),
        ["bin.ini:3: binary data (a NUL byte): this is not an ini file"]
    );
    d.write("latin.ini", b"[uwsgi]\nmodule = caf\xe9\n");
    let r = ok(d.run(&["latin.ini"]));
    assert_eq!(r.app.module.as_deref(), Some("caf\u{fffd}"));
    assert!(r.warnings[0].starts_with("latin.ini:2: invalid UTF-8"));
    d.write(
        "merge.ini",
        "[uwsgi]\n<<<<<<< HEAD\nprocesses = 2\n=======\nprocesses = 4\n>>>>>>> branch\n",
    );
    let r = d.run(&["merge.ini"]);
    assert_eq!(
        errors(&r),
        ["merge.ini:2: unresolved git conflict marker '<<<<<<< HEAD': resolve the merge first"]
    );
}

#[test]
fn name_is_project_else_ini_stem() {
    let d = Dir::new();
    d.write("shop.ini", "[uwsgi]\nprocesses = 2\n");
    assert_eq!(ok(d.run(&["shop.ini"])).app.name.as_deref(), Some("shop"));
    assert_eq!(ok(d.run(&["--processes", "2"])).app.name, None);
}

#[test]
fn logic_blocks() {
    let d = Dir::new().env("DEBUG", "3");
    let r = ok(d.ini(
        "[uwsgi]\nif-env = DEBUG\nprocesses = %(_)\nendif\nif-env = NOPE\nthreads = 9\nend\n\
         if-not-env = NOPE\nlisten = 77\nendif\nfor = /a /b\ntouch-reload = %(_)\nendfor\n",
    ));
    assert_eq!((r.app.processes, r.app.threads, r.app.listen), (3, 1, 77));
    assert_eq!(
        r.app.touch_reload,
        [
            std::path::PathBuf::from("/a"),
            std::path::PathBuf::from("/b")
        ]
    );
}

#[test]
fn escaped_percent_before_a_paren_becomes_a_placeholder() {
    // uWSGI 2.0.31: `%%(a)` → `%(a)` after the magic pass → the value of a.
    let r = ok(ini("[uwsgi]\na = 2\nprocesses = %%(a)\n"));
    assert_eq!(r.app.processes, 2);
}

#[test]
fn more_logic_blocks() {
    let d = Dir::new();
    d.write("paths.txt", "/p1\n/p2\r\n");
    let r = ok(d.ini(
        "[uwsgi]\nif-plugin = python3\nprocesses = 3\nendif\nif-not-plugin = python\nthreads = 9\nendif\n\
         for-readline = paths.txt\ntouch-reload = %(_)\nendfor\nfor-times = 2\npythonpath = /x%(_)\nendfor\n\
         for-glob = *.py\nlisten = 5\nendfor\n",
    ));
    assert_eq!((r.app.processes, r.app.threads, r.app.listen), (3, 1, 100));
    assert_eq!(
        r.app.touch_reload,
        [
            std::path::PathBuf::from("/p1"),
            std::path::PathBuf::from("/p2")
        ]
    );
    assert_eq!(
        r.app.pythonpath,
        [
            std::path::PathBuf::from("/x1"),
            std::path::PathBuf::from("/x2")
        ]
    );
    assert!(
        r.warnings[0].starts_with("uwsgi.ini:14: option 'for-glob': not supported"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn limit_post_and_http_header_underscores() {
    use crate::config::HeaderUnderscores;
    let r = ok(ini("[uwsgi]\nprocesses = 1\n"));
    assert_eq!(r.app.limit_post, 0, "no limit by default, as in uWSGI");
    assert_eq!(r.app.http_header_underscores, HeaderUnderscores::Drop);
    let r = ok(ini(
        "[uwsgi]\nlimit-post = 52428800\nhttp-header-underscores = Keep\n",
    ));
    assert_eq!(r.app.limit_post, 50 * 1024 * 1024);
    assert_eq!(r.app.http_header_underscores, HeaderUnderscores::Keep);
    assert!(r.warnings.is_empty(), "implemented: {:?}", r.warnings);
    assert_eq!(
        super::opt(&r, "http-header-underscores"),
        Some(&serde_json::json!("keep"))
    );
    let r = ok(ini("[uwsgi]\nhttp-header-underscores = refuse\n"));
    assert_eq!(r.app.http_header_underscores, HeaderUnderscores::Refuse);
    let r = ini("[uwsgi]\nhttp-header-underscores = allow\n");
    assert_eq!(
        errors(&r),
        [
            "uwsgi.ini:2: option 'http-header-underscores': invalid value 'allow': expected one of drop, refuse, keep"
        ]
    );
}

#[test]
fn static_file_options() {
    let r = ok(ini("[uwsgi]\n\
         static-map = /static=/srv/static\n\
         static-map = /media=/srv/media\n\
         static-map2 = /s2=/srv\n\
         static-check = /srv/root\n\
         static-index = index.html\n\
         static-skip-ext = .py\n\
         static-safe = /usr/share\n\
         static-expires-uri = \\.css$ 3600\n\
         static-expires-type-mtime = image/png=60\n\
         honour-range = true\n\
         mime-file = /etc/my.types\n\
         offload-thread = 4\n"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let s = &r.app.static_files;
    let prefixes: Vec<_> = s.maps.iter().map(|m| m.prefix.as_str()).collect();
    assert_eq!(prefixes, ["/static", "/media"]);
    assert_eq!(s.maps2.len(), 1);
    assert_eq!(s.check, [std::path::PathBuf::from("/srv/root")]);
    assert_eq!((s.index.len(), s.skip_ext.len(), s.safe.len()), (1, 1, 1));
    assert_eq!(s.expires.len(), 2);
    assert!(s.expires[1].from_mtime);
    assert!(s.honour_range);
    assert_eq!(s.offload_threads, 4);
    assert!(s.is_active());

    for (line, wanted) in [
        ("static-map = /static", "static-map"),
        ("static-expires = (unclosed 10", "static-expires"),
        ("static-expires-type = text/css", "static-expires-type"),
    ] {
        let r = ini(&format!("[uwsgi]\n{line}\n"));
        let e = errors(&r);
        assert!(e.iter().any(|m| m.contains(wanted)), "{line}: {e:?}");
    }
}

/// uWSGI 2.0.31: `invalid min-worker-lifetime value (10), must be lower
/// than max-worker-lifetime (2)` (the default minimum is 10 s).
#[test]
fn a_max_worker_lifetime_under_the_minimum_is_refused() {
    let r = ini("[uwsgi]\nmax-worker-lifetime = 2\n");
    assert_eq!(
        errors(&r),
        [
            "uwsgi.ini:2: option 'max-worker-lifetime': invalid value '2': invalid min-worker-lifetime value (10), must be lower than max-worker-lifetime (2)"
        ]
    );
    let r = ini(
        "[uwsgi]\nmax-worker-lifetime = 2\nmin-worker-lifetime = 1\nmax-worker-lifetime-delta = 3\n",
    );
    assert!(errors(&r).is_empty());
    assert_eq!(
        (r.app.max_worker_lifetime, r.app.max_worker_lifetime_delta),
        (Some(2), 3)
    );
}
