//! Chain reload (`touch-chain-reload`, the master FIFO's `c`), as uWSGI's:
//! one worker at a time, the next only once the new one is ready. The log
//! tells the order: each new worker's birth comes after the previous
//! slot's `chain next victim is worker N`, so at most one worker more than
//! `processes` runs; a load of clients loses no request.

use super::*;
use crate::master::stop_cleanly;

/// The log's chain events, in order: `Born(id)` for a new worker of
/// `generation`, `Victim(id)` for an old one told to finish.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Born(u32),
    Victim(u32),
}

fn steps(log: &str, generation: u64) -> Vec<Step> {
    let born_suffix = format!("generation: {generation})");
    log.lines()
        .filter_map(|line| {
            if let Some(rest) = line.strip_prefix("chain next victim is worker ") {
                return rest.trim().parse().ok().map(Step::Victim);
            }
            let rest = line.strip_prefix("spawned uWSGI worker ")?;
            if !rest.ends_with(&born_suffix) {
                return None;
            }
            rest.split(' ').next()?.parse().ok().map(Step::Born)
        })
        .collect()
}

fn chain_reload(extra: &str, trigger: impl FnOnce(&TestDir)) {
    let dir = TestDir::new().expect("temp dir");
    let port = free_port().expect("a free port");
    dir.write("chain.txt", "").expect("touch file");
    let options =
        format!("processes = 3\ntouch-chain-reload = chain.txt\nmaster-fifo = ctl.fifo{extra}");
    write_ini(&dir, port, &app_path("slow_app.py"), &options);
    let mut server = start_ini(&dir, port);
    let first = wait_generation(&server, 1, 3);
    let load = Load::start(&dir, port, 6);
    wait_until("the load to run", RELOAD_TIMEOUT, || {
        (served(&server) >= 10).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));

    trigger(&dir);
    wait_for_log(&mut server, "chain reloading complete", RELOAD_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    wait_for_log(
        &mut server,
        "every worker of generation 1 is gone",
        RELOAD_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let result = load.finish();
    let log = server.log();
    assert!(log.contains("chain reload starting..."), "{log}");
    use Step::{Born, Victim};
    let expected = [Born(1), Victim(1), Born(2), Victim(2), Born(3), Victim(3)];
    assert_eq!(steps(&log, 2), expected, "{log}");
    assert_no_failure(&result, &log);
    let now = generation_pids(&log, 2);
    assert!(now.is_disjoint(&first), "{first:?} -> {now:?}");
    assert_eq!(served_pid_status(port), 200);
    stop_cleanly(server, Signal::SIGTERM);
}

fn served_pid_status(port: u16) -> u16 {
    curl(port, "/").run().map_or(0, |r| r.status)
}

#[test]
fn touch_chain_reload_replaces_one_worker_at_a_time_under_load() {
    chain_reload("", |dir| {
        let time = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(dir.join("chain.txt"))
            .and_then(|f| f.set_modified(time))
            .expect("touch");
    });
}

#[test]
fn fifo_c_chain_reloads_lazy_apps_one_worker_at_a_time() {
    chain_reload("\nlazy-apps = true", |dir| {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg("echo c > ctl.fifo")
            .current_dir(dir.path())
            .status()
            .expect("sh runs");
        assert!(status.success());
    });
}
