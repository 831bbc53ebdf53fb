//! `add-cache-item = [CACHE ]KEY=VALUE` and `load-file-in-cache =
//! [CACHE ]PATH` (the file's bytes under the key PATH): items the master
//! stores once the caches exist, before any worker, as uWSGI does. Without
//! a cache name an item goes into every cache. Each store is logged with
//! uWSGI's line.

use std::path::Path;

use super::{Cache, Caches, Mode};
use crate::config::CacheConfig;
use crate::log::log_line;

/// Stores every configured item and file.
pub fn run(caches: &Caches, cfg: &CacheConfig) {
    for cache in caches.iter() {
        for entry in &cfg.add_items {
            let Some(item) = for_cache(cache, entry) else {
                continue;
            };
            match item.split_once('=') {
                Some((key, value)) => store(cache, key.as_bytes(), value.as_bytes()),
                None => log_line!("[cache] unable to store item {entry}"),
            }
        }
        for entry in &cfg.load_files {
            let Some(path) = for_cache(cache, entry) else {
                continue;
            };
            match std::fs::read(Path::new(path)) {
                Ok(bytes) => store(cache, path.as_bytes(), &bytes),
                Err(_) => log_line!("[cache-error] unable to read file \"{path}\""),
            }
        }
    }
}

/// What `entry` stores in `cache`: all of it without a cache name, the
/// rest after `NAME ` when the name is this cache's, else nothing.
fn for_cache<'a>(cache: &Cache, entry: &'a str) -> Option<&'a str> {
    match entry.split_once(' ') {
        Some((name, rest)) => (name == cache.spec.name).then_some(rest),
        None => Some(entry),
    }
}

fn store(cache: &Cache, key: &[u8], value: &[u8]) {
    let shown = String::from_utf8_lossy(key);
    let name = &cache.spec.name;
    if cache.set(key, value, 0, Mode::Set) {
        log_line!("[cache] stored \"{shown}\" in \"{name}\"");
    } else {
        log_line!("[cache-error] unable to store \"{shown}\" in \"{name}\"");
    }
}
