//! The apps directory is the source of truth: new, changed, removed,
//! clashing and broken files.

use super::*;

#[test]
fn a_new_ini_starts_and_a_deleted_one_stops() {
    let (a, b) = (App::new("alpha"), App::new("beta"));
    let mut s = Supervised::start(&[&a]);
    let pa = s.wait_serving(&a);
    s.write(&b, "");
    let pb = s.wait_serving(&b);
    let beta = tree(pb);
    std::fs::remove_file(s.ini_path(&b)).expect("delete beta.ini");
    wait_all_gone(&beta, "beta's processes after its ini was deleted");
    let control = s.control();
    wait_until("beta forgotten", APP_TIMEOUT, || {
        let status = control::status(&control).ok()?;
        (!names(&status).contains("beta")).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", s.log()));
    assert!(!b.answers());
    assert_eq!(s.app_status("alpha").expect("alpha").master_pid, pa);
}

#[test]
fn a_changed_ini_reloads_that_app_only() {
    let (a, b) = (App::new("alpha"), App::new("beta"));
    let mut s = Supervised::start(&[&a, &b]);
    let pa = s.wait_serving(&a);
    let pb = s.wait_serving(&b);
    let (wa, wb) = (
        a.worker_pid().expect("alpha"),
        b.worker_pid().expect("beta"),
    );
    s.write(&a, "# changed");
    let new_worker = wait_until("a new alpha worker", APP_TIMEOUT, || {
        a.worker_pid().filter(|w| *w != wa)
    })
    .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", s.log()));
    s.note(pa);
    assert_ne!(new_worker, wa);
    assert_eq!(
        s.app_status("alpha").expect("alpha").master_pid,
        pa,
        "a reload, not a restart"
    );
    assert_eq!(b.worker_pid(), Some(wb), "beta's worker untouched");
    assert_eq!(s.app_status("beta").expect("beta").master_pid, pb);
}

#[test]
fn a_name_clash_and_a_broken_ini_are_shown_as_failed() {
    let a = App::new("alpha");
    let mut s = Supervised::start(&[&a]);
    s.wait_serving(&a);
    let twin = App::new("twin");
    let twin_path = s.apps_dir().join("twin.ini");
    std::fs::write(&twin_path, twin.ini("project = alpha")).expect("write");
    std::fs::write(s.apps_dir().join("broken.ini"), "[uwsgi]\nprocesses = 0\n").expect("write");
    let clash = s.wait_state("twin.ini", "failed");
    assert!(
        clash.error.contains("name alpha is already used by"),
        "{clash:?}"
    );
    let broken = s.wait_state("broken", "failed");
    assert!(broken.error.contains("broken.ini:2"), "{broken:?}");
    assert!(!twin.answers(), "the clashing app is not started");

    // Once the name is free, the file becomes the app.
    std::fs::remove_file(s.ini_path(&a)).expect("delete alpha.ini");
    let alpha_from_twin = App {
        name: "alpha".into(),
        port: twin.port,
    };
    assert!(s.wait_serving(&alpha_from_twin) > 0);
    let alpha = s.app_status("alpha").expect("alpha, now from twin.ini");
    assert!(alpha.ini.ends_with("twin.ini"), "{alpha:?}");
}
