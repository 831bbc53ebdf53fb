//! The control contract of uwsgid: the gRPC services the supervisor and each
//! app master serve on their unix control sockets, and that `uwsgictl` calls;
//! plus the unix-socket transport both ends share (`transport`).

pub mod transport;

/// Generated from `proto/uwsgid.proto`.
#[allow(clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("uwsgid.v1");
}
