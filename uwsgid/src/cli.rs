//! Command-line entry: chooses between the modes of the one binary.
//!
//! - `uwsgid --check-config FILE[:SECTION] [--json]`: resolve and print;
//! - `uwsgid --ini FILE …` or uWSGI options alone: run one app in the
//!   foreground (the app master);
//! - `uwsgid __zygote` / `uwsgid __worker`: hidden modes the app master
//!   execs for its zygote and, with `lazy-apps`, for each worker.

use std::ffi::OsString;
use std::process::ExitCode;

/// Hidden first argument that runs the zygote (see `crate::zygote`).
pub const ZYGOTE_MODE: &str = "__zygote";
/// Hidden first argument that runs one lazy-apps worker.
pub const WORKER_MODE: &str = "__worker";

/// Runs uwsgid with the process's arguments.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match args.first().and_then(|a| a.to_str()) {
        Some(ZYGOTE_MODE) => return exit_code(crate::zygote::run_zygote()),
        Some(WORKER_MODE) => return exit_code(crate::zygote::run_lazy_worker()),
        Some("--version") | Some("-V") => {
            println!("uwsgid {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--help") | Some("-h") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    if args.iter().any(|a| a == "--check-config") {
        return crate::check_config::run(&args);
    }
    if args.is_empty() {
        eprint!("uwsgid: no configuration given\n\n{USAGE}");
        return ExitCode::from(2);
    }
    match crate::config::load_from_args(&args) {
        Ok(loaded) => exit_code(crate::master::run(loaded)),
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
  uwsgid --ini FILE[:SECTION] [--OPTION VALUE ...]   run one app in the foreground
  uwsgid --OPTION VALUE ...                          e.g. uwsgid --http :8080 --wsgi-file app.py
  uwsgid --check-config FILE[:SECTION] [--json]      resolve a configuration, start nothing

Every uWSGI option of an ini file can be given as --option value (or --flag).
";
