//! The uwsgi binary protocol codec.
