//! The cheaper options as uWSGI 2.0.31 checks them (its answers, pinned):
//! `cheaper = 4` with `processes = 4` makes uWSGI exit with
//! `invalid cheaper value: must be lower than processes`; an algorithm it
//! does not have (`spare2` is uWSGI 2.1's) falls back to spare with
//! `unable to find requested cheaper algorithm, falling back to spare`;
//! `cheaper-initial` is the number of workers started.

use std::process::Command;

use uwsgid_e2e::{TestDir, app_path, paths::uwsgid_bin, run_with_timeout};

use super::*;

fn check_config(ini: &str) -> (Option<i32>, String) {
    let dir = TestDir::new().expect("temp dir");
    dir.write("app.ini", ini).expect("write app.ini");
    let mut cmd = Command::new(uwsgid_bin().expect("uwsgid is built"));
    cmd.args(["--check-config", "app.ini"])
        .current_dir(dir.path());
    let out = run_with_timeout(cmd, DEFAULT_TIMEOUT).expect("uwsgid runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cheaper_must_be_lower_than_processes() {
    let app = app_path("slow_app.py");
    let (code, stderr) = check_config(&format!(
        "[uwsgi]\nhttp-socket = :0\nwsgi-file = {}\nprocesses = 4\ncheaper = 4\n",
        app.display()
    ));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "app.ini:5: option 'cheaper': invalid value '4': must be lower than processes (4)"
        ),
        "{stderr}"
    );
}

#[test]
fn an_algorithm_uwsgi_2_0_lacks_falls_back_to_spare() {
    let app = app_path("slow_app.py");
    let (code, stderr) = check_config(&format!(
        "[uwsgi]\nhttp-socket = :0\nwsgi-file = {}\nprocesses = 4\ncheaper = 1\ncheaper-algo = spare2\ncheaper-initial = 9\n",
        app.display()
    ));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("app.ini:6: option 'cheaper-algo': unable to find requested cheaper algorithm `spare2`, falling back to spare"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: invalid cheaper-initial value (9), must be lower or equal than worker count (4), using 4 as initial number of workers"),
        "{stderr}"
    );
    assert!(!stderr.contains("does not implement"), "{stderr}");
}

/// `cheaper-initial` workers start; the `manual` algorithm never changes
/// the count; `uwsgictl scale N` sets the most workers, and stops those
/// above it.
#[test]
fn initial_workers_and_scale_sets_the_maximum() {
    let app = App::start("processes = 4\ncheaper = 1\ncheaper-initial = 3\ncheaper-algo = manual");
    app.wait_workers("three workers at start", |n| n == 3);
    let scale = |processes| {
        uwsgid_e2e::control::call(&app.control, async move |mut c| {
            let req = uwsgid_proto::v1::ScaleRequest {
                processes,
                ..Default::default()
            };
            Ok(c.scale(req).await?.into_inner())
        })
    };
    let reply = scale(2).expect("scale to 2");
    assert!(
        reply.message.contains("between 1 and 2 workers"),
        "{reply:?}"
    );
    app.wait_workers("down to the new maximum", |n| n == 2);
    let err = scale(1).expect_err("no room above cheaper");
    assert!(format!("{err:#}").contains("with cheaper = 1"), "{err:#}");
    assert_eq!(serving(&app.status()), 2);
}

/// A reload starts `cheaper-initial` workers of the new generation, and
/// adaptive workers go on from there.
#[test]
fn a_reload_starts_the_initial_workers_again() {
    let mut app =
        App::start("processes = 4\ncheaper = 1\ncheaper-initial = 2\ncheaper-algo = manual");
    app.wait_workers("two workers at start", |n| n == 2);
    app.server
        .signal(nix::sys::signal::Signal::SIGHUP)
        .expect("SIGHUP");
    uwsgid_e2e::wait_for_log(&mut app.server, "generation 2 ready in", ADAPT_TIMEOUT)
        .expect("the new generation");
    let after = wait_app(&app.control, "app", ADAPT_TIMEOUT, |a| {
        a.generation == 2 && serving(a) == 2 && a.workers.iter().all(|w| w.generation == 2)
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", app.server.log()));
    assert_eq!(after.processes, 2, "{after:?}");
}
