//! The shared caches' options (`config/cache.rs` says what each means)
//! and `sharedarea` (`config/sharedarea.rs`).
//! What needs a disk or the network is refused with a reason.

use super::*;

/// The options of this family.
pub(super) static TABLE: &[Spec] = &[
    list("cache2", &[], Setter::Parse(cache_options::add)),
    opt("cache", Setter::U64(|c, v| c.cache.legacy_items = v)),
    opt(
        "cache-blocksize",
        Setter::U64(|c, v| c.cache.legacy_blocksize = v),
    ),
    opt(
        "cache-expire-freq",
        Setter::U64(|c, v| c.cache.expire_freq = v),
    ),
    opt(
        "cache-no-expire",
        Setter::Bool(|c, v| c.cache.no_expire = v),
    ),
    opt(
        "cache-report-freed-items",
        Setter::Bool(|c, v| c.cache.report_freed = v),
    ),
    list(
        "add-cache-item",
        &[],
        Setter::Str(|c, v| c.cache.add_items.push(v)),
    ),
    list(
        "load-file-in-cache",
        &[],
        Setter::Str(|c, v| c.cache.load_files.push(v)),
    ),
    list(
        "load-file-in-cache-gzip",
        &[],
        Setter::Str(|c, v| c.cache.load_gzip_files.push(v)),
    ),
    // uWSGI keeps a last-modified time for its cache router only.
    opt("cache-use-last-modified", Setter::Noop),
    list(
        "sharedarea",
        &[],
        Setter::Parse(|c, v| {
            c.sharedareas.push(crate::config::sharedarea::parse(v)?);
            Ok(())
        }),
    ),
    refused("cache-store", STORE),
    refused("cache-store-sync", STORE),
    refused("cache-udp-server", NETWORK),
    refused("cache-udp-node", NETWORK),
    refused("cache-sync", NETWORK),
];

const STORE: &str = "a cache persisted to a file";
const NETWORK: &str = "cache replication over the network";

const fn refused(name: &'static str, what: &'static str) -> Spec {
    list(name, &[], Setter::Refused(what))
}
