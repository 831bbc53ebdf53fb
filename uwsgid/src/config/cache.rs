//! The shared caches (`cache2`, the old `cache` + `cache-blocksize`, and
//! the sweeper's options), parsed as uWSGI 2.0.31's `core/cache.c` reads
//! them. `cache2` is a keyval list: `name=NAME,items=N[,blocksize=B]
//! [,blocks=N][,bitmap=1][,keysize=K][,hashsize=H][,purge_lru=1][,lazy_expire=1]
//! [,math_initial=N][,ignore_full=1][,clear_on_full=1][,no_expire=1]`.
//! `bitmap=1` (with `blocks=N`) lets a value span consecutive blocks.
//! What needs a disk or the network is refused by name: an app relying on
//! it would run differently.

use serde::{Deserialize, Serialize};

/// uWSGI's defaults: a 64 KiB block, 2 KiB keys, 65536 hash buckets.
pub const DEFAULT_BLOCKSIZE: u64 = 65536;
pub const DEFAULT_KEYSIZE: u64 = 2048;
pub const DEFAULT_HASHSIZE: u64 = 65536;

/// One cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSpec {
    pub name: String,
    /// uWSGI's `max_items`: item 0 is reserved, so `items - 1` fit.
    pub items: u64,
    /// Bytes per block: the largest value, without `bitmap`.
    pub blocksize: u64,
    /// Blocks of values (`blocks`, default `items`).
    #[serde(default)]
    pub blocks: u64,
    /// `bitmap`: a value takes as many consecutive blocks as it needs
    /// (up to all of them), found in a bitmap of the free ones.
    #[serde(default)]
    pub bitmap: bool,
    /// The longest key, in bytes.
    pub keysize: u64,
    pub hashsize: u64,
    /// A full cache drops its least recently used item.
    pub purge_lru: bool,
    /// A full cache is emptied.
    pub clear_on_full: bool,
    /// No "cache is FULL" line.
    pub ignore_full: bool,
    /// The sweeper leaves this cache alone (expired items still are
    /// never returned, and are removed when found).
    pub no_expire: bool,
    /// Where `cache_inc` and kin start from on a missing key.
    pub math_initial: i64,
}

/// Every cache option of an app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheConfig {
    /// `cache2` lines, in order.
    pub caches: Vec<CacheSpec>,
    /// `cache = N`: the old-style cache named "default" (0: none).
    pub legacy_items: u64,
    /// `cache-blocksize` for it (0: 64 KiB).
    pub legacy_blocksize: u64,
    /// `cache-expire-freq`: seconds between sweeps (0: 3).
    pub expire_freq: u64,
    /// `cache-no-expire`: no sweeper at all.
    pub no_expire: bool,
    /// `cache-report-freed-items`: a line per sweep that freed items.
    pub report_freed: bool,
    /// `add-cache-item = [CACHE ]KEY=VALUE`, in order.
    #[serde(default)]
    pub add_items: Vec<String>,
    /// `load-file-in-cache = [CACHE ]PATH`, in order.
    #[serde(default)]
    pub load_files: Vec<String>,
    /// `load-file-in-cache-gzip = [CACHE ]PATH`, in order.
    #[serde(default)]
    pub load_gzip_files: Vec<String>,
}

impl CacheConfig {
    /// Every cache, in uWSGI's order: the old-style one first (it is the
    /// default cache of `uwsgi.cache_get(key)`), then each `cache2`.
    pub fn all(&self) -> Vec<CacheSpec> {
        let legacy = (self.legacy_items > 0).then(|| CacheSpec {
            name: "default".to_owned(),
            items: self.legacy_items,
            blocksize: match self.legacy_blocksize {
                0 => DEFAULT_BLOCKSIZE,
                b => b,
            },
            ..CacheSpec::new(String::new(), self.legacy_items)
        });
        legacy.into_iter().chain(self.caches.clone()).collect()
    }

