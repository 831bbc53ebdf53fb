//! Starting, restarting after a crash, and stopping everything.

use super::*;

#[test]
fn both_apps_run_and_sigterm_stops_every_process() {
    let (a, b) = (App::new("alpha"), App::new("beta"));
    let mut s = Supervised::start(&[&a, &b]);
    let pa = s.wait_serving(&a);
    let pb = s.wait_serving(&b);
    assert_ne!(pa, pb);
    let status = s.status();
    assert_eq!(
        names(&status),
        BTreeSet::from(["alpha".into(), "beta".into()])
    );
    for app in &status {
        assert!(app.ini.ends_with(&format!("{}.ini", app.name)), "{app:?}");
    }
    let log = std::fs::read_to_string(s.dir.join("log/alpha.log")).unwrap_or_default();
    assert!(
        !log.is_empty(),
        "the app's output goes to <log-dir>/alpha.log"
    );

    let mut procs = tree(pa);
    procs.extend(tree(pb));
    assert!(procs.len() >= 4, "two masters with workers: {procs:?}");
    s.signal(Signal::SIGTERM);
    let status = s
        .server()
        .wait_exit(APP_TIMEOUT)
        .expect("the supervisor exits");
    assert!(
        status.success(),
        "exit 0 after stopping every app: {status}"
    );
    wait_all_gone(&procs, "every app process after SIGTERM");
    assert!(!s.control().exists(), "the control socket is removed");
}

#[test]
fn a_killed_app_master_is_restarted_with_a_new_pid() {
    let (a, b) = (App::new("alpha"), App::new("beta"));
    let mut s = Supervised::start(&[&a, &b]);
    let pa = s.wait_serving(&a);
    let pb = s.wait_serving(&b);
    let old = tree(pa);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(pa).expect("pid")),
        Signal::SIGKILL,
    )
    .expect("kill the app master");
    let control = s.control();
    let restarted = wait_until("a new alpha master", APP_TIMEOUT, || {
        let entry = control::status(&control)
            .ok()?
            .into_iter()
            .find(|x| x.name == "alpha")?;
        (entry.master_pid > 0 && entry.master_pid != pa && a.answers()).then_some(entry)
    })
    .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", s.log()));
    s.note(restarted.master_pid);
    assert_eq!(restarted.restarts, 1, "{restarted:?}");
    assert_eq!(
        s.app_status("beta").expect("beta").master_pid,
        pb,
        "beta untouched"
    );
    assert!(s.log().contains("ended with signal 9"), "{}", s.log());
    wait_all_gone(&old, "the killed master's workers");
}

#[test]
fn a_stopped_app_stays_stopped_across_a_supervisor_restart() {
    let (a, b) = (App::new("alpha"), App::new("beta"));
    let mut s = Supervised::start(&[&a, &b]);
    let pa = s.wait_serving(&a);
    s.wait_serving(&b);
    let alpha = tree(pa);
    s.stop_or_start("alpha", false);
    wait_all_gone(&alpha, "alpha's processes after stop");
    s.wait_state("alpha", "stopped");
    let state = std::fs::read_to_string(s.dir.join("state/state.json")).expect("state file");
    assert!(state.contains("alpha"), "{state}");

    s.signal(Signal::SIGTERM);
    s.server()
        .wait_exit(APP_TIMEOUT)
        .expect("the supervisor exits");
    s.launch();
    s.wait_serving(&b);
    let alpha = s.wait_state("alpha", "stopped");
    assert_eq!(alpha.master_pid, 0);
    assert!(!a.answers(), "alpha stays stopped");

    s.stop_or_start("alpha", true);
    s.wait_serving(&a);
    let state = std::fs::read_to_string(s.dir.join("state/state.json")).expect("state file");
    assert!(!state.contains("alpha"), "{state}");
}
