//! The mules' message queues (`crate::contract::mule_queues`), made once
//! before the first child and kept for the master's life: every child
//! inherits them (`spawn.rs`), so the set of mules and farms cannot change
//! without a restart (`reload/reread.rs` keeps it).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::OnceLock;

use super::sockets::move_high;
use crate::config::MuleConfig;
use crate::contract::mule_queues::Queues;
use crate::log::log_line;

static QUEUES: OnceLock<Option<Queues>> = OnceLock::new();

/// Makes the queues for `cfg` (once; later calls change nothing), with
/// uWSGI's line for each farm.
pub fn create(cfg: &MuleConfig) {
    QUEUES.get_or_init(|| {
        for (i, farm) in cfg.farms.iter().enumerate() {
            let mules: Vec<String> = farm.mules.iter().map(u32::to_string).collect();
            log_line!(
                "created farm {} name: {} mules:{}",
                i + 1,
                farm.name,
                mules.join(",")
            );
        }
        let made = Queues::create(cfg).and_then(|queues| {
            queues
                .map(|q| q.map_fds(|fd| move_high(fd).map_err(io::Error::other)))
                .transpose()
        });
        made.map_err(|err| log_line!("cannot create the mule message queues: {err}"))
            .ok()
            .flatten()
    });
}

/// The descriptors every child inherits, in the contract's order (none
/// without mules).
pub fn child_fds() -> Vec<RawFd> {
    QUEUES
        .get()
        .and_then(Option::as_ref)
        .map(|q| q.fds().map(|fd| fd.as_raw_fd()).collect())
        .unwrap_or_default()
}
