//! A listen socket a child inherits from its master.

use std::os::fd::OwnedFd;

use crate::config::ListenSpec;

/// A listen socket inherited from the master, with the spec it was bound for.
#[derive(Debug)]
pub struct InheritedListener {
    pub spec: ListenSpec,
    pub fd: OwnedFd,
}
