//! The supervisor's command line (`uwsgid [--apps-dir DIR] …`), the paths
//! it resolves to, and the man page generated from it.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use nix::unistd::{Gid, Group};

/// The supervisor's flags. Any other argument makes `uwsgid` an app master.
#[derive(Parser, Debug, Clone, PartialEq, Eq)]
#[command(
    name = "uwsgid",
    version,
    about = "Supervise every uWSGI app of an apps directory",
    long_about = "Without --ini, uwsgid is the supervisor of every app whose ini file sits in \
                  its apps directory: one app master per *.ini file, started, watched, \
                  reloaded when its file changes and restarted with backoff when it dies. \
                  It serves the control API (uwsgictl) on a unix socket and talks to systemd \
                  (Type=notify)."
)]
pub struct Options {
    /// Directory whose `*.ini` files (or symlinks to them) are the apps to run.
    #[arg(long, value_name = "DIR", default_value = "/etc/uwsgi/apps-enabled")]
    pub apps_dir: PathBuf,
    /// The control socket [default: /run/uwsgid/control.sock for root,
    /// $XDG_RUNTIME_DIR/uwsgid/control.sock otherwise].
    #[arg(long, value_name = "PATH")]
    pub control: Option<PathBuf>,
    /// The control socket's group (name or number): its members may read
    /// (status, logs); only root and uwsgid's user may change things.
    #[arg(long, value_name = "GROUP")]
    pub control_group: Option<String>,
    /// Where the apps stopped on purpose are remembered [default:
    /// /var/lib/uwsgid for root, else $XDG_STATE_HOME/uwsgid or
    /// ~/.local/state/uwsgid].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Where each app's output goes, as NAME.log [default: /var/log/uwsgid
    /// for root, else STATE_DIR/log].
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// Write the supervisor's pid to FILE (removed at exit).
    #[arg(long, value_name = "FILE")]
    pub pidfile: Option<PathBuf>,
    /// Detach into the background and log to LOGFILE (for hosts without
    /// systemd).
    #[arg(long, value_name = "LOGFILE")]
    pub daemonize: Option<PathBuf>,
    /// Seconds between two scans of the apps directory.
    #[arg(long, value_name = "SECS", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub scan_interval: u64,
}

impl Options {
    /// The supervisor's options when `args` hold supervisor flags only.
    pub fn from_args(args: &[OsString]) -> Option<Options> {
        let argv = std::iter::once(OsString::from("uwsgid")).chain(args.iter().cloned());
        Options::try_parse_from(argv).ok()
    }

    /// Every path made absolute and every default filled in.
    pub fn resolve(&self) -> Result<Paths, OptionsError> {
        let cwd = std::env::current_dir().map_err(OptionsError::Cwd)?;
        let root = nix::unistd::geteuid().is_root();
        let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let state_dir = match &self.state_dir {
            Some(dir) => cwd.join(dir),
            None => default_state_dir(root, env("XDG_STATE_HOME"), env("HOME"))?,
        };
        let log_dir = match &self.log_dir {
            Some(dir) => cwd.join(dir),
            None => default_log_dir(root, &state_dir),
        };
        let control = self
            .control
            .clone()
            .unwrap_or_else(uwsgid_proto::transport::default_control_socket);
        let control_group = self.control_group.as_deref().map(group_id).transpose()?;
        Ok(Paths {
            apps_dir: cwd.join(&self.apps_dir),
            control: cwd.join(control),
            control_group,
            state_dir,
            log_dir,
            pidfile: self.pidfile.as_ref().map(|p| cwd.join(p)),
            scan_interval: std::time::Duration::from_secs(self.scan_interval),
            vassals: super::emperor::Vassals::default(),
        })
    }
}

