//! Wire formats the workers speak. Pure: no sockets, no Python.

pub mod uwsgi;
