//! Unit tests of the scoreboard layout and of sharing it across a fork.

use super::*;

#[test]
fn slots_exist_for_ids_one_to_max() {
    let board = Scoreboard::create().expect("create");
    assert!(board.slot(0).is_none());
    assert!(board.slot(1).is_some());
    assert!(board.slot(MAX_WORKERS as u32).is_some());
    assert!(board.slot(MAX_WORKERS as u32 + 1).is_none());
    assert_eq!(
        board.slot(7).map(|s| s.snapshot()),
        Some(SlotSnapshot::default())
    );
}

#[test]
fn requests_are_counted_and_cores_tracked() {
    let board = Scoreboard::create().expect("create");
    let slot = board.slot(3).expect("slot 3");
    slot.on_spawn(4242, 2, 1_000);
    slot.begin(
        1,
        5_000_000,
        &[b"127.0.0.1", b" - ", b"GET", b" ", b"/slow"],
    );
    let busy = slot.busy_cores(4);
    assert_eq!(
        busy,
        [BusyCore {
            core: 1,
            start_us: 5_000_000,
            info: "127.0.0.1 - GET /slow".into(),
        }]
    );
    slot.end(1, 300, 10, false);
    slot.end(0, 100, 5, true);
    assert!(slot.busy_cores(4).is_empty());
    let snap = slot.snapshot();
    assert_eq!(
        (
            snap.pid,
            snap.generation,
            snap.requests,
            snap.delta_requests
        ),
        (4242, 2, 2, 2)
    );
    assert_eq!(
        (snap.tx, snap.running_time_us, snap.exceptions),
        (15, 400, 1)
    );
    assert_eq!(snap.avg_rt_us, 125, "(0+300)/2 then (150+100)/2");
    assert!(snap.accepting);
    // A new process: delta restarts, totals stay.
    slot.on_spawn(4243, 3, 2_000);
    let snap = slot.snapshot();
    assert_eq!((snap.pid, snap.requests, snap.delta_requests), (4243, 2, 0));
}

#[test]
fn long_descriptions_are_cut_and_cores_beyond_max_ignored() {
    let board = Scoreboard::create().expect("create");
    let slot = board.slot(1).expect("slot");
    let long = vec![b'x'; 500];
    slot.begin(0, 1, &[&long]);
    slot.begin(MAX_CORES, 1, &[b"ignored"]);
    let busy = slot.busy_cores(MAX_CORES + 5);
    assert_eq!(busy.len(), 1);
    assert_eq!(busy[0].info.len(), INFO_BYTES);
}

#[test]
fn exit_reasons_settle_into_last_exit() {
    let board = Scoreboard::create().expect("create");
    let slot = board.slot(2).expect("slot");
    slot.on_spawn(10, 1, 0);
    slot.set_exit_reason(ExitReason::MaxRequests);
    assert_eq!(slot.settle_exit(), ExitReason::MaxRequests);
    assert_eq!(slot.last_exit(), ExitReason::MaxRequests);
    assert_eq!(slot.pid(), 0);
    // Nothing recorded next time: a crash.
    slot.on_spawn(11, 1, 0);
    assert_eq!(slot.settle_exit(), ExitReason::Unknown);
    assert!(ExitReason::ReloadOnRss.is_recycle());
    assert!(!ExitReason::Harakiri.is_recycle());
    assert_eq!(ExitReason::Harakiri.as_str(), "harakiri");
}

#[test]
fn a_forked_child_writes_what_the_parent_reads() {
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::{ForkResult, fork};
    let board = Scoreboard::create().expect("create");
    // SAFETY: the child only does atomic stores and _exit.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            if let Some(slot) = board.slot(5) {
                slot.on_spawn(std::process::id(), 9, 1);
                slot.begin(0, 77, &[b"10.0.0.1 - POST /upload"]);
                slot.end(1, 50, 3, false);
            }
            // SAFETY: ends the child without running the test harness's exit.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            assert_eq!(
                waitpid(child, None).expect("wait"),
                WaitStatus::Exited(child, 0)
            );
            let slot = board.slot(5).expect("slot");
            assert_eq!(slot.pid(), child.as_raw());
            assert_eq!(slot.snapshot().generation, 9);
            assert_eq!(slot.snapshot().requests, 1);
            let busy = slot.busy_cores(2);
            assert_eq!(busy.len(), 1);
            assert_eq!(busy[0].info, "10.0.0.1 - POST /upload");
        }
    }
}

#[test]
fn a_descriptor_maps_the_same_board() {
    let board = Scoreboard::create().expect("create");
    let fd = board
        .fd()
        .expect("the creator's fd")
        .try_clone_to_owned()
        .expect("dup");
    let other = Scoreboard::from_fd(fd).expect("map again");
    assert!(other.fd().is_none(), "a child's copy is closed once mapped");
    board.slot(4).expect("slot").on_spawn(99, 1, 0);
    assert_eq!(other.slot(4).map(WorkerSlot::pid), Some(99));
    let file = tempfile::tempfile().expect("tempfile");
    assert!(matches!(
        Scoreboard::from_fd(OwnedFd::from(file)),
        Err(ScoreboardError(MappingError::WrongSize(0, _)))
    ));
}

#[test]
fn an_old_worker_stops_writing_once_its_successor_took_the_slot() {
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::{ForkResult, fork};
    let board = Scoreboard::create().expect("create");
    let slot = board.slot(6).expect("slot");
    // SAFETY: the child only does atomic stores and _exit.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let head = crate::protocol::cgi::from_uwsgi(vec![
                ("REQUEST_METHOD".into(), "GET".into()),
                ("REQUEST_URI".into(), "/old".into()),
            ]);
            let fd = board
                .fd()
                .expect("the creator's fd")
                .try_clone_to_owned()
                .expect("dup");
            let mine = Scoreboard::from_fd(fd).expect("map");
            worker::attach(worker::install(mine), 6, 1);
            // While it owns the slot, the worker's hooks write to it.
            worker::request_started(0, std::time::Instant::now(), &head);
            let wrote = board.slot(6).is_some_and(|s| s.busy_cores(1).len() == 1);
            worker::request_finished(0, std::time::Duration::from_millis(1), 10, false);
            if !wrote || board.slot(6).map(|s| s.snapshot().requests) != Some(1) {
                // SAFETY: as below.
                unsafe { libc::_exit(1) }
            }
            // The successor takes the slot over (as its own attach would).
            if let Some(s) = board.slot(6) {
                s.on_spawn(1, 2, 0);
            }
            worker::request_started(0, std::time::Instant::now(), &head);
            worker::request_finished(0, std::time::Duration::from_millis(1), 10, false);
            // SAFETY: ends the child without running the test harness's exit.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            assert_eq!(
                waitpid(child, None).expect("wait"),
                WaitStatus::Exited(child, 0)
            );
            assert_eq!(slot.pid(), 1);
            assert!(slot.busy_cores(1).is_empty());
            // Totals stay with the slot; the old worker added nothing more.
            assert_eq!(slot.snapshot().requests, 1);
            assert_eq!(slot.snapshot().generation, 2);
        }
    }
}
