//! Who may change things through the control socket: root and the
//! server's own user; anyone else who can connect (the socket's group) may
//! only read. Decided from the peer's `SO_PEERCRED`, which tonic records
//! for every request on a unix socket.

use tonic::transport::server::UdsConnectInfo;
use tonic::{Request, Status};

/// Ok when the peer of `request` is root or the server's effective user;
/// PERMISSION_DENIED otherwise (or when the credentials are unknown).
pub fn require_change<T>(request: &Request<T>, action: &str) -> Result<(), Status> {
    let uid = request
        .extensions()
        .get::<UdsConnectInfo>()
        .and_then(|info| info.peer_cred)
        .map(|cred| cred.uid());
    let own = nix::unistd::geteuid().as_raw();
    match uid {
        Some(uid) if may_change(uid, own) => Ok(()),
        Some(uid) => Err(Status::permission_denied(format!(
            "uid {uid} may only read: {action} needs root or uid {own} (the uid uwsgid runs as)"
        ))),
        None => Err(Status::permission_denied(format!(
            "{action}: the peer's credentials are unknown"
        ))),
    }
}

fn may_change(peer: u32, own: u32) -> bool {
    peer == 0 || peer == own
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_the_owner_may_change_others_may_not() {
        assert!(may_change(0, 33));
        assert!(may_change(33, 33));
        assert!(!may_change(1000, 33));
        assert!(!may_change(33, 0));
    }

    #[test]
    fn a_request_without_credentials_is_refused() {
        let err = require_change(&Request::new(()), "stop").expect_err("refused");
        assert_eq!(err.code(), tonic::Code::PermissionDenied);
    }
}
