//! End-to-end tests.
mod config;
