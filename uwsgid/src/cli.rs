//! Command-line entry: chooses between the modes of the one binary.

use std::process::ExitCode;

/// Runs uwsgid with the process's arguments.
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
