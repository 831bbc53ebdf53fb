//! Reading the configuration again for a reload: the arguments the master
//! was started with, resolved from the directory it was started in (the
//! master may have `chdir`ed since, and relative `--ini` paths must still
//! resolve). What only startup applies (the sockets, the identity, the
//! master's directory, its files) keeps its current value, and each such
//! change is named in the log.

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::OnceLock;

use crate::config::{self, AppConfig, ConfigError, Context};

/// The directory the master was started in.
static LAUNCH_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Remembers the current directory as the one the configuration is
/// resolved from on reload. Call before anything changes directory.
pub fn remember_launch_dir() {
    if let Ok(dir) = std::env::current_dir() {
        let _ = LAUNCH_DIR.set(dir);
    }
}

/// A configuration read again.
#[derive(Debug)]
pub struct Reread {
    pub cfg: AppConfig,
    pub warnings: Vec<String>,
    /// One line per option that changed but needs a restart.
    pub kept: Vec<String>,
}

/// Resolves the master's own arguments again, as `config::load_from_args`
/// does at startup, keeping from `current` what cannot change.
pub fn reread(current: &AppConfig) -> Result<Reread, ConfigError> {
    let (_, args) = crate::contract::modes::take_control(crate::proctitle::args_os());
    let mut ctx = Context::from_process();
    if let Some(dir) = LAUNCH_DIR.get() {
        ctx.cwd = dir.clone();
    }
    let mut resolution = config::check_with(&args, &ctx);
    if let Some(err) = ConfigError::from_list(std::mem::take(&mut resolution.errors)) {
        return Err(err);
    }
    let mut cfg = resolution.app;
    let kept = keep_fixed(current, &mut cfg);
    Ok(Reread {
        cfg,
        warnings: resolution.warnings,
        kept,
    })
}

/// Puts back into `new` every option only startup applies; returns one
/// log line per option that differed.
pub fn keep_fixed(current: &AppConfig, new: &mut AppConfig) -> Vec<String> {
    let mut kept = Vec::new();
    let raw = |c: &AppConfig| c.sockets.iter().map(|s| s.raw.clone()).collect::<Vec<_>>();
    if current.sockets != new.sockets {
        kept.push(line("the sockets", &raw(current), &raw(new)));
        new.sockets = current.sockets.clone();
    }
    keep(&mut kept, "listen", &current.listen, &mut new.listen);
    keep(
        &mut kept,
        "chmod-socket",
        &current.chmod_socket,
        &mut new.chmod_socket,
    );
    keep(
        &mut kept,
        "chown-socket",
        &current.chown_socket,
        &mut new.chown_socket,
    );
    keep(&mut kept, "uid", &current.uid, &mut new.uid);
    keep(&mut kept, "gid", &current.gid, &mut new.gid);
    keep(&mut kept, "chdir", &current.chdir, &mut new.chdir);
    keep(&mut kept, "pidfile", &current.pidfile, &mut new.pidfile);
    keep(
        &mut kept,
        "daemonize",
        &current.daemonize,
        &mut new.daemonize,
    );
    keep(&mut kept, "logto", &current.logto, &mut new.logto);
    keep(
        &mut kept,
        "the log file options (log-master, log-maxsize, log-backupname, log-reopen, logto2)",
        &current.request_logging.file,
        &mut new.request_logging.file,
    );
    keep(
        &mut kept,
        "the loggers (logger, req-logger, log-route, log-encoder and their kin)",
        &current.request_logging.loggers,
        &mut new.request_logging.loggers,
    );
    keep(
        &mut kept,
        "log-date",
        &current.request_logging.date,
        &mut new.request_logging.date,
    );
    keep(&mut kept, "vacuum", &current.vacuum, &mut new.vacuum);
    keep(
        &mut kept,
        "the attached daemons (attach-daemon and its family)",
        &current.daemons,
        &mut new.daemons,
    );
    keep(
        &mut kept,
        "daemons-honour-stdin",
        &current.daemons_honour_stdin,
        &mut new.daemons_honour_stdin,
    );
    // The caches' mapping is made once, and kept with its contents.
    keep(
        &mut kept,
        "the caches (cache2, cache and their options)",
        &current.cache,
        &mut new.cache,
    );
    keep(
        &mut kept,
        "sharedarea",
        &current.sharedareas,
        &mut new.sharedareas,
    );
    keep(
        &mut kept,
        "lazy-apps",
        &current.lazy_apps,
        &mut new.lazy_apps,
    );
    // Every child inherits the mules' queues, made once: the set of mules
    // and farms stays (a mule's script may change).
    if current.mules.queue_layout() != new.mules.queue_layout() {
        kept.push(line(
            "the mules and farms (mule, mules, farm, mule-msg-size)",
            &current.mules.queue_layout(),
            &new.mules.queue_layout(),
        ));
        new.mules = current.mules.clone();
    }
    kept
}

