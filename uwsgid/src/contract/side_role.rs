//! What a process beside the workers is: a spooler process or a mule. The
//! master execs it in the role's hidden mode with its number in
//! `UWSGID_SIDE_ID` (`child_env::SIDE_ID_VAR`).

use super::modes::{MULE_MODE, SPOOLER_MODE};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SideRole {
    /// Spooler process `n`, from 0, directory by directory
    /// (`spooler-processes` each).
    Spooler(u32),
    /// Mule `id`, from 1.
    Mule(u32),
}

impl SideRole {
    /// The hidden first argument that runs it.
    pub fn mode(self) -> &'static str {
        match self {
            SideRole::Spooler(_) => SPOOLER_MODE,
            SideRole::Mule(_) => MULE_MODE,
        }
    }

    /// Its number, as passed in `UWSGID_SIDE_ID`.
    pub fn number(self) -> u32 {
        match self {
            SideRole::Spooler(n) | SideRole::Mule(n) => n,
        }
    }

    /// The role of `number` in `mode`; None for another mode.
    pub fn from_mode(mode: &str, number: u32) -> Option<SideRole> {
        match mode {
            SPOOLER_MODE => Some(SideRole::Spooler(number)),
            MULE_MODE => Some(SideRole::Mule(number)),
            _ => None,
        }
    }

    /// Which spooler directory spooler process `n` serves, given
    /// `spooler-processes`.
    pub fn spooler_dir_index(n: u32, processes: u32) -> usize {
        (n / processes.max(1)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_go_through_their_mode_and_number() {
        for role in [SideRole::Spooler(3), SideRole::Mule(2)] {
            assert_eq!(SideRole::from_mode(role.mode(), role.number()), Some(role));
        }
        assert_eq!(SideRole::from_mode("__worker", 1), None);
    }

    #[test]
    fn spooler_processes_are_numbered_directory_by_directory() {
        let dirs: Vec<usize> = (0..6).map(|n| SideRole::spooler_dir_index(n, 2)).collect();
        assert_eq!(dirs, [0, 0, 1, 1, 2, 2]);
        assert_eq!(SideRole::spooler_dir_index(4, 0), 4);
    }
}
