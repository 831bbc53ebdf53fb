//! uWSGI's reference passes: `$(ENV)`, `@(file)`, `include`, immediate
//! options and `set`.

use super::{Dir, errors, ini, ok};
use crate::config::ListenAddr;

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
