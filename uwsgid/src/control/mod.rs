//! What the supervisor and every app master share to serve the control
//! API: the unix socket (`socket.rs`) and who may change things
//! (`peer.rs`). Each side implements the service itself.

pub mod check;
pub mod logs;
pub mod peer;
pub mod socket;

use std::future::Future;

use uwsgid_proto::v1::control_server::{Control, ControlServer};

/// Serves `service` on `incoming` until `shutdown` completes.
pub async fn serve<S: Control>(
    incoming: socket::Incoming,
    service: S,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(ControlServer::new(service))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}
