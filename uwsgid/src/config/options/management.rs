//! Options of process management: worker life cycle and reload
//! triggers, hooks, process titles, adaptive workers, attached daemons.

use super::*;

/// The options of this family.
pub(super) static TABLE: &[Spec] = &[
    // Hooks (`config/hooks.rs`, `crate::hooks`).
    list(
        "hook-asap",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.asap, v)),
    ),
    list(
        "hook-pre-jail",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.pre_jail, v)),
    ),
    list(
        "hook-in-jail",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.in_jail, v)),
    ),
    list(
        "hook-post-jail",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.post_jail, v)),
    ),
    list(
        "hook-as-root",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.as_root, v)),
    ),
    list(
        "hook-as-user",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.as_user, v)),
    ),
    list(
        "hook-as-user-atexit",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.as_user_atexit, v)),
    ),
    list(
        "hook-master-start",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.master_start, v)),
    ),
    list(
        "hook-pre-app",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.pre_app, v)),
    ),
    list(
        "hook-post-app",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.post_app, v)),
    ),
    list(
        "hook-post-fork",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.post_fork, v)),
    ),
    list(
        "hook-accepting",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.accepting, v)),
    ),
    list(
        "hook-accepting1",
        &[],
        Setter::Parse(|c, v| hook(&mut c.hooks.accepting1, v)),
    ),
    list("mount", &[], Setter::Mount),
    // Process titles (`contract/titles.rs`).
    opt("procname", Setter::Str(|c, v| c.procname = Some(v))),
    opt(
        "procname-master",
        Setter::Str(|c, v| c.procname_master = Some(v)),
    ),
    opt(
        "procname-prefix",
        Setter::Str(|c, v| c.procname_prefix = Some(v)),
    ),
    opt(
        "procname-prefix-spaced",
        Setter::Str(|c, v| c.procname_prefix_spaced = Some(v)),
    ),
    opt(
        "procname-append",
        Setter::Str(|c, v| c.procname_append = Some(v)),
    ),
    opt(
        "manage-script-name",
        Setter::Bool(|c, v| c.manage_script_name = v),
    ),
    // Worker life cycle.
    opt("max-requests", Setter::U64(|c, v| c.max_requests = v)),
    opt(
        "max-requests-delta",
        Setter::U64(|c, v| c.max_requests_delta = v),
    ),
    opt(
        "wsgi-disable-file-wrapper",
        Setter::Bool(|c, v| c.wsgi_disable_file_wrapper = v),
    ),
    opt("reaper", Setter::Bool(|c, v| c.reaper = v)),
    opt("pyargv", Setter::Str(|c, v| c.pyargv = Some(v))),
    opt(
        "umask",
        Setter::Parse(|c, v| {
            let mask = u32::from_str_radix(v.trim(), 8)
                .ok()
                .filter(|m| *m <= 0o777)
                .ok_or("expected an octal mask such as 022")?;
            c.umask = Some(mask);
            Ok(())
        }),
    ),
    list("print", &[], Setter::Str(|c, v| c.print.push(v))),
    opt("show-config", Setter::Bool(|c, v| c.show_config = v)),
    opt(
        "max-worker-lifetime",
        Setter::U64(|c, v| c.max_worker_lifetime = (v > 0).then_some(v)),
    ),
    opt(
        "max-worker-lifetime-delta",
        Setter::U64(|c, v| c.max_worker_lifetime_delta = v),
    ),
    opt(
        "min-worker-lifetime",
        Setter::U64(|c, v| c.min_worker_lifetime = v),
    ),
    opt("harakiri", Setter::Int(|c, v| c.harakiri = u64::from(v))),
    opt(
        "harakiri-verbose",
        Setter::Bool(|c, v| c.harakiri_verbose = v),
    ),
    opt(
        "harakiri-graceful-timeout",
        Setter::Int(|c, v| c.harakiri_graceful_timeout = u64::from(v)),
    ),
    opt(
        "harakiri-graceful-signal",
        Setter::Int(|c, v| c.harakiri_graceful_signal = i32::try_from(v).unwrap_or(i32::MAX)),
    ),
    opt(
        "reload-mercy",
        Setter::Int(|c, v| c.reload_mercy = Some(u64::from(v))),
    ),
    opt(
        "worker-reload-mercy",
        Setter::Int(|c, v| c.worker_reload_mercy = u64::from(v)),
    ),
    opt("reload-on-as", Setter::MiB(|c, v| c.reload_on_as = Some(v))),
    opt(
        "reload-on-rss",
        Setter::MiB(|c, v| c.reload_on_rss = Some(v)),
    ),
    opt("limit-as", Setter::MiB(|c, v| c.limit_as = Some(v))),
    opt("die-on-term", Setter::Bool(|c, v| c.die_on_term = v)),
    // Titles are always on (`contract/titles.rs`).
    opt("auto-procname", Setter::Noop),
    // Adaptive workers (cheaper).
    opt("cheaper", Setter::Int(|c, v| c.cheaper.workers = v)),
    opt("cheaper-initial", Setter::Int(|c, v| c.cheaper.initial = v)),
    opt("cheaper-step", Setter::Int(|c, v| c.cheaper.step = v)),
    opt(
        "cheaper-overload",
        Setter::U64(|c, v| c.cheaper.overload = v),
    ),
    opt("cheaper-algo", Setter::Str(|c, v| c.cheaper.set_algo(&v))),
    opt(
        "cheaper-busyness-max",
        Setter::U64(|c, v| c.cheaper.busyness.max = nonzero(v, 50)),
    ),
    opt(
        "cheaper-busyness-min",
        Setter::U64(|c, v| c.cheaper.busyness.min = nonzero(v, 25)),
    ),
    opt(
        "cheaper-busyness-multiplier",
        Setter::U64(|c, v| c.cheaper.busyness.multiplier = nonzero(v, 10)),
    ),
    opt(
        "cheaper-busyness-penalty",
        Setter::U64(|c, v| c.cheaper.busyness.penalty = nonzero(v, 2)),
    ),
    opt(
        "cheaper-busyness-verbose",
        Setter::Bool(|c, v| c.cheaper.busyness.verbose = v),
    ),
    opt(
        "cheaper-busyness-backlog-alert",
        Setter::Int(|c, v| c.cheaper.busyness.backlog_alert = nonzero(u64::from(v), 33)),
    ),
    opt(
        "cheaper-busyness-backlog-multiplier",
        Setter::U64(|c, v| c.cheaper.busyness.backlog_multiplier = nonzero(v, 3)),
    ),
    opt(
        "cheaper-busyness-backlog-step",
        Setter::Int(|c, v| c.cheaper.busyness.backlog_step = v.max(1)),
    ),
    opt(
        "cheaper-busyness-backlog-nonzero",
        Setter::U64(|c, v| c.cheaper.busyness.backlog_nonzero = nonzero(v, 60)),
    ),
    opt("idle", Setter::Int(|c, v| c.cheaper.idle = u64::from(v))),
    opt(
        "die-on-idle",
        Setter::Bool(|c, v| c.cheaper.die_on_idle = v),
    ),
    opt("cheap", Setter::Bool(|c, v| c.cheaper.cheap = v)),
    // Attached daemons.
    list("attach-daemon", &[], Setter::Parse(daemons::attach)),
    list(
        "attach-control-daemon",
        &[],
        Setter::Parse(daemons::attach_control),
    ),
    list(
        "smart-attach-daemon",
        &[],
        Setter::Parse(daemons::smart_attach),
    ),
    list(
        "smart-attach-daemon2",
        &[],
        Setter::Parse(daemons::smart_attach2),
    ),
    list("attach-daemon2", &[], Setter::Parse(daemons::attach2)),
    opt(
        "daemons-honour-stdin",
        Setter::Bool(|c, v| c.daemons_honour_stdin = v),
    ),
    // uWSGI signal timers the master runs (`config/signal_timers.rs`).
    list(
        "timer",
        &["signal-timer"],
        Setter::Parse(|c, v| signal_timers::add(c, v, false)),
    ),
    list(
        "rbtimer",
        &["signal-rbtimer"],
        Setter::Parse(|c, v| signal_timers::add(c, v, true)),
    ),
    list(
        "touch-signal",
        &[],
        Setter::Parse(|c, v| signal_timers::add_file(c, v, "touch-signal")),
    ),
    list(
        "fs-signal",
        &[],
        Setter::Parse(|c, v| signal_timers::add_file(c, v, "fs-signal")),
    ),
    // Cron tasks the master runs (`config/cron.rs`).
    list(
        "cron",
        &[],
        Setter::Parse(|c, v| cron::add(c, cron::parse(v, false))),
    ),
    list(
        "unique-cron",
        &[],
        Setter::Parse(|c, v| cron::add(c, cron::parse(v, true))),
    ),
    list(
        "cron2",
        &[],
        Setter::Parse(|c, v| cron::add(c, cron::parse2(v))),
    ),
    opt("cron-harakiri", Setter::U64(|c, v| c.cron_harakiri = v)),
];

/// uWSGI's busyness plugin reads 0 as "the default".
const fn nonzero(v: u64, default: u64) -> u64 {
    if v == 0 { default } else { v }
}

/// Adds a hook line to its point.
fn hook(lines: &mut Vec<String>, value: &str) -> Result<(), String> {
    lines.push(hooks::check(value)?);
    Ok(())
}