/// The options with every path absolute, as the supervisor uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub apps_dir: PathBuf,
    pub control: PathBuf,
    pub control_group: Option<Gid>,
    pub state_dir: PathBuf,
    pub log_dir: PathBuf,
    pub pidfile: Option<PathBuf>,
    pub scan_interval: std::time::Duration,
    /// How vassals are found and started (the Emperor's options).
    pub vassals: super::emperor::Vassals,
}

/// Why the options cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("cannot read the current directory: {0}")]
    Cwd(std::io::Error),
    #[error("no state directory: HOME is not set (pass --state-dir)")]
    NoHome,
    #[error("--control-group {0}: no such group")]
    NoSuchGroup(String),
    #[error("--control-group {0}: {1}")]
    GroupLookup(String, nix::Error),
}

fn default_state_dir(
    root: bool,
    xdg_state: Option<OsString>,
    home: Option<OsString>,
) -> Result<PathBuf, OptionsError> {
    if root {
        return Ok(PathBuf::from("/var/lib/uwsgid"));
    }
    match (xdg_state, home) {
        (Some(state), _) => Ok(PathBuf::from(state).join("uwsgid")),
        (None, Some(home)) => Ok(PathBuf::from(home).join(".local/state/uwsgid")),
        (None, None) => Err(OptionsError::NoHome),
    }
}

fn default_log_dir(root: bool, state_dir: &Path) -> PathBuf {
    if root {
        PathBuf::from("/var/log/uwsgid")
    } else {
        state_dir.join("log")
    }
}

/// A group given by number or by name.
fn group_id(spec: &str) -> Result<Gid, OptionsError> {
    if let Ok(gid) = spec.parse::<u32>() {
        return Ok(Gid::from_raw(gid));
    }
    match Group::from_name(spec) {
        Ok(Some(group)) => Ok(group.gid),
        Ok(None) => Err(OptionsError::NoSuchGroup(spec.to_owned())),
        Err(err) => Err(OptionsError::GroupLookup(spec.to_owned(), err)),
    }
}

/// Prints uwsgid's man page (roff) for packaging.
pub fn print_man_page() -> ExitCode {
    match write_man_page(&mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("uwsgid: cannot write the man page: {err}");
            ExitCode::from(1)
        }
    }
}

fn write_man_page(out: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(Options::command());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    out.write_all(EXTRA_SECTIONS.as_bytes())?;
    man.render_version_section(out)
}

