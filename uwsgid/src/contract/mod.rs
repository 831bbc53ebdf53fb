//! What an app master and the processes it execs (the zygote, `lazy-apps`
//! workers) agree on. The master side (`crate::master`) and the worker side
//! (`crate::worker`, the zygote included) both import this module and never
//! each other:
//! - [`modes`]: the hidden first arguments that select a child's mode, and
//!   the `--control` argument a supervisor gives an app master;
//! - [`child_env`]: the environment and descriptors a child inherits;
//! - [`handoff`]: the socket pair over which workers pass connections;
//! - [`listener`]: a listen socket as a child inherits it;
//! - [`zygote_lines`]: the text lines on the zygote's two pipes;
//! - [`exit`]: the exit codes a child reports its end with;
//! - [`side_role`]: what a spooler process or a mule is told it is;
//! - [`titles`]: what `ps` shows for the master and each child;
//! - [`uwsgi_signals`]: the socket children send uWSGI signals and timers
//!   to the master on, and its messages;
//! - [`mule_queues`]: the mules' message queues every child inherits.

pub mod child_env;
pub mod exit;
pub mod handoff;
pub mod listener;
pub mod modes;
pub mod mule_queues;
mod seqpacket;
pub mod side_role;
pub mod titles;
pub mod uwsgi_signals;
pub mod zygote_lines;

pub use listener::InheritedListener;
pub use seqpacket::seqpacket_pair;
