//! `uwsgi.opt` pinned against uWSGI 2.0.31: the expected values below are
//! what uWSGI 2.0.31 (pip-built, Python 3.11) printed for `repr(uwsgi.opt)`
//! with the same ini, environment and command line; only the port and the
//! paths are this test's.
//!
//! The shapes: str keys in the order first read (the `UWSGI_*` environment
//! first, then the command line with the ini spliced in at `--ini`); bytes
//! values after `%(…)`, `$(…)` and magic `%d` expansion; `True` for a bare
//! command-line flag; `b''` for a bare ini key; `set-placeholder` listed
//! with the placeholder it defines; aliases under the name written
//! (`workers`, not `processes`); short flags under their long name (`-M`
//! → `master`, `-p` → `processes`); and a repeated option keeps its last
//! value, not a list (uWSGI 2.0.31 under Python 3 never finds the key it
//! means to turn into a list).

use uwsgid_e2e::{ServerBuilder, TestDir, curl, free_port, venv, wait_http_ready};

use super::{SLOW, write_app};

#[test]
fn opt_has_uwsgi_2_0_31_shapes() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let app = write_app(&dir);
    let venv = venv().expect("the test venv");
    let ini = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\nmyvar = hello\n\
         set-placeholder = ph=world\ngreeting = %(myvar)-%(ph)\nfrom-env = $(OPT_TEST_VALUE)\n\
         chdir = %d\nenv = X=%(myvar)\nenv = Y=2\nvacuum\nprocesses = 1\nprocesses = 2\n\
         workers = 1\n",
        app.display()
    );
    dir.write("app.ini", ini).expect("write app.ini");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .env("OPT_TEST_VALUE", "fromenv")
        .env("UWSGI_LAZY_APPS", "1")
        .args(["--ini", "app.ini", "--home"])
        .arg(&venv)
        .args(["-M", "--env", "C=3", "--env", "D=4", "-p", "1"])
        .args(["--enable-threads", "--die-on-term"])
        .current_dir(dir.path())
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");
    let got = curl(port, "/opt").run().expect("curl runs").text();
    let expected = format!(
        "{{'lazy-apps': b'1', 'ini': b'app.ini', 'master': True, \
         'http-socket': b'127.0.0.1:{port}', 'wsgi-file': b'{app}', 'myvar': b'hello', \
         'set-placeholder': b'ph=world', 'ph': b'world', 'greeting': b'hello-world', \
         'from-env': b'fromenv', 'chdir': b'{dir}/', 'env': b'D=4', 'vacuum': b'', \
         'processes': b'1', 'workers': b'1', 'home': b'{venv}', 'enable-threads': True, \
         'die-on-term': True}}",
        app = app.display(),
        dir = dir.path().display(),
        venv = venv.display(),
    );
    assert_eq!(got, expected);
}
