//! `sharedarea` and the `uwsgi` module's `sharedarea_*` functions: every
//! answer of the probe below is what uWSGI 2.0.31 (pip-built) answered for
//! the same calls, with `sharedarea = 1` and `sharedarea = size=100`,
//! but two, where uWSGI's C is wrong (see docs/compatibility.md): its
//! 16-bit write reads an unsigned int into a 16-bit variable (uWSGI read
//! back 0 after writing 70000), and its 64-bit sum checks 4 bytes of room,
//! not 8 (it wrote past the area at 4092). Then one area shared by two
//! workers loses no concurrent increment and keeps its contents across a
//! graceful reload.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use uwsgid_e2e::{Python, Server, TestDir, free_port, venv, wait_until};

use super::{SLOW, get_json};

/// uWSGI 2.0.31's answers, in the probe's order.
const EXPECTED: &[(&str, &str)] = &[
    ("len", "4096"),
    ("len1", "4096"),
    ("tail", "96"),
    ("write", "None"),
    ("write_str", "None"),
    ("read", "b'hello'"),
    ("read_str", "b'h\\xc3\\xa9llo'"),
    ("read0len", "b'\\x00\\x00\\x00\\x00\\x00\\x00'"),
    (
        "write_over",
        "ValueError: error calling uwsgi_sharedarea_write()",
    ),
    (
        "read_over",
        "ValueError: error calling uwsgi_sharedarea_read()",
    ),
    (
        "read_pos_over",
        "ValueError: error calling uwsgi_sharedarea_read()",
    ),
    (
        "bad_id",
        "ValueError: error calling uwsgi_sharedarea_read()",
    ),
    ("write8", "None"),
    ("read8", "-56"),
    ("readbyte", "-56"),
    (
        "write8_neg",
        "OverflowError: unsigned byte integer is less than minimum",
    ),
    (
        "write8_big",
        "OverflowError: unsigned byte integer is greater than maximum",
    ),
    ("write16", "None"),
    ("read16", "4464"),
    ("write32", "None"),
    ("read32", "-294967296"),
    ("write32_neg", "None"),
    ("read32b", "-5"),
    ("write64", "None"),
    ("read64", "1099511627776"),
    ("inc64", "None"),
    ("inc64_5", "None"),
    ("read64b", "1099511627782"),
    ("dec64", "None"),
    ("read64c", "1099511627772"),
    ("inc32", "None"),
    ("dec32", "None"),
    ("read32c", "2"),
    (
        "inc64_edge",
        "ValueError: error calling uwsgi_sharedarea_inc64()",
    ),
    (
        "read64_edge",
        "ValueError: error calling uwsgi_sharedarea_read64()",
    ),
    (
        "write64_edge",
        "ValueError: error calling uwsgi_sharedarea_write64()",
    ),
    ("inclong", "None"),
    ("writelong", "None"),
    ("writebyte", "None"),
    ("mv", "(4096, False, b'hello')"),
    ("mv_write", "b'xyz'"),
    (
        "mv_bad",
        "ValueError: cannot get a memoryview object from sharedarea 9",
    ),
    ("rlock", "None"),
    ("unlock", "None"),
    ("wlock", "None"),
    ("unlock2", "None"),
    (
        "update",
        "AttributeError: module 'uwsgi' has no attribute 'sharedarea_update'",
    ),
    (
        "lock_bad",
        "ValueError: error calling uwsgi_sharedarea_wlock()",
    ),
    ("has_inc8", "False"),
    ("has_inc16", "False"),
    ("has_dec16", "False"),
    ("has_wait", "False"),
    (
        "names",
        "['sharedarea_dec32', 'sharedarea_dec64', 'sharedarea_inc32', 'sharedarea_inc64', 'sharedarea_inclong', 'sharedarea_memoryview', 'sharedarea_object', 'sharedarea_read', 'sharedarea_read16', 'sharedarea_read32', 'sharedarea_read64', 'sharedarea_read8', 'sharedarea_readbyte', 'sharedarea_readlong', 'sharedarea_rlock', 'sharedarea_unlock', 'sharedarea_wlock', 'sharedarea_write', 'sharedarea_write16', 'sharedarea_write32', 'sharedarea_write64', 'sharedarea_write8', 'sharedarea_writebyte', 'sharedarea_writelong']",
    ),
];

fn start(dir: &TestDir, port: u16) -> Server {
    let app = dir
        .write("sharedarea_app.py", include_str!("sharedarea_app.py"))
        .expect("write the app");
    let ini = format!(
        "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\nhome = {}\n\
         processes = 2\nsharedarea = 1\nsharedarea = size=100\n",
        app.display(),
        venv().expect("the test venv").display(),
    );
    super::start_ini(dir, port, &ini)
}

#[test]
fn sharedarea_functions_answer_as_uwsgi_2_0_31() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let server = start(&dir, port);
    let got = get_json(port, "/probe");
    let got: BTreeMap<String, String> = got
        .as_object()
        .expect("an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let want: BTreeMap<String, String> = EXPECTED
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(got, want);
    let log = server.log();
    assert!(
        log.contains("sharedarea 0 created at ") && log.contains(" (1 pages, area at "),
        "{log}"
    );
}

#[test]
fn workers_share_an_area_across_increments_and_a_reload() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let server = start(&dir, port);
    let result = Python::script(include_str!("increment_client.py"))
        .arg(port.to_string())
        .arg("unused")
        .arg("40")
        .arg("8")
        .timeout(SLOW)
        .run_json()
        .expect("the client runs");
    assert_eq!(result["errors"], json!([]), "{result}");
    assert_eq!(
        result["pids"].as_array().map(Vec::len),
        Some(2),
        "both workers served: {result}"
    );
    assert_eq!(get_json(port, "/count"), json!({"count": 40}));
    let before: Value = result["pids"].clone();
    server
        .signal(nix::sys::signal::Signal::SIGHUP)
        .expect("SIGHUP");
    wait_until("a new worker", SLOW, || {
        let pid = get_json(port, "/increment")["pid"].clone();
        (!before.as_array()?.contains(&pid)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\n{}", server.log()));
    let count = get_json(port, "/count")["count"]
        .as_i64()
        .unwrap_or_default();
    assert!(count > 40, "the reload kept the area: {count}");
}
