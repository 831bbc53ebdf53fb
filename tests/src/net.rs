//! Local ports for test servers.

use std::net::{Ipv4Addr, TcpListener};

use anyhow::{Context, Result};

/// A TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it,
/// the listener is closed, and the server under test binds it next.
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind 127.0.0.1:0")?;
    Ok(listener
        .local_addr()
        .context("cannot read the bound address")?
        .port())
}
