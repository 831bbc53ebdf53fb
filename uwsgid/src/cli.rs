//! Command-line entry: chooses between the modes of the one binary.
//!
//! - `uwsgid --check-config FILE[:SECTION] [--json]`: resolve and print;
//! - `uwsgid --ini FILE …` or uWSGI options alone: run one app in the
//!   foreground (the app master);
//! - `uwsgid` alone, or with supervisor flags only (`--apps-dir`, …): the
//!   supervisor of every app of its apps directory (`crate::supervisor`);
//! - `uwsgid __zygote` / `uwsgid __worker`: hidden modes the app master
//!   execs for its zygote and, with `lazy-apps`, for each worker;
//! - `uwsgid __man`: the man page (roff) on stdout, for packaging.
//!
//! `--control PATH` is taken out of an app master's arguments before the
//! configuration engine sees them: it is where the app serves its control
//! API, not a uWSGI option. So are `--state-dir` and `--log-dir`, for a
//! configuration with `emperor` (`uwsgid --ini emperor.ini`), which runs
//! the supervisor on its vassals (`crate::supervisor::emperor`).

use std::ffi::OsString;
use std::process::ExitCode;

use crate::contract::modes::{
    MAN_MODE, MULE_MODE, SPOOLER_MODE, WORKER_MODE, ZYGOTE_MODE, take_control, take_supervisor_dirs,
};

/// Runs uwsgid with the process's arguments.
pub fn main() -> ExitCode {
    crate::contract::modes::keep_inherited_control();
    let args: Vec<OsString> = crate::proctitle::args_os();
    match args.first().and_then(|a| a.to_str()) {
        Some(ZYGOTE_MODE) => {
            crate::signals::ignore_terminal_stop();
            return exit_code(crate::worker::zygote::run_zygote());
        }
        Some(WORKER_MODE) => {
            crate::signals::ignore_terminal_stop();
            return exit_code(crate::worker::zygote::run_lazy_worker());
        }
        Some(mode @ (SPOOLER_MODE | MULE_MODE)) => {
            crate::signals::ignore_terminal_stop();
            return exit_code(crate::worker::side_process::run(mode));
        }
        Some("--version") | Some("-V") => {
            println!("uwsgid {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--help") | Some("-h") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(MAN_MODE) => return crate::supervisor::print_man_page(),
        _ => {}
    }
    if args.iter().any(|a| a == "--check-config") {
        return crate::check_config::run(&args);
    }
    if let Some(options) = crate::supervisor::Options::from_args(&args) {
        return exit_code(crate::supervisor::run(options));
    }
    let (control, args) = take_control(args);
    let (dirs, args) = take_supervisor_dirs(args);
    match crate::config::load_from_args(&args) {
        Ok(loaded) if loaded.app.emperor.is_set() => {
            let flags = crate::supervisor::emperor::Flags {
                control,
                state_dir: dirs.state_dir,
                log_dir: dirs.log_dir,
            };
            exit_code(crate::supervisor::emperor::run(&loaded, flags))
        }
        Ok(_) if dirs.state_dir.is_some() || dirs.log_dir.is_some() => {
            eprintln!("uwsgid: --state-dir and --log-dir are the supervisor's (or an Emperor's)");
            ExitCode::from(1)
        }
        Ok(loaded) => exit_code(crate::master::run(loaded, control)),
        Err(err) => {
            eprintln!("uwsgid: {err}");
            ExitCode::from(1)
        }
    }
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

const USAGE: &str = "\
Usage:
  uwsgid [--apps-dir DIR] [--control PATH] ...       supervise every app of DIR (see uwsgid --help-supervisor)
  uwsgid --ini FILE[:SECTION] [--OPTION VALUE ...]   run one app in the foreground
  uwsgid --control PATH --ini FILE ...               the same, serving the control API on PATH
  uwsgid --OPTION VALUE ...                          e.g. uwsgid --http :8080 --wsgi-file app.py
  uwsgid --check-config FILE[:SECTION] [--json]      resolve a configuration, start nothing

Every uWSGI option of an ini file can be given as --option value (or --flag).
";
