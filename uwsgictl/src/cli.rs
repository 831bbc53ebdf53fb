//! The command line of `uwsgictl`: one `Args` struct per subcommand, so each
//! command file receives exactly what it needs. The same definitions feed
//! `--help`, the shell completions and the man pages.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

/// The exit codes, as `--help` and the man page show them.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  an action failed or was refused (permission denied, bad ini, failed reload, ...)
  2  usage error
  3  status: an app shown is not running (nor reloading)
  4  unknown app, or uwsgid cannot be reached on its control socket

The control socket is --socket, else $UWSGID_CONTROL, else /run/uwsgid/control.sock for root
and $XDG_RUNTIME_DIR/uwsgid/control.sock for other users. `uwsgictl --socket PATH` also talks
to a single app started as `uwsgid --ini FILE --control PATH`.";

/// Control uwsgid, the supervisor of your WSGI apps, over its unix control
/// socket.
#[derive(Parser, Debug)]
#[command(name = "uwsgictl", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// The control socket of uwsgid (or of a standalone `uwsgid --ini FILE --control PATH`).
    #[arg(long, global = true, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub socket: Option<PathBuf>,

    /// Print the server's replies as JSON (one object per line for streams).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show each app and its workers: state, pids, requests, memory.
    ///
    /// Exits 3 when an app shown is neither running nor reloading.
    Status(StatusArgs),
    /// Start a stopped app, or an app from an ini file (which is added to the
    /// apps directory first, so it starts again after a reboot).
    Start(StartArgs),
    /// Stop an app gracefully; it stays stopped across restarts until started.
    Stop(SelectArgs),
    /// Stop an app, then start a new app master for it.
    Restart(SelectArgs),
    /// Reload an app gracefully: a new generation of workers takes over, then
    /// the old one finishes its requests (within reload-mercy).
    Reload(ReloadArgs),
    /// Put an ini file (a symlink to it) into the apps directory and start it.
    Add(AddArgs),
    /// Stop an app and take its ini out of the apps directory.
    Remove(AppArgs),
    /// Scan the apps directory now: start new inis, reload changed ones, stop
    /// removed ones.
    Rescan,
    /// Set the number of workers of a running app (at runtime only: the ini
    /// is not rewritten).
    Scale(ScaleArgs),
    /// Resolve an ini file as a start would, without starting anything.
    ///
    /// Exits 1 when the ini is invalid. With --json, prints the resolved
    /// configuration.
    Check(CheckArgs),
    /// Print the last lines of an app's log, and new ones with --follow.
    Logs(LogsArgs),
    /// Print a shell completion script (e.g. `uwsgictl completions bash`).
    Completions(CompletionsArgs),
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Only this app (default: every app).
    pub app: Option<String>,
}

#[derive(Args, Debug)]
pub struct StartArgs {
    /// An app name, or an ini file: an existing file, or a path with `/` or
    /// ending in `.ini`.
    #[arg(value_name = "APP|INI", value_hint = clap::ValueHint::FilePath)]
    pub target: String,
}

/// One app by name, or every app.
#[derive(Args, Debug)]
pub struct SelectArgs {
    /// The app.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub app: Option<String>,
    /// Every app.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct ReloadArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Return once the reload is under way instead of waiting for its end.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The ini file to add.
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub ini: PathBuf,
    /// Add it without starting it.
    #[arg(long)]
    pub no_start: bool,
}

#[derive(Args, Debug)]
pub struct AppArgs {
    /// The app.
    pub app: String,
}

#[derive(Args, Debug)]
pub struct ScaleArgs {
    /// The app.
    pub app: String,
    /// The number of workers (at least 1).
    #[arg(value_parser = clap::value_parser!(u32).range(1..))]
    pub processes: u32,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The ini file, optionally `FILE:SECTION`.
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub ini: String,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// The app.
    pub app: String,
    /// How many of the last lines to print first.
    #[arg(short = 'n', long, default_value_t = 50, value_name = "LINES")]
    pub lines: u32,
    /// Keep printing new lines as the app writes them.
    #[arg(short, long)]
    pub follow: bool,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: Shell,
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command};

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn stop_needs_an_app_or_all_but_not_both() {
        assert!(Cli::try_parse_from(["uwsgictl", "stop"]).is_err());
        assert!(Cli::try_parse_from(["uwsgictl", "stop", "a", "--all"]).is_err());
        assert!(Cli::try_parse_from(["uwsgictl", "stop", "--all"]).is_ok());
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = Cli::try_parse_from(["uwsgictl", "status", "--json", "--socket", "/s"])
            .expect("parses");
        assert!(cli.json);
        assert_eq!(cli.socket.as_deref(), Some(std::path::Path::new("/s")));
        assert!(matches!(cli.command, Command::Status(_)));
    }

    #[test]
    fn scale_refuses_zero_workers() {
        assert!(Cli::try_parse_from(["uwsgictl", "scale", "a", "0"]).is_err());
    }

    #[test]
    fn logs_default_to_fifty_lines() {
        let cli = Cli::try_parse_from(["uwsgictl", "logs", "a"]).expect("parses");
        match cli.command {
            Command::Logs(args) => assert_eq!(args.lines, 50),
            other => panic!("parsed as {other:?}"),
        }
    }
}
