//! Vassals run as another user: `emperor-tyrant` (each as its file's
//! owner; root-owned files refused; a chown restarts it as the new owner)
//! and the Emperor's own `uid`/`gid` (every vassal as that user). These
//! tests run as root, as an Emperor that drops privileges does.

use nix::unistd::{Gid, Uid, chown};

use super::*;

/// www-data on Debian and Ubuntu.
const WWW_DATA: u32 = 33;
/// nobody / nogroup.
const NOBODY: u32 = 65534;

fn assert_root() {
    assert!(
        Uid::effective().is_root(),
        "these tests check uids and must run as root"
    );
}

fn own(path: &Path, id: u32) {
    chown(path, Some(Uid::from_raw(id)), Some(Gid::from_raw(id))).expect("chown");
}

#[test]
fn a_tyrant_runs_each_vassal_as_its_owner_and_refuses_root_owned_files() {
    assert_root();
    let dir = open_dir();
    let (a, b) = (free_port().expect("port"), free_port().expect("port"));
    let a_ini = dir.write("vassals/a.ini", vassal(a, "")).expect("write");
    dir.write("vassals/b.ini", vassal(b, "")).expect("write");
    own(&a_ini, WWW_DATA);
    dir.write(
        "emperor.ini",
        format!(
            "[uwsgi]\nemperor = {}/*.ini\nemperor-tyrant = true\nemperor-freq = 1\n",
            dir.join("vassals").display()
        ),
    )
    .expect("write");
    let server = start_emperor(&dir, &["--ini", "emperor.ini"]);
    let first = wait_running(&dir, &server, "a", 1);
    assert_eq!(uid_of(first.master_pid), Some(WWW_DATA));
    for worker in &first.workers {
        assert_eq!(uid_of(worker.pid), Some(WWW_DATA), "{worker:?}");
    }
    assert!(answer(a, "/").starts_with("pid="));
    wait_until("b refused", WAIT, || {
        server
            .log()
            .contains("[emperor-tyrant] invalid permissions for vassal")
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert!(
        curl(b, "/").run().is_err(),
        "a root-owned vassal never runs"
    );
    let log = server.log();
    assert!(
        log.contains(&format!(
            "[emperor-tyrant] dropping privileges to {WWW_DATA} {WWW_DATA} for instance a.ini"
        )),
        "{log}"
    );

    // The unprivileged master serves its control API on the socket the
    // supervisor bound for it: a reload through uwsgictl works.
    let socket = control(&dir).display().to_string();
    let out = uwsgictl(&["--socket", &socket, "reload", "a"]).expect("uwsgictl runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    wait_app(&control(&dir), "a", WAIT, |s| s.generation == 2)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));

    // A new owner: the vassal is stopped and started again as that user.
    own(&a_ini, NOBODY);
    let again = wait_app(&control(&dir), "a", WAIT, |s| {
        s.state == "running" && s.master_pid != first.master_pid && s.master_pid != 0
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    assert_eq!(uid_of(again.master_pid), Some(NOBODY));
    assert!(
        server.log().contains("permissions of vassal"),
        "{}",
        server.log()
    );
    stop(server, None);
}

#[test]
fn the_emperor_s_uid_and_gid_are_every_vassal_s() {
    assert_root();
    let dir = open_dir();
    let port = free_port().expect("port");
    dir.write("vassals/app.ini", vassal(port, ""))
        .expect("write");
    dir.write(
        "emperor.ini",
        format!(
            "[uwsgi]\nemperor = {}\nuid = www-data\ngid = www-data\n",
            dir.join("vassals").display()
        ),
    )
    .expect("write");
    let server = start_emperor(&dir, &["--ini", "emperor.ini"]);
    let app = wait_running(&dir, &server, "app", 1);
    assert_eq!(uid_of(app.master_pid), Some(WWW_DATA));
    assert!(answer(port, "/").starts_with("pid="));
    stop(server, None);
}
