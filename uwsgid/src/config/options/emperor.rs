//! The Emperor's options (`config/emperor.rs` says what each means). The
//! others of uWSGI's Emperor are refused with a reason: a config that
//! relies on them would run differently, never silently.

use super::*;

/// The options of this family.
pub(super) static TABLE: &[Spec] = &[
    list(
        "emperor",
        &[],
        Setter::Parse(|c, v| c.emperor.set_source(v.to_owned())),
    ),
    opt(
        "emperor-pidfile",
        Setter::Str(|c, v| c.emperor.pidfile = Some(PathBuf::from(v))),
    ),
    opt("emperor-tyrant", Setter::Bool(|c, v| c.emperor.tyrant = v)),
    list(
        "vassals-include-before",
        &[],
        Setter::Str(|c, v| c.emperor.before.extend(["--include".into(), v])),
    ),
    list(
        "vassals-inherit-before",
        &[],
        Setter::Str(|c, v| c.emperor.before.extend(["--inherit".into(), v])),
    ),
    list(
        "vassal-set",
        &["vassals-set"],
        Setter::Str(|c, v| c.emperor.before.extend(["--set".into(), v])),
    ),
    list(
        "vassals-include",
        &[],
        Setter::Str(|c, v| c.emperor.after.extend(["--include".into(), v])),
    ),
    list(
        "vassals-inherit",
        &[],
        Setter::Str(|c, v| c.emperor.after.extend(["--inherit".into(), v])),
    ),
    opt(
        "emperor-freq",
        Setter::U64(|c, v| c.emperor.freq = Some(v.max(1))),
    ),
    opt(
        "binary-path",
        Setter::Str(|c, v| c.emperor.binary_path = Some(v)),
    ),
    // The supervisor always stops its apps gracefully.
    opt("emperor-graceful-shutdown", Setter::Noop),
    refused("emperor-use-clone", "Linux namespaces for vassals"),
    refused("emperor-on-demand-extension", ON_DEMAND),
    refused("emperor-on-demand-ext", ON_DEMAND),
    refused("emperor-on-demand-directory", ON_DEMAND),
    refused("emperor-on-demand-dir", ON_DEMAND),
    refused("emperor-on-demand-exec", ON_DEMAND),
    refused("emperor-stats", STATS),
    refused("emperor-stats-server", STATS),
    refused("emperor-broodlord", "broodlord mode (zerg vassals)"),
    refused("vassal-sos", "broodlord mode (zerg vassals)"),
    refused("vassal-sos-backlog", "broodlord mode (zerg vassals)"),
    refused("emperor-wrapper", WRAPPER),
    refused("emperor-wrapper-override", WRAPPER),
    refused("emperor-wrapper-fallback", WRAPPER),
    refused("emperor-magic-exec", "executable vassal files"),
    refused("emperor-extra-extension", VASSAL_FILES),
    refused("emperor-extra-ext", VASSAL_FILES),
    refused("emperor-nofollow", SYMLINKS),
    refused("emperor-tyrant-nofollow", SYMLINKS),
    refused("emperor-throttle", BACKOFF),
    refused("emperor-max-throttle", BACKOFF),
    refused("emperor-curse-tolerance", BACKOFF),
    refused("emperor-required-heartbeat", HEARTBEAT),
    refused("heartbeat", HEARTBEAT),
    refused("emperor-no-blacklist", BACKOFF),
    refused("emperor-procname", "the supervisor's process title"),
    refused("emperor-proxy-socket", "Emperor proxies"),
    refused("early-emperor", "an Emperor inside an app"),
    refused(
        "imperial-monitor-list",
        "imperial monitors other than a directory or a glob",
    ),
    refused(
        "imperial-monitors-list",
        "imperial monitors other than a directory or a glob",
    ),
    refused("vassals-start-hook", "vassal start and stop hooks"),
    refused("vassals-stop-hook", "vassal start and stop hooks"),
    refused("call-as-emperor", HOOKS),
    refused("call-as-emperor1", HOOKS),
    refused("call-as-emperor2", HOOKS),
    refused("call-as-emperor4", HOOKS),
    refused("call-as-vassal", HOOKS),
    refused("call-as-vassal1", HOOKS),
    refused("call-as-vassal3", HOOKS),
    refused("exec-as-emperor", HOOKS),
    refused("exec-as-vassal", HOOKS),
    refused("hook-as-emperor", HOOKS),
    refused("hook-as-vassal", HOOKS),
    refused("hook-emperor-lost", HOOKS),
    refused("hook-emperor-reload", HOOKS),
    refused("hook-emperor-start", HOOKS),
    refused("hook-emperor-stop", HOOKS),
    refused("mount-as-emperor", HOOKS),
    refused("mount-as-vassal", HOOKS),
    refused("umount-as-emperor", HOOKS),
    refused("umount-as-vassal", HOOKS),
];

const ON_DEMAND: &str = "socket-activated (on demand) vassals";
const STATS: &str = "the Emperor's stats server (use uwsgictl status)";
const WRAPPER: &str = "vassals run under uwsgid itself";
const VASSAL_FILES: &str = "vassal files other than .ini";
const SYMLINKS: &str = "vassal files are always followed through symlinks";
const BACKOFF: &str = "the supervisor restarts a failing app with its own backoff";
const HEARTBEAT: &str = "the supervisor watches its apps by their pidfd";
const HOOKS: &str = "the Emperor's hooks around its vassals";

/// An Emperor option uwsgid does not implement: refused, naming `what`.
const fn refused(name: &'static str, what: &'static str) -> Spec {
    list(name, &[], Setter::Refused(what))
}
