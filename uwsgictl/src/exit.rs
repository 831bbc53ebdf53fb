//! How `uwsgictl` ends: the documented exit codes, the error that carries
//! one, and the mapping from whatever went wrong to a code and a message.

use std::fmt;

/// The exit codes of `uwsgictl` (documented in `--help` and the README);
/// 2, a usage error, is clap's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// An action failed or was refused.
    Failed = 1,
    /// `status`: an app shown is neither running nor reloading.
    NotRunning = 3,
    /// An unknown app, or no uwsgid on the control socket.
    NotFound = 4,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// An error with the exit code it ends `uwsgictl` with.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code for a gRPC status the server answered with.
pub fn for_code(code: tonic::Code) -> Exit {
    match code {
        tonic::Code::Ok => Exit::Ok,
        tonic::Code::NotFound => Exit::NotFound,
        // The server went away in the middle of a call: as good as absent.
        tonic::Code::Unavailable => Exit::NotFound,
        _ => Exit::Failed,
    }
}

/// What `uwsgictl` prints and exits with for `err`, or `None` when it ends
/// quietly with success: a closed pipe (`uwsgictl logs app | head`) is the
/// reader's choice, not a failure.
pub fn classify(err: &anyhow::Error) -> Option<(Exit, String)> {
    for cause in err.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return Some((failure.exit, failure.message.clone()));
        }
        if let Some(status) = cause.downcast_ref::<tonic::Status>() {
            return Some((for_code(status.code()), status_message(status)));
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return None;
        }
    }
    Some((Exit::Failed, format!("{err:#}")))
}

/// The server's own message (tonic's `Display` adds metadata nobody
/// needs), followed by the cause when the status was made on this side: a
/// bare "transport error" says nothing about a connection that broke.
fn status_message(status: &tonic::Status) -> String {
    let mut message = if status.message().is_empty() {
        format!("{:?}", status.code())
    } else {
        status.message().to_string()
    };
    let mut cause = std::error::Error::source(status);
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_codes_map_to_the_documented_exits() {
        assert_eq!(for_code(tonic::Code::NotFound), Exit::NotFound);
        assert_eq!(for_code(tonic::Code::Unavailable), Exit::NotFound);
        assert_eq!(for_code(tonic::Code::PermissionDenied), Exit::Failed);
        assert_eq!(for_code(tonic::Code::InvalidArgument), Exit::Failed);
        assert_eq!(for_code(tonic::Code::FailedPrecondition), Exit::Failed);
        assert_eq!(for_code(tonic::Code::Internal), Exit::Failed);
    }

    #[test]
    fn a_refusal_prints_the_servers_message() {
        let err = anyhow::Error::from(tonic::Status::permission_denied(
            "uid 1000 may only read: stop needs root or uwsgid's user",
        ));
        let (exit, message) = classify(&err).expect("not quiet");
        assert_eq!(exit, Exit::Failed);
        assert_eq!(
            message,
            "uid 1000 may only read: stop needs root or uwsgid's user"
        );
    }

    #[test]
    fn an_unknown_app_exits_4() {
        let err =
            anyhow::Error::from(tonic::Status::not_found("no app named x")).context("stopping x");
        assert_eq!(
            classify(&err),
            Some((Exit::NotFound, "no app named x".to_string()))
        );
    }

    #[test]
    fn a_local_transport_failure_names_its_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset");
        let mut status = tonic::Status::unknown("transport error");
        status.set_source(std::sync::Arc::new(io));
        let (exit, message) = classify(&anyhow::Error::from(status)).expect("not quiet");
        assert_eq!(exit, Exit::Failed);
        assert_eq!(message, "transport error: connection reset");
    }

    #[test]
    fn a_failure_keeps_its_code() {
        let err = anyhow::Error::from(Failure::new(Exit::NotFound, "cannot reach"));
        assert_eq!(
            classify(&err),
            Some((Exit::NotFound, "cannot reach".into()))
        );
    }

    #[test]
    fn a_closed_pipe_is_quiet() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = anyhow::Error::from(io).context("writing the log");
        assert_eq!(classify(&err), None);
    }

    #[test]
    fn anything_else_fails_with_its_whole_chain() {
        let err = anyhow::anyhow!("disk full").context("writing x");
        assert_eq!(
            classify(&err),
            Some((Exit::Failed, "writing x: disk full".to_string()))
        );
    }
}
