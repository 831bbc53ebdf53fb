//! The accessors of one worker slot and its cores: the worker writes them
//! with plain atomic stores (no syscall per request), the master reads.

use std::sync::atomic::Ordering;

use super::*;

impl WorkerSlot {
    /// Whether a live worker of a generation newer than `generation` holds
    /// this slot: a worker of an older generation born late (its zygote
    /// was slow, or it was respawned during a reload) must not take the
    /// slot from the worker that replaces it.
    pub fn held_by_newer(&self, generation: u64) -> bool {
        let pid = self.pid();
        pid > 0
            && self.generation.load(Ordering::Acquire) > generation
            && !matches!(
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
                Err(nix::errno::Errno::ESRCH)
            )
    }

    /// A failed reload gives the slot its new worker `from` took back to
    /// the old worker `to` (of `generation`), which writes to it again;
    /// `from` is told to finish and writes nothing more. The counters go on
    /// from what `from` had counted.
    pub fn hand_back(&self, from: i32, to: i32, generation: u64) {
        if self.pid() != from {
            return;
        }
        for core in &self.cores {
            core.start_us.store(0, Ordering::Release);
        }
        self.generation.store(generation, Ordering::Release);
        self.accepting.store(1, Ordering::Relaxed);
        self.serving.store(1, Ordering::Relaxed);
        self.pid
            .store(u64::try_from(to).unwrap_or(0), Ordering::Release);
    }

    /// A new process took this slot (called by the worker itself).
    pub fn on_spawn(&self, pid: u32, generation: u64, now_us: u64) {
        for core in &self.cores {
            core.start_us.store(0, Ordering::Release);
        }
        self.delta_requests.store(0, Ordering::Relaxed);
        self.exit_reason.store(0, Ordering::Relaxed);
        self.rss.store(0, Ordering::Relaxed);
        self.vsz.store(0, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Release);
        self.last_spawn_us.store(now_us, Ordering::Relaxed);
        self.respawns.fetch_add(1, Ordering::Relaxed);
        self.accepting.store(1, Ordering::Relaxed);
        self.serving.store(0, Ordering::Relaxed);
        self.user_harakiri_us.store(0, Ordering::Relaxed);
        self.pid.store(u64::from(pid), Ordering::Release);
    }

    /// `uwsgi.set_user_harakiri`: the deadline (0 clears it).
    pub fn set_user_harakiri(&self, deadline_us: u64) {
        self.user_harakiri_us.store(deadline_us, Ordering::Release);
    }

    /// The user harakiri deadline, µs since the epoch (0: none).
    pub fn user_harakiri_us(&self) -> u64 {
        self.user_harakiri_us.load(Ordering::Acquire)
    }

