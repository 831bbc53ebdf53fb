//! Inputs found by the `ini` fuzz target (`tests/fuzz/`), kept as they were
//! found: each once made the engine run for minutes, the second also take
//! gigabytes.

use std::time::{Duration, Instant};

use super::*;

/// `www = …%(www)…`, then `base = %(www)…`, `chdir = %(base)`, … : each
/// option multiplied the growth of the self-referencing one before it.
#[test]
fn chained_self_references_resolve_at_once() {
    let text = include_bytes!("fuzz/chained_self_reference.ini");
    let dir = Dir::new();
    dir.write("uwsgi.ini", text);
    let started = Instant::now();
    let r = dir.run(&["--ini", "uwsgi.ini"]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("expansion stopped")),
        "{:?}",
        r.warnings
    );
}

/// Two empty `include` lines: each includes the file itself, so every
/// level of the (depth-bounded) recursion doubled the files read.
#[test]
fn a_file_including_itself_twice_stops_at_the_load_bound() {
    let text = include_bytes!("fuzz/self_include_twice.ini");
    let dir = Dir::new();
    dir.write("uwsgi.ini", text);
    let started = Instant::now();
    let r = dir.run(&["--ini", "uwsgi.ini"]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        errors(&r)
            .iter()
            .any(|e| e.contains("ini files read (an include loop?)")),
        "{:?}",
        errors(&r)
    );
}
