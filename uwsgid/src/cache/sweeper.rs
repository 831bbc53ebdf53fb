//! The master's sweeper: a thread that removes expired items every
//! `cache-expire-freq` seconds (3 by default), as uWSGI's master does, so
//! they free their room even when nobody reads them. Caches with
//! `no_expire` are left alone, and `cache-no-expire` starts no thread.

use std::time::Duration;

use crate::config::CacheConfig;
use crate::log::log_line;

/// Starts the sweeper over the installed caches, if one is needed.
pub fn start(cfg: &CacheConfig) {
    let Some(caches) = super::installed() else {
        return;
    };
    if cfg.no_expire || caches.iter().all(|c| c.spec.no_expire) {
        return;
    }
    let every = Duration::from_secs(cfg.sweep_every());
    let report = cfg.report_freed;
    let spawned = std::thread::Builder::new()
        .name("cache-sweeper".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                for cache in caches.iter().filter(|c| !c.spec.no_expire) {
                    let freed = cache.sweep();
                    if report && freed > 0 {
                        log_line!("freed {freed} items for cache \"{}\"", cache.spec.name);
                    }
                }
            }
        });
    match spawned {
        Ok(_) => log_line!("cache sweeper thread enabled"),
        Err(err) => log_line!("unable to run the cache sweeper: {err}"),
    }
}
