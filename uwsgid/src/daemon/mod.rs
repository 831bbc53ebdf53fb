//! The supervisor: `uwsgid` without `--ini` runs one app master per ini
//! file of its apps directory, serves the control API on a unix socket and
//! talks to systemd. (Skeleton: filled in by the supervisor work.)

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// The supervisor's flags. Any other argument makes `uwsgid` an app master.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "uwsgid",
    version,
    about = "Supervise every uWSGI app of an apps directory"
)]
pub struct Options {
    /// Directory whose `*.ini` files are the apps to run.
    #[arg(long, default_value = "/etc/uwsgi/apps-enabled")]
    pub apps_dir: PathBuf,
    /// The control socket (default /run/uwsgid/control.sock for root,
    /// $XDG_RUNTIME_DIR/uwsgid/control.sock otherwise).
    #[arg(long)]
    pub control: Option<PathBuf>,
}

impl Options {
    /// The supervisor's options when `args` hold supervisor flags only.
    pub fn from_args(args: &[OsString]) -> Option<Options> {
        let argv = std::iter::once(OsString::from("uwsgid")).chain(args.iter().cloned());
        Options::try_parse_from(argv).ok()
    }
}

/// Runs the supervisor until it is stopped; returns the exit code.
pub fn run(_options: Options) -> i32 {
    eprintln!("uwsgid: the supervisor is not built yet");
    2
}

/// Prints uwsgid's man page (roff) for packaging.
pub fn print_man_page() -> ExitCode {
    ExitCode::SUCCESS
}
