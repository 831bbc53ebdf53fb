//! What `ps` shows for each process of an app: `uwsgid NAME master`,
//! `uwsgid NAME zygote`, `uwsgid NAME worker N` (NAME is the app's
//! `project`, else its ini's stem), or uWSGI's `procname` / `procname-master`
//! when set, with `procname-prefix`, `procname-prefix-spaced` and
//! `procname-append` around them, as uWSGI composes them.

use crate::config::AppConfig;
use crate::proctitle;

/// The master's title.
pub fn master(cfg: &AppConfig) -> String {
    let base = cfg
        .procname_master
        .clone()
        .unwrap_or_else(|| format!("{} master", named(cfg)));
    wrap(cfg, &base)
}

/// The zygote's title.
pub fn zygote(cfg: &AppConfig) -> String {
    wrap(cfg, &format!("{} zygote", named(cfg)))
}

/// Worker `id`'s title.
pub fn worker(cfg: &AppConfig, id: u32) -> String {
    let base = cfg
        .procname
        .clone()
        .unwrap_or_else(|| format!("{} worker {id}", named(cfg)));
    wrap(cfg, &base)
}

/// A spooler's title (uWSGI: `uWSGI spooler`).
pub fn spooler(cfg: &AppConfig) -> String {
    wrap(cfg, &format!("{} spooler", named(cfg)))
}

/// Mule `id`'s title (uWSGI: `uWSGI mule N`).
pub fn mule(cfg: &AppConfig, id: u32) -> String {
    wrap(cfg, &format!("{} mule {id}", named(cfg)))
}

fn named(cfg: &AppConfig) -> String {
    match cfg.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => format!("uwsgid {name}"),
        None => "uwsgid".to_owned(),
    }
}

fn wrap(cfg: &AppConfig, base: &str) -> String {
    proctitle::compose(
        base,
        cfg.procname_prefix.as_deref(),
        cfg.procname_prefix_spaced.as_deref(),
        cfg.procname_append.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_by_role() {
        let mut cfg = AppConfig {
            name: Some("mysite1".into()),
            ..AppConfig::default()
        };
        assert_eq!(master(&cfg), "uwsgid mysite1 master");
        assert_eq!(zygote(&cfg), "uwsgid mysite1 zygote");
        assert_eq!(worker(&cfg, 3), "uwsgid mysite1 worker 3");
        assert_eq!(spooler(&cfg), "uwsgid mysite1 spooler");
        assert_eq!(mule(&cfg, 2), "uwsgid mysite1 mule 2");
        cfg.procname = Some("web".into());
        cfg.procname_master = Some("boss".into());
        cfg.procname_prefix_spaced = Some("[site]".into());
        assert_eq!(worker(&cfg, 3), "[site] web");
        assert_eq!(master(&cfg), "[site] boss");
    }
}
