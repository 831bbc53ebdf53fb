//! The control contract of uwsgid: the gRPC services the supervisor and each
//! app master serve on their unix control sockets, and that `uwsgictl` calls.
//! This crate holds the `.proto` and its generated code, and nothing else.

#![allow(clippy::all, clippy::pedantic)]

/// Generated from `proto/uwsgid.proto`.
pub mod v1 {
    tonic::include_proto!("uwsgid.v1");
}