    /// Seconds between two sweeps.
    pub fn sweep_every(&self) -> u64 {
        match self.expire_freq {
            0 => 3,
            n => n,
        }
    }
}

impl CacheSpec {
    fn new(name: String, items: u64) -> CacheSpec {
        CacheSpec {
            name,
            items,
            blocksize: DEFAULT_BLOCKSIZE,
            blocks: items,
            bitmap: false,
            keysize: DEFAULT_KEYSIZE,
            hashsize: DEFAULT_HASHSIZE,
            purge_lru: false,
            clear_on_full: false,
            ignore_full: false,
            no_expire: false,
            math_initial: 0,
        }
    }
}

/// Keys uWSGI has and uwsgid refuses, with why.
const REFUSED: &[(&[&str], &str)] = &[
    (
        &[
            "store",
            "store_sync",
            "storesync",
            "store_delete",
            "storedelete",
        ],
        "a cache persisted to a file (store) is not implemented",
    ),
    (
        &["node", "nodes", "sync"],
        "cache replication to other servers (nodes, sync) is not implemented",
    ),
    (
        &[
            "udp",
            "udp_servers",
            "udp_server",
            "udpservers",
            "udpserver",
        ],
        "the cache UDP server is not implemented",
    ),
    (
        &["sweep_on_full"],
        "sweep_on_full is not implemented (expired items are removed by the sweeper and when read)",
    ),
];

/// `cache2 = KEY=VALUE,…`.
pub fn parse_cache2(value: &str) -> Result<CacheSpec, String> {
    let mut spec = CacheSpec::new(String::new(), 0);
    let mut name = None;
    let mut items = None;
    let mut blocks = None;
    for pair in value.split(',').filter(|p| !p.is_empty()) {
        let (key, val) = pair.split_once('=').ok_or_else(|| {
            format!("unable to parse cache definition: `{pair}` is not key=value")
        })?;
        if let Some((_, why)) = REFUSED.iter().find(|(keys, _)| keys.contains(&key)) {
            return Err(format!("cache2 key `{key}`: {why}"));
        }
        match key {
            "name" => name = Some(val.to_owned()),
            "max_items" | "maxitems" | "items" => items = Some(number(key, val)?),
            "blocksize" => spec.blocksize = number(key, val)?,
            "blocks" => blocks = Some(number(key, val)?),
            "bitmap" => spec.bitmap = true,
            "keysize" | "key_size" => spec.keysize = number(key, val)?,
            "hashsize" | "hash_size" => spec.hashsize = number(key, val)?,
            "hash" if val == "djb33x" => {}
            "hash" => {
                return Err(format!(
                    "cache2: hash `{val}` is not implemented (djb33x is)"
                ));
            }
            "purge_lru" | "lru" => spec.purge_lru = true,
            "lazy_expire" | "lazy" => {}
            "clear_on_full" => spec.clear_on_full = true,
            "ignore_full" => spec.ignore_full = true,
            "no_expire" => spec.no_expire = true,
            // uWSGI keeps a last-modified time for its cache router only.
            "lastmod" => {}
            "math_initial" => {
                spec.math_initial = val
                    .parse()
                    .map_err(|_| format!("cache2: math_initial `{val}` is not a number"))?;
            }
            _ => return Err(format!("cache2: unknown key `{key}`")),
        }
    }
    spec.name = name
        .filter(|n| !n.is_empty())
        .ok_or("you have to specify a cache name")?;
    spec.items = items
        .filter(|&n| n > 0)
        .ok_or("you have to specify the maximum number of cache items")?;
    spec.blocks = blocks.unwrap_or(spec.items);
    check(&spec)?;
    Ok(spec)
}

fn number(key: &str, val: &str) -> Result<u64, String> {
    val.trim()
        .parse()
        .map_err(|_| format!("cache2: {key} `{val}` is not a number"))
}

