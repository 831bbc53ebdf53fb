//! The master logs through the crate's [`log_line`](crate::log::log_line).

pub(crate) use crate::log::log_line;