fn keep<T: PartialEq + Clone + Debug>(kept: &mut Vec<String>, name: &str, old: &T, new: &mut T) {
    if old != new {
        kept.push(line(name, old, new));
        *new = old.clone();
    }
}

fn line(name: &str, old: &impl Debug, new: &impl Debug) -> String {
    format!(
        "reload: {name} cannot change without a restart: keeping {old:?} (the configuration now says {new:?})"
    )
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    #[test]
    fn startup_options_keep_their_value_and_are_named() {
        let current = AppConfig {
            uid: Some("www".into()),
            processes: 2,
            ..AppConfig::default()
        };
        let mut new = AppConfig {
            uid: Some("nobody".into()),
            chdir: Some(PathBuf::from("/srv")),
            processes: 4,
            ..AppConfig::default()
        };
        let kept = keep_fixed(&current, &mut new);
        assert_eq!(new.uid.as_deref(), Some("www"));
        assert_eq!(new.chdir, None);
        assert_eq!(new.processes, 4);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept[0].starts_with("reload: uid cannot change"), "{kept:?}");
        assert!(
            kept[1].starts_with("reload: chdir cannot change"),
            "{kept:?}"
        );
    }

    #[test]
    fn the_control_socket_is_not_part_of_the_configuration() {
        let args = [
            "--ini",
            "a.ini",
            "--control",
            "/run/c.sock",
            "--control=/x",
            "-p",
            "2",
        ];
        let (_, kept) =
            crate::contract::modes::take_control(args.iter().map(OsString::from).collect());
        assert_eq!(kept, ["--ini", "a.ini", "-p", "2"]);
    }

    #[test]
    fn the_set_of_mules_stays_but_a_script_may_change() {
        use crate::config::{MuleConfig, MuleSpec};
        let mules = |scripts: &[Option<&str>]| MuleConfig {
            mules: scripts
                .iter()
                .map(|s| MuleSpec {
                    script: s.map(str::to_owned),
                })
                .collect(),
            ..MuleConfig::default()
        };
        let current = AppConfig {
            mules: mules(&[None]),
            ..AppConfig::default()
        };
        let mut new = AppConfig {
            mules: mules(&[Some("a.py")]),
            ..AppConfig::default()
        };
        assert!(keep_fixed(&current, &mut new).is_empty());
        assert_eq!(new.mules, mules(&[Some("a.py")]));
        let mut more = AppConfig {
            mules: mules(&[None, None]),
            ..AppConfig::default()
        };
        let kept = keep_fixed(&current, &mut more);
        assert_eq!(more.mules, current.mules);
        assert!(kept[0].contains("the mules and farms"), "{kept:?}");
    }

    #[test]
    fn nothing_is_named_when_nothing_fixed_changed() {
        let current = AppConfig::default();
        let mut new = AppConfig {
            harakiri: 30,
            ..AppConfig::default()
        };
        assert!(keep_fixed(&current, &mut new).is_empty());
        assert_eq!(new.harakiri, 30);
    }
}
