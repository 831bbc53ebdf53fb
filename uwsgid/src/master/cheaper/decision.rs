//! What the algorithms see and decide: pure data, so each algorithm is a
//! function of its own state, one [`Sample`] and the options.

/// One running worker, as the scoreboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSample {
    pub id: u32,
    /// A request is in progress on one of its threads.
    pub busy: bool,
    /// µs spent in requests by this slot, all time (the scoreboard's
    /// `running_time`; it grows when a request ends).
    pub running_time_us: u64,
}

/// The app at one master cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    /// Workers that run (uWSGI's "active": not cheaped, with a pid), in
    /// slot order.
    pub workers: Vec<WorkerSample>,
    /// How many more workers the maximum allows (uWSGI's cheaped slots).
    pub room: u32,
    /// The longest listen queue of the TCP sockets (uWSGI's `backlog`).
    pub backlog: u64,
}

impl Sample {
    pub fn active(&self) -> u32 {
        u32::try_from(self.workers.len()).unwrap_or(u32::MAX)
    }

    pub fn busy(&self) -> u32 {
        u32::try_from(self.workers.iter().filter(|w| w.busy).count()).unwrap_or(u32::MAX)
    }

    /// Workers to start for a step of `step` (uWSGI: at least one, at most
    /// the room left).
    pub fn step(&self, step: u32) -> u32 {
        step.max(1).min(self.room)
    }
}

/// What the master does after a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Hold,
    /// Start this many workers.
    Spawn(u32),
    /// Stop one idle worker.
    Cheap,
}

impl Decision {
    /// `Spawn(0)` is `Hold`.
    pub fn spawn(n: u32) -> Decision {
        if n == 0 {
            Decision::Hold
        } else {
            Decision::Spawn(n)
        }
    }
}

#[cfg(test)]
pub mod test_samples {
    use super::*;

    /// `busy` busy workers among `active`, `room` more allowed.
    pub fn sample(active: u32, busy: u32, room: u32) -> Sample {
        Sample {
            workers: (1..=active)
                .map(|id| WorkerSample {
                    id,
                    busy: id <= busy,
                    running_time_us: 0,
                })
                .collect(),
            room,
            backlog: 0,
        }
    }
}
