//! Process discovery through `/proc`: children by parent pid, members of a
//! process group, and identity by start time (so a reused pid is never taken
//! for the process it replaced).

use std::fs;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// One process, named by pid and the start time the kernel gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcId {
    pub pid: i32,
    pub start_time: u64,
}

impl ProcId {
    /// The process now running as `pid`, if any.
    pub fn of(pid: i32) -> Option<ProcId> {
        stat(pid).map(|s| ProcId {
            pid,
            start_time: s.start_time,
        })
    }

    /// Whether this very process still runs (zombies count as gone).
    pub fn is_alive(&self) -> bool {
        stat(self.pid).is_some_and(|s| s.start_time == self.start_time && s.state != 'Z')
    }

    /// Sends `signal` unless the pid now belongs to another process.
    pub fn kill_if_same(&self, signal: Signal) {
        if self.is_alive() {
            let _ = kill(Pid::from_raw(self.pid), signal);
        }
    }
}

/// The fields of `/proc/PID/stat` the harness needs.
#[derive(Debug, Clone, Copy)]
struct Stat {
    state: char,
    ppid: i32,
    pgrp: i32,
    start_time: u64,
}

/// Parses `/proc/PID/stat`. The command name (field 2) may hold spaces and
/// parentheses, so the fields are counted from the last `)`.
fn stat(pid: i32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) pgrp(5) … starttime(22).
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

fn all_pids() -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// Every live process below `root` (children, grandchildren, …).
pub fn descendants(root: i32) -> Vec<ProcId> {
    let table: Vec<(i32, Stat)> = all_pids()
        .into_iter()
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .filter(|(_, s)| s.state != 'Z')
        .collect();
    let mut found: Vec<ProcId> = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, s) in &table {
            if s.ppid == parent && !found.iter().any(|p| p.pid == *pid) {
                found.push(ProcId {
                    pid: *pid,
                    start_time: s.start_time,
                });
                frontier.push(*pid);
            }
        }
    }
    found
}

/// Every live process in process group `pgrp`.
pub fn process_group(pgrp: i32) -> Vec<ProcId> {
    all_pids()
        .into_iter()
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .filter(|(_, s)| s.pgrp == pgrp && s.state != 'Z')
        .map(|(pid, s)| ProcId {
            pid,
            start_time: s.start_time,
        })
        .collect()
}
