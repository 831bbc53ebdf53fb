//! What `uwsgictl` prints: aligned tables and human units for people
//! ([`table`], [`units`]), JSON for scripts ([`json`]).

pub mod json;
pub mod table;
pub mod units;

pub use table::Table;