/// The parts of the man page clap does not know: the app mode, files and
/// signals.
const EXTRA_SECTIONS: &str = r#".SH "APP MODE"
.B uwsgid \-\-ini
.I FILE\fR[\fI:SECTION\fR] [\fB\-\-OPTION\fR \fIVALUE\fR ...]
.PP
runs one app in the foreground, exactly where
.B uwsgi \-\-ini FILE
ran before, reading the same file: it binds the app's sockets, writes its
pidfile and runs its workers. Every uWSGI option of an ini file can also be
given as \fB\-\-option\fR \fIvalue\fR. With \fB\-\-control\fR \fIPATH\fR the
app serves the control API on that unix socket (the supervisor starts each
app this way).
.PP
.B uwsgid \-\-check\-config
.I FILE\fR[\fI:SECTION\fR] [\fB\-\-json\fR]
resolves a configuration as a start would, and starts nothing.
.PP
An app master's signals are uWSGI's: HUP reloads gracefully, TERM stops
gracefully, INT and QUIT stop at once, TTIN and TTOU add or remove a worker.
.SH "SUPERVISOR"
The supervisor runs one app master per *.ini file of the apps directory
(regular files and symlinks to files). An app's name is its
.B project
placeholder if set, else the file's stem; two files with one name are an
error for the later one. The directory is scanned every
.B \-\-scan\-interval
seconds: a new file starts an app, a changed file reloads it gracefully, a
removed file stops it gracefully. An app master that dies is restarted after
1 s, then 2, 4 ... up to 60 s; the delay is reset once it has run 30 s. App
masters that outlive the supervisor are found again through their control
sockets and adopted. An app stopped with
.B uwsgictl stop
stays stopped across restarts of the supervisor.
.SH "SIGNALS"
.TP
.B TERM, INT, QUIT
stop every app gracefully (within its reload\-mercy), then exit 0.
.TP
.B HUP
scan the apps directory and reload every app.
.SH "FILES"
.TP
.I /etc/uwsgi/apps\-enabled/*.ini
the apps (\fB\-\-apps\-dir\fR).
.TP
.I /run/uwsgid/control.sock
the control socket; each app's own socket is in \fI/run/uwsgid/apps/\fR.
.TP
.I /var/lib/uwsgid/state.json
the apps stopped on purpose.
.TP
.I /var/log/uwsgid/NAME.log
each app's output.
.SH "SEE ALSO"
.BR uwsgictl (1)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn no_argument_is_the_supervisor_with_defaults() {
        let o = Options::from_args(&[]).expect("supervisor mode");
        assert_eq!(o.apps_dir, PathBuf::from("/etc/uwsgi/apps-enabled"));
        assert_eq!(o.scan_interval, 1);
        assert_eq!(o.control, None);
    }

    #[test]
    fn supervisor_flags_only_are_the_supervisor() {
        let o = Options::from_args(&os(&[
            "--apps-dir",
            "/srv/apps",
            "--scan-interval",
            "3",
            "--control-group",
            "www-data",
        ]))
        .expect("supervisor mode");
        assert_eq!(o.apps_dir, PathBuf::from("/srv/apps"));
        assert_eq!(o.scan_interval, 3);
        assert_eq!(o.control_group.as_deref(), Some("www-data"));
    }

    #[test]
    fn any_uwsgi_option_is_app_mode() {
        assert!(Options::from_args(&os(&["--ini", "a.ini"])).is_none());
        assert!(Options::from_args(&os(&["--http", ":8080"])).is_none());
        assert!(Options::from_args(&os(&["--scan-interval", "0"])).is_none());
    }

    #[test]
    fn state_and_log_dirs_follow_the_user() {
        let root = default_state_dir(true, None, None).expect("root");
        assert_eq!(root, PathBuf::from("/var/lib/uwsgid"));
        assert_eq!(
            default_log_dir(true, &root),
            PathBuf::from("/var/log/uwsgid")
        );
        let xdg =
            default_state_dir(false, Some("/x/state".into()), Some("/home/u".into())).expect("xdg");
        assert_eq!(xdg, PathBuf::from("/x/state/uwsgid"));
        let home = default_state_dir(false, None, Some("/home/u".into())).expect("home");
        assert_eq!(home, PathBuf::from("/home/u/.local/state/uwsgid"));
        assert_eq!(
            default_log_dir(false, &home),
            PathBuf::from("/home/u/.local/state/uwsgid/log")
        );
        assert!(default_state_dir(false, None, None).is_err());
    }

    #[test]
    fn groups_by_number_or_name() {
        assert_eq!(group_id("33").expect("number"), Gid::from_raw(33));
        assert_eq!(group_id("root").expect("name"), Gid::from_raw(0));
        assert!(matches!(
            group_id("no-such-group-here"),
            Err(OptionsError::NoSuchGroup(_))
        ));
    }

    #[test]
    fn relative_paths_become_absolute() {
        let o = Options::from_args(&os(&["--apps-dir", "apps", "--control", "c.sock"]))
            .expect("supervisor mode");
        let p = o.resolve().expect("resolves");
        assert!(p.apps_dir.is_absolute() && p.apps_dir.ends_with("apps"));
        assert!(p.control.is_absolute() && p.control.ends_with("c.sock"));
    }

    #[test]
    fn the_man_page_explains_the_app_mode() {
        let mut out = Vec::new();
        write_man_page(&mut out).expect("renders");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains(".SH \"APP MODE\""), "{text}");
        assert!(text.contains("apps\\-dir"), "{text}");
    }
}
