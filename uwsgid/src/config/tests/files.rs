//! uWSGI's ini semantics, one rule per test, including the reference's odd
//! cases.

use super::{Dir, errors, ini, ok, opt};
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

#[test]
fn environment_references() {
    let d = Dir::new()
        .env("EMPTY", "")
        .env("PORT", "8001")
        .env("HOME", "/home/u");
    let r = ok(d.ini(
        "[uwsgi]\nhttp = :$(PORT)\nchdir = $(HOME)/app\nlogto = $(EMPTY:-/d.log)\npidfile = x$(EMPTY-/dash)y\n\
         daemonize = $(UNSET_VAR)\nmodule = $(UNSET_VAR:-app)\ncallable = $(UNSET_VAR-cb)\n",
    ));
    assert_eq!(
        r.app.sockets[0].address,
        ListenAddr::Tcp {
            host: "0.0.0.0".into(),
            port: 8001
        }
    );
    assert_eq!(
        r.app.chdir.as_deref(),
        Some(std::path::Path::new("/home/u/app"))
    );
    assert_eq!(r.app.logto.as_deref(), Some(std::path::Path::new("/d.log")));
    assert_eq!(r.app.pidfile.as_deref(), Some(std::path::Path::new("xy")));
    assert_eq!(
        r.app.daemonize.as_deref(),
        Some(std::path::Path::new("$(UNSET_VAR)"))
    );
    assert_eq!(r.app.module.as_deref(), Some("app"));
    assert_eq!(r.app.callable, "cb");
}

#[test]
fn file_references() {
    let d = Dir::new();
    d.write("mod.txt", "proj.wsgi\n\n");
    d.write("cb.txt", "app\r");
    let r =
        ok(d.ini("[uwsgi]\nmodule = @(mod.txt)\ncallable = @(cb.txt)\nchdir = @(missing.txt)\n"));
    assert_eq!(r.app.module.as_deref(), Some("proj.wsgi\n"));
    assert_eq!(r.app.callable, "app");
    assert_eq!(
        r.app.chdir.as_deref(),
        Some(std::path::Path::new("@(missing.txt)"))
    );
    assert!(
        r.warnings[0].starts_with("uwsgi.ini:4: option 'chdir': @(missing.txt): cannot read"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn includes_are_spliced_in_place_relative_to_cwd() {
    let d = Dir::new();
    d.write(
        "conf/base.ini",
        "[uwsgi]\nprocesses = 3\nthreads = 3\n[extra]\nlisten = 50\n",
    );
    let r = ok(d.ini(
        "[uwsgi]\nprocesses = 1\nini = conf/base.ini\nthreads = 8\ninclude = conf/base.ini:extra\n",
    ));
    assert_eq!((r.app.processes, r.app.threads, r.app.listen), (3, 8, 50));
    // `ini = :section` reads another section of the same file.
    let r = ok(d.ini("[uwsgi]\nini = :base\nprocesses = 2\n[base]\nthreads = 6\nprocesses = 9\n"));
    assert_eq!((r.app.processes, r.app.threads), (2, 6));
    // Relative to the cwd, not to the including file.
    d.write("conf/inner.ini", "[uwsgi]\nini = base.ini\n");
    let r = d.run(&["--ini", "conf/inner.ini"]);
    assert_eq!(errors(&r).len(), 1);
    assert!(
        errors(&r)[0].starts_with("conf/inner.ini:2: option 'ini': cannot read 'base.ini'"),
        "{:?}",
        errors(&r)
    );
}

#[test]
fn include_loops_are_errors() {
    let r = ini("[uwsgi]\nini = uwsgi.ini\n");
    assert!(
        errors(&r)[0].contains("more than 32 deep"),
        "{:?}",
        errors(&r)
    );
}

#[test]
fn immediate_options_are_not_expanded() {
    let r = ini("[uwsgi]\nname = other\nini = %(name).ini\n");
    assert!(
        errors(&r)[0].contains("cannot read '%(name).ini'"),
        "{:?}",
        errors(&r)
    );
}

#[test]
fn set_and_placeholders() {
    let r = ok(ini(
        "[uwsgi]\nset = processes=4\nset-ph = base=/srv\nset-placeholder = app=shop\nchdir = %(base)/%(app)\n",
    ));
    assert_eq!(r.app.processes, 4);
    assert_eq!(
        r.app.chdir.as_deref(),
        Some(std::path::Path::new("/srv/shop"))
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let r = ini("[uwsgi]\nset-ph = processes=4\n");
    assert_eq!(
        errors(&r),
        [
            "uwsgi.ini:2: option 'set-ph': you cannot use processes as a placeholder, it is already available as an option"
        ]
    );
    let r = ini("[uwsgi]\nset = noequals\n");
    assert!(errors(&r)[0].starts_with("uwsgi.ini:2: option 'set': invalid value 'noequals'"));
}

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
         enable-threads = true\nstatic-map = /s=/srv\nproccesses = 4\nmax_requests = 9\nproject = p\n",
    ));
    assert_eq!(
        r.warnings,
        [
            "option `static-map` (uwsgi.ini:9) is a uWSGI option uwsgid does not implement; ignored",
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
