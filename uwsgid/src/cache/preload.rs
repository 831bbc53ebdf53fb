//! `add-cache-item = [CACHE ]KEY=VALUE`, `load-file-in-cache =
//! [CACHE ]PATH` (the file's bytes under the key PATH) and
//! `load-file-in-cache-gzip` (the same, gzip-compressed): items the master
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
                Some((key, value)) => store(cache, key.as_bytes(), value.as_bytes(), "cache"),
                None => log_line!("[cache] unable to store item {entry}"),
            }
        }
        for entry in &cfg.load_files {
            let Some(path) = for_cache(cache, entry) else {
                continue;
            };
            match std::fs::read(Path::new(path)) {
                Ok(bytes) => store(cache, path.as_bytes(), &bytes, "cache"),
                Err(_) => log_line!("[cache-error] unable to read file \"{path}\""),
            }
        }
        for entry in &cfg.load_gzip_files {
            let Some(path) = for_cache(cache, entry) else {
                continue;
            };
            match std::fs::read(Path::new(path)).and_then(|bytes| gzip(&bytes)) {
                Ok(gzipped) => store(cache, path.as_bytes(), &gzipped, "cache-gzip"),
                Err(err) => log_line!("[cache-error] unable to read file \"{path}\": {err}"),
            }
        }
    }
}

/// `bytes` as a gzip member (RFC 1952), as uWSGI's `uwsgi_gzip` makes it
/// for `load-file-in-cache-gzip`: the cache serves it to clients that
/// accept `gzip` as it is.
fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// What `entry` stores in `cache`: all of it without a cache name, the
/// rest after `NAME ` when the name is this cache's, else nothing.
fn for_cache<'a>(cache: &Cache, entry: &'a str) -> Option<&'a str> {
    match entry.split_once(' ') {
        Some((name, rest)) => (name == cache.spec.name).then_some(rest),
        None => Some(entry),
    }
}

/// Stores one item with uWSGI's line (`[cache]`, `[cache-gzip]`).
fn store(cache: &Cache, key: &[u8], value: &[u8], tag: &str) {
    let shown = String::from_utf8_lossy(key);
    let name = &cache.spec.name;
    if cache.set(key, value, 0, Mode::Set) {
        log_line!("[{tag}] stored \"{shown}\" in \"{name}\"");
    } else {
        log_line!("[cache-error] unable to store \"{shown}\" in \"{name}\"");
    }
}
