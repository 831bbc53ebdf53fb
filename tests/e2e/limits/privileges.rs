//! The seed configuration run as root with `uid`/`gid` (filled in below).
