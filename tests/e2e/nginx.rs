//! The deployments of `shared/examples/nginx.md`, with a real nginx in front
//! of uwsgid: `uwsgi_pass` to a unix socket, `uwsgi_pass` to TCP, and
//! `proxy_pass` to an HTTP socket. Each carries the environ app and the Django
//! project; the uwsgi protocol's limits (`buffer-size`, `post-buffering`) are
//! checked where nginx users meet them: big cookies and big uploads.

use std::ffi::OsString;
use std::time::Duration;

use serde_json::Value;
use uwsgid_e2e::{
    HttpApp, Nginx, TestDir, app_path, django_project, free_port, repo_root, sha256_file, venv,
};

/// How nginx reaches the app.
#[derive(Debug, Clone, Copy)]
enum Setup {
    UwsgiUnix,
    UwsgiTcp,
    ProxyHttp,
}

const SETUPS: [Setup; 3] = [Setup::UwsgiUnix, Setup::UwsgiTcp, Setup::ProxyHttp];

/// uwsgid serving `app_args` plus the socket `setup` needs, and nginx in
/// front of it. The app's own `http-socket` (from [`HttpApp`]) is only used
/// to know when it is ready. Field order stops nginx before uwsgid.
struct Deployment {
    nginx: Nginx,
    app: HttpApp,
    _dir: TestDir,
}

fn deploy(setup: Setup, app_args: &[OsString]) -> Deployment {
    let dir = TestDir::new().expect("temp dir");
    let mut args = app_args.to_vec();
    let upstream = match setup {
        Setup::UwsgiUnix => {
            let socket = dir.join("app.sock");
            args.extend(["--socket".into(), socket.clone().into_os_string()]);
            format!("unix:{}", socket.display())
        }
        Setup::UwsgiTcp => {
            let addr = format!("127.0.0.1:{}", free_port().expect("port"));
            args.extend(["--socket".into(), addr.clone().into()]);
            addr
        }
        Setup::ProxyHttp => String::new(),
    };
    let app = HttpApp::start_args(&args).expect("uwsgid serves");
    let nginx = match setup {
        Setup::ProxyHttp => Nginx::proxy_pass(&dir, &format!("http://127.0.0.1:{}", app.port)),
        _ => Nginx::uwsgi_pass(&dir, &upstream),
    }
    .expect("nginx starts");
    Deployment {
        nginx,
        app,
        _dir: dir,
    }
}

fn environ_app(extra: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "--wsgi-file".into(),
        app_path("environ_app.py").into_os_string(),
        "--processes".into(),
        "1".into(),
    ];
    args.extend(extra.iter().map(OsString::from));
    args
}

fn environ_of(response: &uwsgid_e2e::Response) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().expect("JSON")["environ"].clone()
}

#[test]
fn the_environ_is_what_nginx_sent_and_pep_3333_clean() {
    for setup in SETUPS {
        let d = deploy(setup, &environ_app(&[]));
        let got = d
            .nginx
            .curl("/some/where?x=1&y=%20z")
            .run()
            .expect("GET through nginx");
        let env = environ_of(&got);
        assert_eq!(env["SCRIPT_NAME"], "", "{setup:?}: {env}");
        assert_eq!(env["PATH_INFO"], "/some/where", "{setup:?}: {env}");
        assert_eq!(env["QUERY_STRING"], "x=1&y=%20z", "{setup:?}: {env}");
        assert_eq!(env["REMOTE_ADDR"], "127.0.0.1", "{setup:?}: {env}");
        assert_eq!(env["REQUEST_METHOD"], "GET", "{setup:?}: {env}");

        let posted = d
            .nginx
            .curl("/form")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .data("a=1&b=2")
            .run()
            .expect("POST through nginx");
        let env = environ_of(&posted);
        assert_eq!(env["CONTENT_TYPE"], "application/x-www-form-urlencoded");
        assert_eq!(env["CONTENT_LENGTH"], "7", "{setup:?}: {env}");
        for duplicate in ["HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"] {
            assert!(
                env.get(duplicate).is_none(),
                "{setup:?}: {duplicate} in {env}"
            );
        }
        assert_eq!(posted.json().expect("JSON")["body"], "a=1&b=2");
    }
}

fn django_args() -> Vec<OsString> {
    vec![
        "--chdir".into(),
        django_project().expect("Django project").into_os_string(),
        "--module".into(),
        "testsite.wsgi:application".into(),
        "--home".into(),
        venv().expect("venv").into_os_string(),
        "--processes".into(),
        "2".into(),
    ]
}

