use std::ptr::NonNull;

use super::*;
use crate::cache::layout::Layout;
use crate::cache::region::Region;

/// A cache in heap memory (the mapping's stand-in), emptied.
struct Heap {
    words: Vec<u64>,
    region: Region,
    spec: CacheSpec,
}

fn heap(spec: &str) -> Heap {
    let spec = crate::config::CacheSpec::clone(&parse(spec));
    let layout = Layout::of(&spec).expect("a layout");
    let mut words = vec![0u64; layout.size / 8];
    let base = NonNull::new(words.as_mut_ptr().cast::<u8>()).expect("not null");
    // SAFETY: the vector is 8-aligned, layout.size long, and kept beside
    // the region.
    let region = unsafe { Region::new(base, layout) };
    region.lock().reset();
    Heap {
        words,
        region,
        spec,
    }
}

fn parse(spec: &str) -> CacheSpec {
    let mut cfg = crate::config::AppConfig::default();
    crate::config::parse_cache2_for_tests(&mut cfg, spec);
    cfg.cache.caches.remove(0)
}

const NOW: u64 = 1_000_000;

impl Heap {
    fn set(&self, key: &str, value: &[u8], mode: Mode) -> bool {
        self.region
            .lock()
            .write(&self.spec, key.as_bytes(), value, 0, mode, NOW)
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.region.lock().read(&self.spec, key.as_bytes(), NOW)
    }

    fn num(&self, key: &str) -> i64 {
        let v = self.get(key).expect("a number");
        i64::from_ne_bytes(v.try_into().expect("8 bytes"))
    }
}

#[test]
fn djb33x_matches_uwsgi_on_signed_chars() {
    assert_eq!(djb33x(b""), 5381);
    assert_eq!(djb33x(b"a"), (5381u32 * 33) ^ 97);
    // 0xc3 is a negative C char: xored sign-extended.
    assert_eq!(djb33x(&[0xc3]), (5381u32 * 33) ^ 0xffff_ffc3);
}

#[test]
fn set_refuses_an_existing_key_update_replaces_it() {
    let c = heap("name=t,items=5,blocksize=100,keysize=10");
    assert!(c.set("a", b"hello", Mode::Set));
    assert!(!c.set("a", b"other", Mode::Set));
    assert_eq!(c.get("a").as_deref(), Some(&b"hello"[..]));
    assert!(c.set("a", b"upd", Mode::Update));
    assert_eq!(c.get("a").as_deref(), Some(&b"upd"[..]));
    assert!(c.set("b", b"new", Mode::Update), "update creates");
    assert!(c.region.lock().delete(b"a", NOW));
    assert!(!c.region.lock().delete(b"a", NOW));
    assert_eq!(c.get("a"), None);
}

#[test]
fn limits_as_uwsgi() {
    let c = heap("name=t,items=5,blocksize=100,keysize=10");
    assert!(!c.set("e", b"", Mode::Set), "empty value");
    assert!(!c.set("", b"x", Mode::Set), "empty key");
    assert!(!c.set("big", &[b'x'; 101], Mode::Set));
    assert!(c.set("exact", &[b'x'; 100], Mode::Set));
    assert!(!c.set("exact", &[b'x'; 101], Mode::Update));
    assert!(!c.set("kkkkkkkkkkk", b"x", Mode::Set), "11-byte key");
    assert!(c.set("kkkkkkkkkk", b"x", Mode::Set));
    // items=5 holds 4: slot 0 is never used.
    assert!(c.set("c", b"x", Mode::Set));
    assert!(c.set("d", b"x", Mode::Set));
    assert!(!c.set("f", b"x", Mode::Set), "full");
    assert_eq!(c.region.used(), 4);
    c.region.lock().clear();
    assert_eq!(c.region.used(), 0);
    assert!(c.region.lock().keys(NOW).is_empty());
    for i in 0..4 {
        assert!(c.set(&format!("f{i}"), b"v", Mode::Set));
    }
}

#[test]
fn math_on_native_64_bit_numbers() {
    let c = heap("name=t,items=10,blocksize=100");
    let inc = |key: &str, delta: i64, op| c.set(key, &delta.to_ne_bytes(), Mode::Math(op));
    assert!(inc("n", 1, MathOp::Inc));
    assert_eq!(c.get("n"), Some(1i64.to_ne_bytes().to_vec()));
    assert!(inc("n", 5, MathOp::Inc));
    assert!(inc("n", 2, MathOp::Dec));
    assert!(inc("n", 3, MathOp::Mul));
    assert_eq!(c.num("n"), 12);
    assert!(inc("n", 0, MathOp::Div));
    assert_eq!(c.num("n"), 0);
    assert!(inc("m", 2, MathOp::Mul));
    assert_eq!(c.num("m"), 0);
    assert!(inc("dd", 1, MathOp::Dec));
    assert_eq!(c.num("dd"), -1);
    // A string is read as a number from its first 8 bytes.
    assert!(c.set("s", b"new", Mode::Set));
    assert!(inc("s", 1, MathOp::Inc));
    assert_eq!(c.get("s").as_deref(), Some(&b"oew\0\0\0\0\0"[..]));
    let c = heap("name=t,items=10,math_initial=10");
    assert!(c.set("n", &3i64.to_ne_bytes(), Mode::Math(MathOp::Inc)));
    assert_eq!(c.num("n"), 13);
}

