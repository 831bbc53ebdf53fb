//! Mules (`mule`, `mules`, `farm`): processes beside the workers that run
//! the app's Python for a script of their own or for messages and
//! signals sent to them (`master/side_processes/`, `worker/mule/`).

use serde::{Deserialize, Serialize};

/// One mule; its id is its place in [`MuleConfig::mules`] plus one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuleSpec {
    /// `mule = FILE.py` (or `module:callable`); `None` for a bare `mule`
    /// or one of `mules = N`, which waits for messages and signals.
    pub script: Option<String>,
}

/// Every mule and farm of the app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuleConfig {
    pub mules: Vec<MuleSpec>,
}
