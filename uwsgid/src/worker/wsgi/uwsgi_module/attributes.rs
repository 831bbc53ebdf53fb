//! The module's values fixed for the process, with uWSGI 2.0.31's types:
//! bytes where uWSGI gives bytes (`opt` values, `version`, `hostname`).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyModule};

use crate::config::AppConfig;

/// The uWSGI release uwsgid behaves as. Libraries compare
/// `uwsgi.version` / `uwsgi.version_info` to pick code paths, so uwsgid
/// reports the uWSGI version whose behaviour it follows, and its own
/// version in `uwsgi.uwsgid_version`.
const UWSGI_VERSION: &str = "2.0.31";
const UWSGI_VERSION_INFO: (u32, u32, u32, u32) = (2, 0, 31, 0);

/// uWSGI's spooler return codes (kept for code that names them).
const SPOOL_OK: i32 = -2;
const SPOOL_RETRY: i32 = -1;
const SPOOL_IGNORE: i32 = 0;

pub fn add(m: &Bound<'_, PyModule>, cfg: &AppConfig) -> PyResult<()> {
    let py = m.py();
    m.add("version", PyBytes::new(py, UWSGI_VERSION.as_bytes()))?;
    let (a, b, c, d) = UWSGI_VERSION_INFO;
    m.add("version_info", (a, b, c, d, PyBytes::new(py, b"")))?;
    m.add(
        "uwsgid_version",
        PyBytes::new(py, env!("CARGO_PKG_VERSION").as_bytes()),
    )?;
    m.add("hostname", PyBytes::new(py, &hostname()))?;
    m.add("numproc", cfg.processes)?;
    m.add("cores", cfg.threads)?;
    // Python threads are always on in uwsgid (`enable-threads`).
    m.add("has_threads", 1)?;
    m.add("buffer_size", cfg.buffer_size)?;
    m.add("started_on", started_on(super::state().master))?;
    let opt = opt(py, &cfg.exported_options)?;
    fork_hooks_are_on(&opt, cfg.lazy_apps)?;
    m.add("opt", opt)?;
    m.add("loop", py.None())?;
    m.add("applications", py.None())?;
    m.add("unbit", py.None())?;
    m.add("is_a_reload", false)?;
    m.add("SPOOL_OK", SPOOL_OK)?;
    m.add("SPOOL_RETRY", SPOOL_RETRY)?;
    m.add("SPOOL_IGNORE", SPOOL_IGNORE)?;
    Ok(())
}

/// `uwsgi.opt` as uWSGI 2.0.31 builds it under Python 3: every option in
/// the order first read, str keys; the value is bytes, or `True` for a
/// command-line flag given without a value. A repeated option keeps its
/// last value: uWSGI means to make a list, but its check for an existing
/// key looks a bytes key up in a dict of str keys, so under Python 3 it
/// never finds one.
fn opt<'py>(py: Python<'py>, options: &[(String, Option<String>)]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in options {
        match value {
            Some(v) => dict.set_item(key, PyBytes::new(py, v.as_bytes()))?,
            None => dict.set_item(key, true)?,
        }
    }
    Ok(dict)
}

/// A forked worker always runs CPython's fork hooks in uwsgid (what
/// uWSGI's `py-call-uwsgi-fork-hooks` asks for), so `opt` says so when the
/// workers are forked: libraries read it there (sentry-sdk warns that
/// threads may crash preforked workers without it). A `lazy-apps` worker
/// is not forked from Python, and its `opt` stays uWSGI's.
fn fork_hooks_are_on(opt: &Bound<'_, PyDict>, lazy_apps: bool) -> PyResult<()> {
    const KEY: &str = "py-call-uwsgi-fork-hooks";
    if !lazy_apps && !opt.contains(KEY)? {
        opt.set_item(KEY, true)?;
    }
    Ok(())
}

/// The kernel's host name (gethostname(2)).
fn hostname() -> Vec<u8> {
    std::fs::read("/proc/sys/kernel/hostname")
        .map(|mut h| {
            h.truncate(h.trim_ascii_end().len());
            h
        })
        .unwrap_or_default()
}

/// When the app master started, seconds since the epoch (uWSGI's
/// `start_tv`): its start in clock ticks after boot plus the boot time.
/// Now, when `/proc` cannot tell.
fn started_on(master: i32) -> u64 {
    master_start(master).unwrap_or_else(|| crate::scoreboard::now_us() / 1_000_000)
}

fn master_start(master: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{master}/stat")).ok()?;
    let ticks = start_ticks(&stat)?;
    let boot = std::fs::read_to_string("/proc/stat").ok()?;
    let btime = boot
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse::<u64>()
        .ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    Some(btime + ticks / hz.max(1))
}

/// Field 22 (`starttime`) of `/proc/PID/stat`; the command name before it
/// may hold spaces and parentheses, so fields are counted after the last `)`.
fn start_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_ascii_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_field_22() {
        let stat = "4242 (uwsgid (a) b) S 1 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 987654 123 456";
        assert_eq!(start_ticks(stat), Some(987654));
        assert_eq!(start_ticks("garbage"), None);
    }
}