/// uWSGI's checks, and a size that fits in memory at all.
fn check(spec: &CacheSpec) -> Result<(), String> {
    let name = &spec.name;
    if spec.blocksize == 0 {
        return Err(format!("invalid cache blocksize for \"{name}\""));
    }
    if spec.hashsize == 0 || spec.hashsize > u64::from(u32::MAX) {
        return Err(format!("invalid cache hashsize for \"{name}\""));
    }
    if spec.keysize == 0 || spec.keysize >= 65535 {
        return Err(format!("invalid cache keysize for \"{name}\""));
    }
    if spec.blocks < spec.items {
        return Err(format!(
            "invalid number of cache blocks for \"{name}\", must be higher than max_items ({})",
            spec.items
        ));
    }
    let data = spec.blocks.checked_mul(spec.blocksize);
    let keys = spec.items.checked_mul(spec.keysize + 128);
    match data.zip(keys).and_then(|(d, k)| d.checked_add(k)) {
        Some(total) if total <= MAX_CACHE_BYTES => Ok(()),
        _ => Err(format!(
            "cache \"{name}\": blocks × blocksize + items × keysize is over {} GiB",
            MAX_CACHE_BYTES >> 30
        )),
    }
}

/// The most one cache may reserve (its pages are only used as written).
pub const MAX_CACHE_BYTES: u64 = 64 << 30;

/// Adds a `cache2` line to `cfg`.
pub fn add(cfg: &mut super::AppConfig, value: &str) -> Result<(), String> {
    let spec = parse_cache2(value)?;
    if cfg.cache.caches.iter().any(|c| c.name == spec.name) {
        return Err(format!("a cache named \"{}\" already exists", spec.name));
    }
    cfg.cache.caches.push(spec);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyval_with_defaults_and_aliases() {
        let spec = parse_cache2("name=one,items=10").expect("valid");
        assert_eq!(spec.name, "one");
        assert_eq!(spec.items, 10);
        assert_eq!(spec.blocksize, DEFAULT_BLOCKSIZE);
        assert_eq!(spec.keysize, DEFAULT_KEYSIZE);
        let spec =
            parse_cache2("name=two,maxitems=3,blocksize=100,key_size=10,lru=1,math_initial=-4")
                .expect("valid");
        assert_eq!((spec.items, spec.blocksize, spec.keysize), (3, 100, 10));
        assert!(spec.purge_lru);
        assert_eq!(spec.math_initial, -4);
    }

    #[test]
    fn uwsgis_errors_and_refusals() {
        assert_eq!(
            parse_cache2("items=3").expect_err("refused"),
            "you have to specify a cache name"
        );
        assert_eq!(
            parse_cache2("name=x").expect_err("refused"),
            "you have to specify the maximum number of cache items"
        );
        assert!(
            parse_cache2("name=x,items=3,store=/tmp/c")
                .expect_err("refused")
                .contains("store")
        );
        assert!(
            parse_cache2("name=x,items=3,blocks=2")
                .expect_err("refused")
                .contains("must be higher than max_items")
        );
        assert!(
            parse_cache2("name=x,items=3,foo=1")
                .expect_err("refused")
                .contains("`foo`")
        );
        assert!(parse_cache2("name=x,items=3,keysize=65535").is_err());
        assert!(parse_cache2("name=x,items=99999999999,blocksize=99999999").is_err());
    }

    #[test]
    fn the_old_form_comes_first_as_default() {
        let mut cfg = CacheConfig {
            legacy_items: 5,
            legacy_blocksize: 200,
            ..CacheConfig::default()
        };
        cfg.caches
            .push(parse_cache2("name=b,items=2").expect("valid"));
        let all = cfg.all();
        assert_eq!(all[0].name, "default");
        assert_eq!((all[0].items, all[0].blocksize), (5, 200));
        assert_eq!(all[1].name, "b");
        assert_eq!(cfg.sweep_every(), 3);
    }
}
