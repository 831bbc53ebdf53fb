//! Inputs found by the `ini` fuzz target (`tests/fuzz/`), kept as they were
//! found: each once made the engine fail (here: run for minutes).

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
