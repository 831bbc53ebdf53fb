//! `uwsgictl`: the operator's tool for uwsgid.

use clap::Parser;

/// Control uwsgid over its unix control socket.
#[derive(Parser, Debug)]
#[command(name = "uwsgictl", version, about)]
struct Cli {
    /// The control socket of uwsgid (or of a standalone `uwsgid --ini`).
    #[arg(long, global = true)]
    socket: Option<std::path::PathBuf>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    eprintln!(
        "uwsgictl: the control API is not served yet (socket {:?})",
        cli.socket
    );
    std::process::ExitCode::from(4)
}
