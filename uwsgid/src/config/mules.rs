//! Mules (`mule`, `mules`, `farm`): processes beside the workers that run
//! the app's Python for a script of their own or for messages and
//! signals sent to them (`master/side_processes/`, `worker/mule/`).

use serde::{Deserialize, Serialize};

/// One mule; its id is its place in [`MuleConfig::mules`] plus one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuleSpec {
    /// `mule = FILE.py` (or `module:callable`); `None` for a bare `mule`
    /// or one of `mules = N`, which waits for messages and signals.
    pub script: Option<String>,
}

/// `farm = NAME:1,2`: mules that share a message queue and signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FarmSpec {
    pub name: String,
    /// Mule ids (from 1), as written.
    pub mules: Vec<u32>,
}

/// Every mule and farm of the app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuleConfig {
    pub mules: Vec<MuleSpec>,
    pub farms: Vec<FarmSpec>,
    /// `mule-msg-size`: the send and receive buffers of each message
    /// queue, in bytes (0: the kernel's default, as uWSGI).
    pub msg_size: u32,
    /// `mule-harakiri`: a mule handling one signal longer than this many
    /// seconds is killed (0: never).
    pub harakiri: u32,
    /// `touch-mules-reload`: a change of one of these files restarts the
    /// mules.
    pub touch_reload: Vec<std::path::PathBuf>,
}

impl MuleConfig {
    /// The farms `mule` (an id from 1) belongs to, by index.
    pub fn farms_of(&self, mule: u32) -> impl Iterator<Item = usize> + '_ {
        self.farms
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.mules.contains(&mule))
            .map(|(i, _)| i)
    }

    /// The farm named `name`, by index.
    pub fn farm_index(&self, name: &str) -> Option<usize> {
        self.farms.iter().position(|f| f.name == name)
    }

    /// What the message queues are made of, which a reload cannot change:
    /// how many mules, the farms, the buffer size.
    pub fn queue_layout(&self) -> (usize, &[FarmSpec], u32) {
        (self.mules.len(), &self.farms, self.msg_size)
    }

    /// uWSGI's check when it makes the farms: every mule a farm names
    /// exists (`invalid mule id: N`).
    pub fn check(&self) -> Result<(), String> {
        let count = self.mules.len() as u32;
        for farm in &self.farms {
            if let Some(bad) = farm.mules.iter().find(|&&m| m == 0 || m > count) {
                return Err(format!(
                    "invalid mule id: {bad} (farm {} names a mule that does not exist; {count} configured)",
                    farm.name
                ));
            }
        }
        Ok(())
    }
}

/// `farm = NAME:MULE[,MULE…]`.
pub fn parse_farm(value: &str) -> Result<FarmSpec, String> {
    let invalid = || format!("invalid farm value ({value}) must be in the form name:mule[,muleN].");
    let (name, list) = value.split_once(':').ok_or_else(invalid)?;
    if name.is_empty() {
        return Err(invalid());
    }
    let mules = list
        .split(',')
        .filter(|m| !m.is_empty())
        .map(|m| {
            m.trim()
                .parse::<u32>()
                .map_err(|_| format!("invalid mule id: {m}"))
        })
        .collect::<Result<Vec<u32>, String>>()?;
    if mules.is_empty() {
        return Err(invalid());
    }
    Ok(FarmSpec {
        name: name.to_owned(),
        mules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_farm_is_a_name_and_mule_ids() {
        let farm = parse_farm("crunch:1,3").expect("a farm");
        assert_eq!(farm.name, "crunch");
        assert_eq!(farm.mules, vec![1, 3]);
        for bad in ["crunch", ":1", "crunch:", "crunch:a"] {
            assert!(parse_farm(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_farm_names_existing_mules() {
        let mut cfg = MuleConfig {
            mules: vec![MuleSpec { script: None }; 2],
            ..MuleConfig::default()
        };
        cfg.farms.push(parse_farm("a:1,2").expect("a farm"));
        assert_eq!(cfg.check(), Ok(()));
        assert_eq!(cfg.farms_of(2).collect::<Vec<_>>(), vec![0]);
        cfg.farms.push(parse_farm("b:3").expect("a farm"));
        assert!(cfg.check().is_err());
    }
}
