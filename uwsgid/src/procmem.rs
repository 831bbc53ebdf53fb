//! A process's memory as the kernel reports it: RSS and address space
//! (VmSize) from `/proc/PID/status`, PSS from `/proc/PID/smaps_rollup`.
//! PSS is what a forked worker really costs: pages it shares with the
//! zygote and its siblings count for a fraction each.

use std::io;

/// Memory of one process, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    pub rss: u64,
    pub pss: u64,
    pub vsz: u64,
}

/// RSS and VmSize of `pid`; PSS too when `with_pss` (reading
/// `smaps_rollup` walks the page tables: worth it only when asked).
pub fn read(pid: i32, with_pss: bool) -> io::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let (rss, vsz) = parse_status(&status).ok_or_else(|| malformed(pid, "status"))?;
    let pss = if with_pss {
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
        parse_smaps_rollup(&rollup).ok_or_else(|| malformed(pid, "smaps_rollup"))?
    } else {
        0
    };
    Ok(Memory { rss, pss, vsz })
}

fn malformed(pid: i32, file: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("/proc/{pid}/{file} has no memory figures"),
    )
}

/// `(VmRSS, VmSize)` in bytes from the text of `/proc/PID/status`. A kernel
/// thread or a zombie has neither line: `None`.
pub fn parse_status(text: &str) -> Option<(u64, u64)> {
    Some((kib_field(text, "VmRSS:")?, kib_field(text, "VmSize:")?))
}

/// `Pss` in bytes from the text of `/proc/PID/smaps_rollup`.
pub fn parse_smaps_rollup(text: &str) -> Option<u64> {
    kib_field(text, "Pss:")
}

/// The value of a `Name:   1234 kB` line, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let mut words = line[name.len()..].split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => value.checked_mul(1024),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\n\
        VmPeak:\t  250000 kB\nVmSize:\t  245760 kB\nVmLck:\t       0 kB\n\
        VmHWM:\t   30000 kB\nVmRSS:\t   20480 kB\nRssAnon:\t   10000 kB\n";

    const ROLLUP: &str = "55d0c0000000-7ffc00000000 ---p 00000000 00:00 0  [rollup]\n\
        Rss:               20480 kB\nPss:                5120 kB\n\
        Pss_Dirty:          4000 kB\nPss_Anon:            4096 kB\n";

    #[test]
    fn reads_rss_and_vsz_from_status() {
        assert_eq!(parse_status(STATUS), Some((20480 * 1024, 245_760 * 1024)));
        assert_eq!(parse_status("Name:\tkthreadd\nState:\tS\n"), None);
    }

    #[test]
    fn reads_pss_not_its_variants() {
        assert_eq!(parse_smaps_rollup(ROLLUP), Some(5120 * 1024));
        assert_eq!(parse_smaps_rollup("Rss: 1 kB\n"), None);
        assert_eq!(parse_smaps_rollup("Pss: many kB\n"), None);
        assert_eq!(parse_smaps_rollup("Pss: 3 MB\n"), None);
    }

    #[test]
    fn reads_this_process() {
        let me = read(std::process::id() as i32, true).expect("own memory");
        assert!(me.rss > 0 && me.pss > 0 && me.vsz >= me.rss, "{me:?}");
    }
}
