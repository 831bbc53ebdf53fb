//! uWSGI signals for the mules, as `uwsgi_route_signal` (core/signal.c)
//! routes them: `mules` (each), `muleN` (that one), `mule` / `mule0` (any
//! one), `farm_NAME` and `farmN` (any mule of the farm). uWSGI has one
//! pipe shared by the mules (and one per farm) that the first idle mule
//! reads; uwsgid writes to one mule's own pipe, taking the mules in turn,
//! the next when one's pipe is full.

use super::SignalHub;
use crate::config::MuleConfig;
use crate::log::log_line;

impl SignalHub {
    /// Routes `signal` when `target` names mules; false when it does not.
    pub(super) fn route_to_mules(&mut self, signal: u8, target: &str, cfg: &MuleConfig) -> bool {
        let count = cfg.mules.len() as u32;
        if target == "mules" {
            for id in 1..=count {
                if !self.send_to_any_mule(signal, &[id]) {
                    log_line!("could not deliver signal {signal} to mule {id}");
                }
            }
        } else if let Some(name) = target.strip_prefix("farm_") {
            match cfg.farm_index(name) {
                Some(index) => self.send_to_farm(signal, cfg, index),
                None => log_line!("unknown farm: {name}"),
            }
        } else if let Some(rest) = target.strip_prefix("farm") {
            match rest.parse::<usize>() {
                Ok(n) if (1..=cfg.farms.len()).contains(&n) => {
                    self.send_to_farm(signal, cfg, n - 1)
                }
                _ => log_line!("invalid signal target: {target}"),
            }
        } else if let Some(rest) = target.strip_prefix("mule") {
            let id = if rest.is_empty() {
                Ok(0)
            } else {
                rest.parse::<u32>()
            };
            match id {
                Ok(0) => {
                    let all: Vec<u32> = (1..=count).collect();
                    if !self.send_to_any_mule(signal, &all) {
                        log_line!("could not deliver signal {signal} to a mule");
                    }
                }
                Ok(id) if id <= count => {
                    if !self.send_to_any_mule(signal, &[id]) {
                        log_line!("could not deliver signal {signal} to mule {id}");
                    }
                }
                _ => log_line!("invalid signal target: {target}"),
            }
        } else {
            return false;
        }
        true
    }

    fn send_to_farm(&mut self, signal: u8, cfg: &MuleConfig, index: usize) {
        let farm = &cfg.farms[index];
        if !self.send_to_any_mule(signal, &farm.mules) {
            log_line!(
                "could not deliver signal {signal} to farm {} ({})",
                index + 1,
                farm.name
            );
        }
    }

    /// To one of `mules` (ids), starting after the one served last: false
    /// when none has a pipe that takes it.
    fn send_to_any_mule(&mut self, signal: u8, mules: &[u32]) -> bool {
        let mut candidates: Vec<usize> = (0..self.channels.len())
            .filter(|&i| mules.contains(&self.channels[i].mule))
            .collect();
        candidates.sort_by_key(|&i| self.channels[i].mule);
        let start = candidates
            .iter()
            .position(|&i| self.channels[i].mule > self.last_mule)
            .unwrap_or(0);
        candidates.rotate_left(start);
        match self.write_first(signal, &candidates) {
            Some(mule) => {
                self.last_mule = mule;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::OwnedFd;

    use super::super::Channel;
    use super::*;
    use crate::config::{FarmSpec, MuleSpec};

    /// A hub with mules 1 … `n` said hello; the read ends of their pipes.
    fn hub(n: u32) -> (SignalHub, Vec<OwnedFd>) {
        let mut hub = SignalHub::default();
        let mut reads = Vec::new();
        for id in 1..=n {
            let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK).expect("a pipe");
            hub.channels.push(Channel {
                pid: 1000 + id as i32,
                wid: 0,
                mule: id,
                pipe: write,
            });
            reads.push(read);
        }
        (hub, reads)
    }

    /// How many signals each mule's pipe holds.
    fn counts(reads: &[OwnedFd]) -> Vec<usize> {
        reads
            .iter()
            .map(|r| {
                let mut buf = [0u8; 64];
                nix::unistd::read(r, &mut buf).unwrap_or(0)
            })
            .collect()
    }

    fn config(mules: usize) -> MuleConfig {
        MuleConfig {
            mules: vec![MuleSpec { script: None }; mules],
            farms: vec![FarmSpec {
                name: "crunch".into(),
                mules: vec![2, 3],
            }],
            ..MuleConfig::default()
        }
    }

    #[test]
    fn each_target_reaches_its_mules() {
        let cfg = config(3);
        let (mut hub, reads) = hub(3);
        assert!(hub.route_to_mules(1, "mules", &cfg));
        assert_eq!(counts(&reads), [1, 1, 1]);
        assert!(hub.route_to_mules(1, "mule2", &cfg));
        assert_eq!(counts(&reads), [0, 1, 0]);
        for target in ["farm_crunch", "farm1", "farm_crunch", "farm1"] {
            assert!(hub.route_to_mules(1, target, &cfg));
        }
        assert_eq!(counts(&reads), [0, 2, 2], "in turn within the farm");
        for target in ["mule", "mule0", "mule"] {
            assert!(hub.route_to_mules(1, target, &cfg));
        }
        assert_eq!(counts(&reads), [1, 1, 1], "any mule, in turn");
        for target in ["mule4", "farm2", "farm_nope", "mulex"] {
            assert!(hub.route_to_mules(1, target, &cfg));
        }
        assert_eq!(counts(&reads), [0, 0, 0], "nothing for a bad target");
        assert!(!hub.route_to_mules(1, "workers", &cfg));
    }
}
