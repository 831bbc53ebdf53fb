//! The `cache_*` functions' answers, pinned against uWSGI 2.0.31.

use super::CacheApp;
use uwsgid_e2e::curl;

/// What uWSGI 2.0.31 (pip-built) answered to `cache_app.py`'s `/ops` with
/// `cache2 = name=default,items=5,blocksize=100,keysize=10` and
/// `cache2 = name=other,items=10`, line by line.
const UWSGI_2_0_31: &str = r#"get_missing=None
set=True
set_again=None
get=b'hello'
update=True
get2=b'upd'
update_new=True
exists=True
exists_no=None
del=True
del_again=None
set_empty_val=None
set_empty_key=None
set_big=None
set_exact=True
update_big=None
longkey=None
key10=True
inc_new=True
get_n=b'\x01\x00\x00\x00\x00\x00\x00\x00'
num_n=1
inc5=True
dec2=True
mul3=True
div0=True
num_after=0
mul_new=None
num_str=0
num_missing=0
inc_on_str=True
get_b_after_inc=b'oew\x00\x00\x00\x00\x00'
keys=[b'kkkkkkkkkk', b'exact', b'b', b'n']
keys_other=[]
keys_nonexist=EXC ValueError: no local uWSGI cache available
get_nonexist_cache=None
set_nonexist_cache=None
clear_nonexist_cache=None
set_other=True
get_other=b'y'
get_other_default=None
set_int=EXC TypeError: a bytes-like object is required, not 'int'
get_none_key=EXC TypeError: a bytes-like object is required, not 'NoneType'
bytes_key=b'\x00\x00\x00\x00\x00\x00\x00\x00'
bytearray=EXC TypeError: cache_set() argument 2 must be read-only bytes-like object, not bytearray
name_bytes=EXC TypeError: cache_get() argument 2 must be str, not bytes
clear=True
keys_after_clear=[]
fill=[True, True, True, True, None, None]
keys_fill=[b'f3', b'f2', b'f1', b'f0']
math_new=(True, True, -1)
unicode=(True, b'\xc3\xa9')
expired_at_once=(True, b'v')"#;

#[test]
fn answers_as_uwsgi_2_0_31() {
    let app = CacheApp::start(
        "processes = 1\ncache2 = name=default,items=5,blocksize=100,keysize=10\n\
         cache2 = name=other,items=10\n",
    );
    let ours = curl(app.port, "/ops").run().expect("curl runs").text();
    let ours: Vec<&str> = ours.lines().collect();
    let theirs: Vec<&str> = UWSGI_2_0_31.lines().collect();
    assert_eq!(ours.len(), theirs.len(), "{ours:#?}");
    for (ours, theirs) in ours.iter().zip(&theirs) {
        match theirs.split_once('=').map(|(name, _)| name) {
            // pyo3 words the wrong type of the cache name its own way.
            Some("name_bytes") => assert!(ours.starts_with("name_bytes=EXC TypeError"), "{ours}"),
            // Deliberate: an expired item is never returned; uWSGI returns
            // it until its sweeper runs (docs/compatibility.md).
            Some("expired_at_once") => assert_eq!(*ours, "expired_at_once=(True, None)"),
            _ => assert_eq!(ours, theirs),
        }
    }
    // uWSGI's line when a set finds the cache full.
    assert!(
        app.server
            .log()
            .contains("*** DANGER cache \"default\" is FULL !!! ***"),
        "{}",
        app.server.log()
    );
}

#[test]
fn without_a_cache_the_functions_find_none() {
    let app = CacheApp::start("processes = 1\n");
    // As uWSGI 2.0.31 without cache2: None, 0, and cache_keys' ValueError.
    assert_eq!(app.json("/set?k=a&v=b")["ok"], serde_json::Value::Null);
    assert_eq!(app.get("a"), serde_json::Value::Null);
    assert_eq!(app.json("/num")["num"], 0);
    let keys = curl(app.port, "/keys").run().expect("curl runs");
    assert_eq!(keys.status, 500, "{}", keys.text());
    assert!(
        app.server
            .log()
            .contains("ValueError: no local uWSGI cache available"),
        "{}",
        app.server.log()
    );
}

/// What uWSGI 2.0.31 answered to `/bitmap` with
/// `cache2 = name=b,items=4,blocksize=10,bitmap=1`.
const UWSGI_2_0_31_BITMAP: &str = r#"a25=True
b20=None
c10=True
d1=None
upd_a5=None
get_a=b'AAAAAAAAAAAAAAAAAAAAAAAAA'
del_c=True
upd_a5_again=True
b30=True
get_a2=b'aaaaa'
get_b=b'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'
big41=None
clear=True
full40=True
get_x=40
inc_new=(True, True, True, 6365935209750747228)
keys=[b'n']"#;

#[test]
fn bitmap_values_span_blocks_as_uwsgi_2_0_31() {
    let app = CacheApp::start("processes = 1\ncache2 = name=b,items=4,blocksize=10,bitmap=1\n");
    let ours = curl(app.port, "/bitmap").run().expect("curl runs").text();
    let ours: Vec<&str> = ours.lines().collect();
    let theirs: Vec<&str> = UWSGI_2_0_31_BITMAP.lines().collect();
    assert_eq!(ours.len(), theirs.len(), "{ours:#?}");
    for (ours, theirs) in ours.iter().zip(&theirs) {
        if theirs.starts_with("inc_new=") {
            // uWSGI reads the number from the blocks the item moves to
            // (whatever they held); uwsgid from the item: 3 + 4.
            assert_eq!(*ours, "inc_new=(True, True, True, 7)");
        } else {
            assert_eq!(ours, theirs);
        }
    }
}
