//! The command line: `--option value`, `--option=value`, `--flag`, short
//! flags, bare ini files, in order with the ini files spliced in.

use super::{Dir, errors, ok};
use crate::config::{ListenAddr, Protocol};
use std::path::Path;

#[test]
fn http_and_wsgi_file() {
    let r = ok(Dir::new().run(&["--http", ":8080", "--wsgi-file", "test.py"]));
    assert_eq!(r.app.sockets.len(), 1);
    assert_eq!(r.app.sockets[0].protocol, Protocol::Http);
    assert_eq!(
        r.app.sockets[0].address,
        ListenAddr::Tcp {
            host: "0.0.0.0".into(),
            port: 8080
        }
    );
    assert_eq!(r.app.wsgi_file.as_deref(), Some(Path::new("test.py")));
    let r = ok(Dir::new().run(&["--http", ":8000", "--module", "myproject.wsgi"]));
    assert_eq!(r.app.module.as_deref(), Some("myproject.wsgi"));
}

#[test]
fn equals_flags_and_short_options() {
    let r = ok(Dir::new().run(&[
        "--module=a.b",
        "-p",
        "4",
        "-M",
        "-s",
        "/tmp/x.sock",
        "-w",
        "c.d",
        "-t60",
        "-R",
        "100",
        "-b",
        "8192",
        "-H",
        "/venv",
        "--vacuum",
        "--chmod-socket",
        "-l",
        "64",
        "-m",
        "-d",
        "/log",
        "--enable-threads",
    ]));
    let a = &r.app;
    assert_eq!(a.module.as_deref(), Some("c.d"));
    assert_eq!(
        (
            a.processes,
            a.harakiri,
            a.max_requests,
            a.buffer_size,
            a.listen
        ),
        (4, 60, 100, 8192, 64)
    );
    assert!(a.master && a.vacuum && a.memory_report);
    assert_eq!(a.sockets[0].address, ListenAddr::Unix("/tmp/x.sock".into()));
    assert_eq!(a.home.as_deref(), Some(Path::new("/venv")));
    assert_eq!(a.chmod_socket, Some(0o666), "a bare --chmod-socket is 666");
    assert_eq!(a.daemonize.as_deref(), Some(Path::new("/log")));
}

#[test]
fn order_env_then_args_with_ini_spliced() {
    let d = Dir::new()
        .env("UWSGI_PROCESSES", "2")
        .env("UWSGI_THREADS", "2");
    d.write(
        "a.ini",
        "[uwsgi]\nprocesses = 4\nthreads = 4\nlisten = 10\n",
    );
    let r = ok(d.run(&["--processes", "8", "--ini", "a.ini", "--threads", "6"]));
    assert_eq!((r.app.processes, r.app.threads, r.app.listen), (4, 6, 10));
    let r = ok(d.run(&["a.ini", "--processes", "3"]));
    assert_eq!(r.app.processes, 3);
    d.write("b.ini", "[uwsgi]\nprocesses = 1\n[prod]\nprocesses = 12\n");
    let r = ok(d.run(&["b.ini:prod"]));
    assert_eq!(r.app.processes, 12);
}

#[test]
fn check_config_flags_are_not_options() {
    let r = ok(Dir::new().run(&["--json", "--check-config", "--master"]));
    assert!(r.app.master);
}

#[test]
fn set_on_the_command_line() {
    let d = Dir::new();
    d.write("a.ini", "[uwsgi]\nhttp = 127.0.0.1:%(port)\n");
    let r = ok(d.run(&["--set-ph", "port=8123", "a.ini"]));
    assert_eq!(
        r.app.sockets[0].address,
        ListenAddr::Tcp {
            host: "127.0.0.1".into(),
            port: 8123
        }
    );
    let r = ok(d.run(&["-S", "processes=3", "--set", "threads=2"]));
    assert_eq!((r.app.processes, r.app.threads), (3, 2));
}

#[test]
fn unimplemented_options_take_their_value() {
    let r = ok(Dir::new().run(&[
        "--static-cache-paths",
        "30",
        "--processes",
        "2",
        "--carbon",
        "127.0.0.1:2003",
    ]));
    assert_eq!(r.app.processes, 2);
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    assert!(r.warnings[0].starts_with("option `static-cache-paths` (command line argument 1)"));
}

#[test]
fn command_line_errors() {
    let d = Dir::new();
    assert_eq!(
        errors(&d.run(&["--proccesses", "2"])),
        ["command line: unknown option '--proccesses' (did you mean '--processes'?)"]
    );
    assert_eq!(
        errors(&d.run(&["--module"])),
        ["command line: option '--module' needs a value"]
    );
    assert_eq!(
        errors(&d.run(&["-j"])),
        ["command line: unknown option '-j'"]
    );
    assert_eq!(
        errors(&d.run(&["app.py"])),
        [
            "command line: unexpected argument 'app.py' (options start with --, ini files end in .ini)"
        ]
    );
    assert_eq!(
        errors(&d.run(&["missing.ini"])),
        [
            "command line argument 1: option 'ini': cannot read 'missing.ini': No such file or directory (os error 2)"
        ]
    );
    assert_eq!(
        errors(&d.run(&["--chmod-socket=0660"])),
        [
            "command line argument 1: option 'chmod-socket': invalid value '0660': expected three octal digits such as 664"
        ]
    );
    let r = d.run(&["--ini", ":dev"]);
    assert!(
        errors(&r)[0].contains("no ini file was loaded before"),
        "{:?}",
        errors(&r)
    );
}

#[test]
fn environment_option_errors_name_the_variable() {
    let d = Dir::new().env("UWSGI_PROCESSES", "-3");
    assert_eq!(
        errors(&d.run(&[])),
        [
            "environment variable UWSGI_PROCESSES: option 'processes': invalid value '-3': must be > 0"
        ]
    );
}

#[test]
fn silent_noops_take_a_value_on_the_command_line() {
    let r = ok(Dir::new().run(&["--plugins", "python3", "--thunder-lock", "--master"]));
    assert!(r.app.master);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}
