//! Finding and reaching the control socket: `--socket`, else
//! `$UWSGID_CONTROL`, else the default for this user; and an error that says
//! what to do when nothing answers there.

use std::error::Error as _;
use std::io;
use std::path::{Path, PathBuf};

use tonic::transport::Channel;
use uwsgid_proto::transport::{CONTROL_ENV, default_control_socket};
use uwsgid_proto::v1::control_client::ControlClient;

use crate::exit::{Exit, Failure};

/// A connected client of the control API.
pub type Client = ControlClient<Channel>;

/// The control socket to use: the flag, else the environment, else the
/// default.
pub fn socket_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| {
        std::env::var_os(CONTROL_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(default_control_socket)
}

/// Connects to uwsgid (or an app master) on `socket`.
pub async fn connect(socket: &Path) -> Result<Client, Failure> {
    uwsgid_proto::transport::connect(socket)
        .await
        .map_err(|err| unreachable(socket, &err))
}

/// The failure for a socket nobody could be reached on: the underlying
/// reason (the io error at the root of tonic's chain) and the way out.
fn unreachable(socket: &Path, err: &tonic::transport::Error) -> Failure {
    let mut io_error = None;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = err.source();
    while let Some(c) = cause {
        if let Some(e) = c.downcast_ref::<io::Error>() {
            io_error = Some(e);
        }
        cause = c.source();
    }
    match io_error {
        Some(e) => unreachable_because(socket, e.kind(), &e.to_string()),
        None => unreachable_because(socket, io::ErrorKind::Other, &err.to_string()),
    }
}

fn unreachable_because(socket: &Path, kind: io::ErrorKind, reason: &str) -> Failure {
    let server = match kind {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
            crate::server_process::serving(socket)
        }
        _ => None,
    };
    if kind == io::ErrorKind::PermissionDenied {
        // uwsgid is likely there: the socket is 0660, so the fix is a group,
        // not starting anything.
        return Failure::new(
            Exit::Failed,
            format!(
                "cannot reach uwsgid at {}: {reason} — only root, uwsgid's user and \
                 members of the socket's group may use it",
                socket.display()
            ),
        );
    }
    Failure::new(
        Exit::NotFound,
        not_found_message(socket, kind, reason, server),
    )
}

/// Why nothing answers on `socket`, and what to do: a running server whose
/// socket file is gone needs a SIGHUP, a file nobody serves is a server
/// that died, no file at all a server that is not running.
fn not_found_message(
    socket: &Path,
    kind: io::ErrorKind,
    reason: &str,
    server: Option<i32>,
) -> String {
    let shown = socket.display();
    match server {
        Some(pid) if kind == io::ErrorKind::NotFound => format!(
            "cannot reach uwsgid at {shown}: the socket file is gone, but uwsgid (pid {pid}) \
             serves it — `kill -HUP {pid}` (or `systemctl reload uwsgid`) makes it again"
        ),
        Some(pid) => format!(
            "cannot reach uwsgid at {shown}: {reason} — uwsgid (pid {pid}) is running but does \
             not answer there; `kill -HUP {pid}` makes its socket again"
        ),
        None if kind == io::ErrorKind::ConnectionRefused => format!(
            "cannot reach uwsgid at {shown}: {reason} — nothing listens there (a file left by \
             a uwsgid that died?); start it with `systemctl start uwsgid`, or pass --socket"
        ),
        None => format!(
            "cannot reach uwsgid at {shown}: {reason} — is uwsgid running? \
             (start it with `systemctl start uwsgid`, or pass --socket)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins() {
        let path = socket_path(Some(PathBuf::from("/x/control.sock")));
        assert_eq!(path, PathBuf::from("/x/control.sock"));
    }

    #[test]
    fn no_daemon_exits_4_naming_the_socket() {
        // A path no process serves, whatever runs on this machine.
        let f = unreachable_because(
            Path::new("/nonexistent/uwsgid-test/control.sock"),
            io::ErrorKind::NotFound,
            "No such file or directory (os error 2)",
        );
        assert_eq!(f.exit, Exit::NotFound);
        assert_eq!(
            f.message,
            "cannot reach uwsgid at /nonexistent/uwsgid-test/control.sock: No such file or \
             directory (os error 2) — is uwsgid running? (start it with `systemctl start \
             uwsgid`, or pass --socket)"
        );
    }

    #[test]
    fn a_deleted_socket_of_a_running_server_asks_for_a_sighup() {
        let message = not_found_message(
            Path::new("/run/uwsgid/control.sock"),
            io::ErrorKind::NotFound,
            "No such file or directory (os error 2)",
            Some(42),
        );
        assert!(
            message.contains("the socket file is gone, but uwsgid (pid 42) serves it")
                && message.contains("`kill -HUP 42`"),
            "{message}"
        );
    }

    #[test]
    fn a_socket_we_may_not_open_is_a_refusal() {
        let f = unreachable_because(
            Path::new("/run/uwsgid/control.sock"),
            io::ErrorKind::PermissionDenied,
            "Permission denied (os error 13)",
        );
        assert_eq!(f.exit, Exit::Failed);
        assert!(f.message.contains("socket's group"), "{}", f.message);
    }
}
