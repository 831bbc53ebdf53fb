use std::time::{Duration, Instant};

use super::super::decision::{Decision, Sample, WorkerSample};
use super::Busyness;
use crate::config::CheaperConfig;

/// cheaper = 1, overload = 1 s, step = 1, multiplier 3.
fn config() -> CheaperConfig {
    let mut c = CheaperConfig {
        workers: 1,
        overload: 1,
        ..CheaperConfig::default()
    };
    c.busyness.multiplier = 3;
    c
}

/// `active` workers, each with `running` µs in requests so far.
fn sample(active: u32, running: u64, busy: bool, room: u32) -> Sample {
    Sample {
        workers: (1..=active)
            .map(|id| WorkerSample {
                id,
                busy,
                running_time_us: running,
            })
            .collect(),
        room,
        backlog: 0,
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn logs_its_settings_as_uwsgi() {
    let mut log = Vec::new();
    Busyness::new(&config(), Instant::now(), &mut log);
    assert_eq!(
        log,
        [
            "[busyness] settings: min=25%, max=50%, overload=1, multiplier=3, respawn penalty=2",
            "[busyness] backlog alert is set to 33 request(s), step is 1",
            "[busyness] backlog non-zero alert is set to 60 second(s)",
        ]
    );
}

#[test]
fn spawns_when_the_workers_are_busy_over_max() {
    let c = config();
    let t0 = Instant::now();
    let mut log = Vec::new();
    let mut b = Busyness::new(&c, t0, &mut log);
    assert_eq!(
        b.decide(&sample(2, 0, false, 2), &c, t0, &mut log),
        Decision::Hold
    );
    // 0.8 s of the last second in requests: 80 %.
    log.clear();
    let d = b.decide(&sample(2, 800_000, false, 2), &c, t0 + secs(1), &mut log);
    assert_eq!(d, Decision::Spawn(1));
    assert_eq!(
        log,
        ["[busyness] 1s average busyness is at 80%, will spawn 1 new worker(s)"]
    );
    // Busy all along without finishing a request counts 100 %; no room.
    log.clear();
    let stuck = sample(2, 800_000, true, 0);
    assert_eq!(b.decide(&stuck, &c, t0 + secs(2), &mut log), Decision::Hold);
    assert!(
        log[0].contains("at 100% but we already started maximum"),
        "{log:?}"
    );
}

#[test]
fn cheaps_after_overload_times_multiplier_idle_seconds() {
    let c = config();
    let t0 = Instant::now();
    let mut log = Vec::new();
    let mut b = Busyness::new(&c, t0, &mut log);
    let idle = sample(3, 0, false, 0);
    let got: Vec<Decision> = (1..=4)
        .map(|n| b.decide(&idle, &c, t0 + secs(n), &mut log))
        .collect();
    use Decision::*;
    // Next cheap 3 s after start (overload 1 × multiplier 3).
    assert_eq!(got, [Hold, Hold, Cheap, Hold]);
    assert!(
        log.iter()
            .any(|l| l == "[busyness] 1s average busyness is at 0%, cheap one of 3 running workers")
    );
    // Down to `cheaper` only.
    let at_min = sample(1, 0, false, 2);
    assert!((5..12).all(|n| b.decide(&at_min, &c, t0 + secs(n), &mut log) == Hold));
}

#[test]
fn a_quick_comeback_raises_the_multiplier() {
    let c = config();
    let t0 = Instant::now();
    let mut log = Vec::new();
    let mut b = Busyness::new(&c, t0, &mut log);
    let idle = sample(3, 0, false, 0);
    for n in 1..=3 {
        b.decide(&idle, &c, t0 + secs(n), &mut log);
    }
    log.clear();
    let loaded = sample(2, 900_000, false, 1);
    assert_eq!(
        b.decide(&loaded, &c, t0 + secs(4), &mut log),
        Decision::Spawn(1)
    );
    assert_eq!(
        log[0],
        "[busyness] worker(s) respawned to fast, increasing cheaper multiplier to 5 (+2)"
    );
}

#[test]
fn a_long_listen_queue_spawns_emergency_workers() {
    let c = config();
    let t0 = Instant::now();
    let mut log = Vec::new();
    let mut b = Busyness::new(&c, t0, &mut log);
    let mut s = sample(1, 0, true, 3);
    s.backlog = 40;
    log.clear();
    assert_eq!(
        b.decide(&s, &c, t0 + Duration::from_millis(500), &mut log),
        Decision::Spawn(1)
    );
    assert_eq!(
        log,
        ["[busyness] 40 requests in listen queue, spawning 1 emergency worker(s) (1)!"]
    );
    // A short queue for `backlog-nonzero` seconds spawns one too.
    let mut c = config();
    c.busyness.backlog_nonzero = 2;
    c.overload = 100;
    let mut b = Busyness::new(&c, t0, &mut log);
    s.backlog = 2;
    let got: Vec<Decision> = (1..=3)
        .map(|n| b.decide(&s, &c, t0 + secs(n), &mut log))
        .collect();
    assert_eq!(got, [Decision::Hold, Decision::Hold, Decision::Spawn(1)]);
}