#[test]
fn the_django_project_answers_get_and_post_behind_nginx() {
    for setup in SETUPS {
        let d = deploy(setup, &django_args());
        let hello = d.nginx.curl("/hello/").run().expect("GET");
        assert_eq!(hello.status, 200, "{setup:?}: {}", hello.text());
        assert_eq!(hello.text(), "hello from django\n");
        let form = d
            .nginx
            .curl("/form/")
            .form_field("name", "uwsgid")
            .form_field("name", "nginx")
            .run()
            .expect("POST");
        assert_eq!(form.status, 200, "{setup:?}: {}", form.text());
        let fields = form.json().expect("JSON");
        assert_eq!(fields["name"], serde_json::json!(["uwsgid", "nginx"]));
    }
}

/// A 10 KB cookie makes nginx's uwsgi vars block larger than uWSGI's default
/// `buffer-size` of 4096.
fn big_cookie() -> String {
    format!("session={}", "c".repeat(10_000))
}

#[test]
fn a_big_cookie_passes_with_a_big_buffer_size() {
    let d = deploy(Setup::UwsgiUnix, &environ_app(&["--buffer-size", "65536"]));
    let got = d
        .nginx
        .curl("/")
        .header("Cookie", &big_cookie())
        .run()
        .expect("GET with a cookie");
    let env = environ_of(&got);
    assert_eq!(env["HTTP_COOKIE"], big_cookie());
}

#[test]
fn a_big_cookie_over_the_default_buffer_size_is_refused_and_logged() {
    let d = deploy(Setup::UwsgiUnix, &environ_app(&[]));
    let got = d
        .nginx
        .curl("/")
        .header("Cookie", &big_cookie())
        .run()
        .expect("GET with a cookie");
    assert_eq!(got.status, 502, "{}", got.text());
    let log = d.app.log();
    assert!(
        log.contains("invalid request block size: ") && log.contains("(max 4096)...skip"),
        "{log}"
    );
    // The worker lives on: the next request is served.
    let next = d.nginx.curl("/").run().expect("GET");
    assert_eq!(next.status, 200, "{}", next.text());
}

#[test]
fn a_20_mb_upload_through_nginx_arrives_intact_with_post_buffering() {
    let d = deploy(
        Setup::UwsgiUnix,
        &environ_app(&["--post-buffering", "65536", "--buffer-size", "65536"]),
    );
    let upload = d
        .app
        .dir
        .write(
            "upload.bin",
            (0..20_000_000u32)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<u8>>(),
        )
        .expect("write the upload");
    let got = d
        .nginx
        .curl("/upload")
        .data_file(&upload)
        .timeout(Duration::from_secs(60))
        .run()
        .expect("POST 20 MB through nginx");
    assert_eq!(got.status, 200, "{}", got.text());
    let answer = got.json().expect("JSON");
    assert_eq!(answer["body_length"], 20_000_000);
    assert_eq!(answer["body_sha256"], sha256_file(&upload).expect("digest"));
}

/// The server blocks shipped in `packaging/nginx/` are ones nginx accepts
/// (`nginx -t`), with Debian's `uwsgi_params`.
#[test]
fn the_packaged_nginx_configs_are_valid() {
    let dir = TestDir::new().expect("temp dir");
    let nginx = uwsgid_e2e::nginx::nginx_bin().expect("nginx is installed");
    let configs = repo_root().join("packaging/nginx");
    let mut checked = 0;
    for entry in std::fs::read_dir(&configs).expect("packaging/nginx") {
        let server = entry.expect("a directory entry").path();
        let root = dir.join(&format!("check-{checked}"));
        std::fs::create_dir_all(&root).expect("a prefix");
        let main = format!(
            "pid {root}/nginx.pid;\nerror_log {root}/error.log;\nevents {{}}\n\
             http {{\n  access_log off;\n  include {server};\n}}\n",
            root = root.display(),
            server = server.display()
        );
        let conf = dir
            .write(&format!("check-{checked}/nginx.conf"), main)
            .expect("write the main config");
        let out = std::process::Command::new(&nginx)
            .arg("-t")
            .arg("-p")
            .arg(&root)
            .arg("-c")
            .arg(&conf)
            .output()
            .expect("run nginx -t");
        assert!(
            out.status.success(),
            "{}: {}",
            server.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert_eq!(checked, 3, "the three setups");
}
