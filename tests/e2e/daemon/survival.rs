//! App masters outlive a supervisor killed with SIGKILL and are adopted by
//! the next one, not doubled.

use super::*;

#[test]
fn a_new_supervisor_adopts_the_surviving_app_masters() {
    let (a, b) = (App::new("alpha"), App::new("beta"));
    let mut s = Supervised::start(&[&a, &b]);
    let pa = s.wait_serving(&a);
    let pb = s.wait_serving(&b);
    s.wait_state("alpha", "running");
    s.wait_state("beta", "running");
    let supervisor = ProcId::of(s.server().pid()).expect("the supervisor runs");
    s.signal(Signal::SIGKILL);
    wait_all_gone(&[supervisor], "the killed supervisor");
    let _ = s.server().wait_exit(APP_TIMEOUT);
    assert!(a.answers() && b.answers(), "the apps keep serving");

    s.launch();
    let status = s.wait_state("alpha", "running");
    assert_eq!(status.master_pid, pa, "alpha adopted");
    assert_eq!(
        s.wait_state("beta", "running").master_pid,
        pb,
        "beta adopted"
    );
    assert!(a.answers() && b.answers());
    assert!(
        s.log().contains("adopted the running app master"),
        "{}",
        s.log()
    );
    let masters = descendants(s.server().pid());
    assert!(
        masters.is_empty(),
        "no second master was started: {masters:?}"
    );

    // Adopted masters are stopped like any other.
    let procs: Vec<ProcId> = tree(pa).into_iter().chain(tree(pb)).collect();
    s.signal(Signal::SIGTERM);
    assert!(s.server().wait_exit(APP_TIMEOUT).expect("exits").success());
    wait_all_gone(&procs, "the adopted apps after SIGTERM");
}