#[test]
fn keys_in_bucket_order_and_chains_survive_removal() {
    // One bucket: every key chains.
    let c = heap("name=t,items=10,hashsize=1");
    for k in ["a", "b", "c", "d"] {
        assert!(c.set(k, k.as_bytes(), Mode::Set));
    }
    assert_eq!(c.region.lock().keys(NOW), [b"a", b"b", b"c", b"d"]);
    assert!(c.region.lock().delete(b"b", NOW));
    assert!(c.region.lock().delete(b"a", NOW));
    assert_eq!(c.region.lock().keys(NOW), [b"c", b"d"]);
    assert_eq!(c.get("d").as_deref(), Some(&b"d"[..]));
    assert!(c.set("a", b"again", Mode::Set));
    assert_eq!(c.region.lock().keys(NOW), [b"c", b"d", b"a"]);
}

#[test]
fn expired_items_are_never_returned_and_are_swept() {
    let c = heap("name=t,items=10");
    let g = c.region.lock();
    assert!(g.write(&c.spec, b"soon", b"v", 5, Mode::Set, NOW));
    assert!(g.write(&c.spec, b"later", b"v", 50, Mode::Set, NOW));
    assert!(g.write(&c.spec, b"never", b"v", 0, Mode::Set, NOW));
    assert_eq!(g.sweep(NOW + 4), 0);
    assert!(g.read(&c.spec, b"soon", NOW + 4).is_some());
    assert!(g.read(&c.spec, b"soon", NOW + 5).is_none(), "expired");
    assert_eq!(g.keys(NOW + 60), [b"never".to_vec()]);
    assert_eq!(g.sweep(NOW + 60), 1, "later; soon was removed when read");
    assert!(g.find(b"never", NOW + 60).is_some());
    // A math op keeps the expiry of an existing item.
    assert!(g.write(
        &c.spec,
        b"n",
        &1i64.to_ne_bytes(),
        5,
        Mode::Math(MathOp::Inc),
        NOW
    ));
    assert!(g.write(
        &c.spec,
        b"n",
        &1i64.to_ne_bytes(),
        0,
        Mode::Math(MathOp::Inc),
        NOW
    ));
    assert!(g.find(b"n", NOW + 5).is_none());
}

#[test]
fn purge_lru_drops_the_least_recently_used() {
    let c = heap("name=t,items=4,purge_lru=1");
    for k in ["a", "b", "c"] {
        assert!(c.set(k, b"v", Mode::Set));
    }
    assert!(c.get("a").is_some(), "a is now the most recent");
    assert!(c.set("d", b"v", Mode::Set));
    assert_eq!(c.get("b"), None, "b was the least recently used");
    for k in ["a", "c", "d"] {
        assert!(c.get(k).is_some(), "{k}");
    }
    let c = heap("name=t,items=3,clear_on_full=1");
    assert!(c.set("a", b"v", Mode::Set));
    assert!(c.set("b", b"v", Mode::Set));
    assert!(c.set("c", b"v", Mode::Set));
    assert_eq!(c.region.lock().keys(NOW), [b"c"]);
}

#[test]
fn bitmap_values_span_consecutive_blocks_as_uwsgi() {
    let c = heap("name=b,items=4,blocksize=10,bitmap=1");
    assert!(c.set("a", &[b'A'; 25], Mode::Set), "3 blocks of 4");
    assert!(!c.set("b", &[b'B'; 20], Mode::Set), "2 blocks: 1 left");
    assert!(c.set("c", &[b'C'; 10], Mode::Set), "the last block");
    assert!(!c.set("d", b"D", Mode::Set), "no block left");
    assert!(
        !c.set("a", b"aaaaa", Mode::Update),
        "new blocks before the old are freed"
    );
    assert_eq!(c.get("a").as_deref(), Some(&[b'A'; 25][..]));
    assert!(c.region.lock().delete(b"c", NOW));
    assert!(c.set("a", b"aaaaa", Mode::Update));
    assert!(c.set("b", &[b'B'; 30], Mode::Set), "the 3 blocks a left");
    assert_eq!(c.get("a").as_deref(), Some(&b"aaaaa"[..]));
    assert_eq!(c.get("b").as_deref(), Some(&[b'B'; 30][..]));
    assert!(
        !c.set("x", &[b'X'; 41], Mode::Set),
        "longer than every block"
    );
    c.region.lock().clear();
    assert!(c.set("x", &[b'X'; 40], Mode::Set), "every block");
    assert!(c.region.lock().delete(b"x", NOW));
    assert!(c.set("n", &3i64.to_ne_bytes(), Mode::Math(MathOp::Inc)));
    assert!(c.set("n", &4i64.to_ne_bytes(), Mode::Math(MathOp::Inc)));
    assert_eq!(c.num("n"), 7);
}

#[test]
fn a_lock_left_by_a_dead_process_empties_the_cache() {
    let mut c = heap("name=t,items=10");
    assert!(c.set("a", b"v", Mode::Set));
    // The lock word (the first 4 bytes) held by a thread id above the
    // kernel's pid_max: its process died in the middle of a change.
    c.words[0] = 4_194_400;
    assert_eq!(c.get("a"), None, "the cache was emptied");
    assert_eq!(c.region.used(), 0);
    assert!(c.set("a", b"again", Mode::Set));
    assert_eq!(c.get("a").as_deref(), Some(&b"again"[..]));
}