    /// A uWSGI signal was handled here (the worker's signal thread).
    pub fn count_signal(&self) {
        self.signals.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether the master paused the app.
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Acquire) != 0
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.pid.load(Ordering::Acquire)).unwrap_or(0)
    }

    /// A request started on `core`: `info` is written piecewise (no
    /// allocation), then the start time.
    pub fn begin(&self, core: usize, start_us: u64, info: &[&[u8]]) {
        let Some(slot) = self.cores.get(core) else {
            return;
        };
        let mut packer = Packer::new(&slot.info);
        for part in info {
            packer.push(part);
        }
        slot.info_len
            .store(packer.finish() as u64, Ordering::Relaxed);
        slot.start_us.store(start_us.max(1), Ordering::Release);
    }

    /// The request on `core` ended after `elapsed_us`, sending `tx` bytes.
    pub fn end(&self, core: usize, elapsed_us: u64, tx: u64, failed: bool) {
        if let Some(slot) = self.cores.get(core) {
            slot.start_us.store(0, Ordering::Release);
            slot.requests.fetch_add(1, Ordering::Relaxed);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.delta_requests.fetch_add(1, Ordering::Relaxed);
        self.tx.fetch_add(tx, Ordering::Relaxed);
        self.running_time_us
            .fetch_add(elapsed_us, Ordering::Relaxed);
        // uWSGI's running average: (avg + rt) / 2. Racy between threads
        // by design: an approximate figure, never a wrong type.
        let avg = self.avg_rt_us.load(Ordering::Relaxed);
        self.avg_rt_us
            .store(avg.saturating_add(elapsed_us) / 2, Ordering::Relaxed);
        if failed {
            self.exceptions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The process in the slot takes connections now.
    pub fn set_serving(&self) {
        self.serving.store(1, Ordering::Release);
    }

    /// Whether the process in the slot takes connections.
    pub fn serving(&self) -> bool {
        self.serving.load(Ordering::Acquire) != 0
    }

    pub fn set_accepting(&self, accepting: bool) {
        self.accepting
            .store(u64::from(accepting), Ordering::Relaxed);
    }

    pub fn set_memory(&self, rss: u64, vsz: u64) {
        self.rss.store(rss, Ordering::Relaxed);
        self.vsz.store(vsz, Ordering::Relaxed);
    }

    /// Records why the current process is about to end.
    pub fn set_exit_reason(&self, reason: ExitReason) {
        self.exit_reason.store(reason.code(), Ordering::Release);
    }

    /// The master reaped the process of this slot: the recorded reason
    /// becomes the slot's last exit cause, and is returned.
    pub fn settle_exit(&self) -> ExitReason {
        let reason = ExitReason::from_code(self.exit_reason.swap(0, Ordering::AcqRel));
        self.last_exit.store(reason.code(), Ordering::Relaxed);
        self.pid.store(0, Ordering::Release);
        reason
    }

    /// Why the previous process of this slot ended.
    pub fn last_exit(&self) -> ExitReason {
        ExitReason::from_code(self.last_exit.load(Ordering::Relaxed))
    }

    pub fn count_harakiri(&self) {
        self.harakiri_count.fetch_add(1, Ordering::Relaxed);
    }

    /// The requests in progress on the first `cores` cores.
    pub fn busy_cores(&self, cores: usize) -> Vec<BusyCore> {
        let mut out = Vec::new();
        for (index, slot) in self.cores.iter().take(cores).enumerate() {
            let start_us = slot.start_us.load(Ordering::Acquire);
            if start_us == 0 {
                continue;
            }
            let info = slot.read_info();
            // A request that ended (or was replaced) meanwhile is not
            // reported with another one's text.
            if slot.start_us.load(Ordering::Acquire) == start_us {
                out.push(BusyCore {
                    core: index,
                    start_us,
                    info,
                });
            }
        }
        out
    }

    /// The counters of the first `cores` cores.
    pub fn core_snapshots(&self, cores: usize) -> Vec<CoreSnapshot> {
        self.cores
            .iter()
            .take(cores)
            .map(|c| CoreSnapshot {
                requests: c.requests.load(Ordering::Relaxed),
                in_request: c.start_us.load(Ordering::Acquire) != 0,
            })
            .collect()
    }

    pub fn snapshot(&self) -> SlotSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SlotSnapshot {
            pid: self.pid(),
            generation: get(&self.generation),
            requests: get(&self.requests),
            delta_requests: get(&self.delta_requests),
            accepting: get(&self.accepting) != 0,
            tx: get(&self.tx),
            running_time_us: get(&self.running_time_us),
            avg_rt_us: get(&self.avg_rt_us),
            exceptions: get(&self.exceptions),
            harakiri_count: get(&self.harakiri_count),
            rss: get(&self.rss),
            vsz: get(&self.vsz),
            last_spawn_us: get(&self.last_spawn_us),
            respawns: get(&self.respawns),
            signals: get(&self.signals),
        }
    }
}

impl CoreSlot {
    fn read_info(&self) -> String {
        let len = usize::try_from(self.info_len.load(Ordering::Relaxed))
            .unwrap_or(0)
            .min(INFO_BYTES);
        let mut bytes = Vec::with_capacity(INFO_BYTES);
        for word in &self.info {
            bytes.extend_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
        }
        bytes.truncate(len);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
