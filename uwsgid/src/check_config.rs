//! `uwsgid --check-config FILE[:SECTION] [--json]`: resolve a configuration
//! without starting anything.

use std::ffi::OsString;
use std::process::ExitCode;

/// Runs the check; exit 0 when the configuration is valid.
pub fn run(_args: &[OsString]) -> ExitCode {
    eprintln!("uwsgid: --check-config is not implemented yet");
    ExitCode::from(1)
}
