//! The unix-socket transport both ends of the control API use: where the
//! control socket is by default, and a client connected to one.

use std::path::{Path, PathBuf};

use hyper_util::rt::TokioIo;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::v1::control_client::ControlClient;

/// The environment variable that names the control socket for `uwsgictl`
/// (after `--socket`, before the default).
pub const CONTROL_ENV: &str = "UWSGID_CONTROL";

/// `/run/uwsgid/control.sock` for root, `$XDG_RUNTIME_DIR/uwsgid/control.sock`
/// for anyone else (`/tmp/uwsgid-UID/control.sock` without it).
pub fn default_control_socket() -> PathBuf {
    runtime_dir().join("control.sock")
}

/// The directory of the default control socket (see
/// [`default_control_socket`]).
pub fn runtime_dir() -> PathBuf {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid == 0 {
        return PathBuf::from("/run/uwsgid");
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("uwsgid"),
        None => PathBuf::from(format!("/tmp/uwsgid-{euid}")),
    }
}

/// The control socket of the app `name` under a supervisor whose control
/// socket is `control`: `<dir of control>/apps/<name>.sock`.
pub fn app_socket(control: &Path, name: &str) -> PathBuf {
    let dir = control.parent().unwrap_or_else(|| Path::new("."));
    dir.join("apps").join(format!("{name}.sock"))
}

/// A client of the control API on the unix socket `path`. Connects at once,
/// so a missing or dead socket is an error here, not at the first call.
pub async fn connect(path: &Path) -> Result<ControlClient<Channel>, tonic::transport::Error> {
    let path = path.to_path_buf();
    // The URI is required by the API and ignored by the connector.
    let channel = Endpoint::from_static("http://[::]:50051")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        }))
        .await?;
    Ok(ControlClient::new(channel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_sockets_sit_beside_the_control_socket() {
        let p = app_socket(Path::new("/run/uwsgid/control.sock"), "mysite1");
        assert_eq!(p, PathBuf::from("/run/uwsgid/apps/mysite1.sock"));
    }

    #[test]
    fn the_default_socket_is_named_control_sock() {
        assert!(default_control_socket().ends_with("uwsgid/control.sock"));
    }
}
