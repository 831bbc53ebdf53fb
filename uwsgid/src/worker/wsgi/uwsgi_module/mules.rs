//! Mules and farms as the `uwsgi` module has them: `mule_msg`,
//! `mule_get_msg`, `farm_msg`, `farm_get_msg`, `in_farm`, with uWSGI
//! 2.0.31's arguments, answers and log lines. Messages travel on the
//! queues every process inherits (`crate::contract::mule_queues`): any
//! process sends, a mule receives. `mule_msg_hook` is an attribute the app
//! sets (`uwsgidecorators` does); a bare mule calls it for each message
//! (`worker/mule/`).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyInt, PyModule, PyString};

use super::cache::bytes_of;
use crate::config::MuleConfig;
use crate::contract::mule_queues::{self, Queue, Target};
use crate::log::log_line;

/// The app's mules and farms, from the configuration.
static MULES: OnceLock<MuleConfig> = OnceLock::new();

fn config() -> &'static MuleConfig {
    MULES.get_or_init(MuleConfig::default)
}

pub fn add(m: &Bound<'_, PyModule>, cfg: &MuleConfig) -> PyResult<()> {
    let _ = MULES.set(cfg.clone());
    m.add_function(wrap_pyfunction!(mule_msg, m)?)?;
    m.add_function(wrap_pyfunction!(mule_get_msg, m)?)?;
    m.add_function(wrap_pyfunction!(farm_msg, m)?)?;
    m.add_function(wrap_pyfunction!(farm_get_msg, m)?)?;
    m.add_function(wrap_pyfunction!(in_farm, m)?)?;
    Ok(())
}

/// Sends on `queue` (uWSGI's `mule_send_msg` lines): false when it fails.
fn send(queue: &Queue, message: &[u8]) -> bool {
    match mule_queues::send(queue, message) {
        Ok(()) => true,
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
            let size = nix::sys::socket::getsockopt(&queue.send, nix::sys::socket::sockopt::SndBuf)
                .unwrap_or(0);
            log_line!(
                "*** MULE MSG QUEUE IS FULL: buffer size {size} bytes (you can tune it with --mule-msg-size) ***"
            );
            false
        }
        Err(err) => {
            log_line!("mule_send_msg(): {err}");
            false
        }
    }
}

/// `uwsgi.mule_msg(message[, mule])`: to the shared queue (no mule, or
/// 0), mule N, or the farm named so. True when sent.
#[pyfunction]
#[pyo3(signature = (message, mule = None, /))]
fn mule_msg(
    py: Python<'_>,
    message: &Bound<'_, PyAny>,
    mule: Option<&Bound<'_, PyAny>>,
) -> PyResult<bool> {
    let message = bytes_of(message, "mule_msg", 1)?;
    let cfg = config();
    let queues = match mule_queues::inherited() {
        Some(queues) if !cfg.mules.is_empty() => queues,
        _ => return Err(PyValueError::new_err("no mule configured")),
    };
    let target = match mule {
        None => Target::Shared,
        // uWSGI 2.0.31 under Python 3 takes a farm's name as bytes only
        // (`"crunch"` raises "invalid mule"); uwsgid takes both.
        Some(obj) if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() => {
            let name = bytes_of(obj, "mule_msg", 2)?;
            let name = std::str::from_utf8(name).unwrap_or_default();
            let farm = cfg
                .farm_index(name)
                .ok_or_else(|| PyValueError::new_err("unknown farm"))?;
            Target::Farm(farm)
        }
        Some(obj) if obj.is_instance_of::<PyInt>() => match obj.extract::<i64>() {
            Ok(0) => Target::Shared,
            Ok(id) if (1..=cfg.mules.len() as i64).contains(&id) => Target::Mule(id as u32),
            _ => return Err(PyValueError::new_err("invalid mule number")),
        },
        Some(_) => return Err(PyValueError::new_err("invalid mule")),
    };
    let Some(queue) = queues.get(target) else {
        return Err(PyValueError::new_err("invalid mule"));
    };
    Ok(py.detach(|| send(queue, message)))
}

/// `uwsgi.mule_get_msg(signals=True, farms=True, buffer_size=65536,
/// timeout=-1)`, in a mule: the next message for this mule, the shared
/// queue or (with `farms`) its farms; `b""` when `timeout` seconds pass,
/// as uWSGI. A mule's signal handlers run on its signal thread whether
/// it waits here or not, so `signals` changes nothing.
#[pyfunction]
#[pyo3(signature = (signals = None, farms = None, buffer_size = 65536, timeout = -1))]
fn mule_get_msg<'py>(
    py: Python<'py>,
    signals: Option<&Bound<'py, PyAny>>,
    farms: Option<&Bound<'py, PyAny>>,
    buffer_size: usize,
    timeout: i64,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let _ = signals;
    let id = super::mule_id();
    if id == 0 {
        return Err(PyValueError::new_err(
            "you can receive mule messages only in a mule !!!",
        ));
    }
    // uWSGI: None or False turns farms off; anything else leaves them on.
    let off = |v: &Bound<'py, PyAny>| {
        v.is_none() || (v.is_instance_of::<PyBool>() && !v.is_truthy().unwrap_or(true))
    };
    let fds = queues_of(id, !farms.is_some_and(off), true);
    let deadline = u64::try_from(timeout)
        .ok()
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    let mut buf = vec![0u8; buffer_size];
    let got = py.detach(|| wait_message(&fds, &mut buf, deadline, None));
    match got {
        Ok(Some(len)) => Ok(Some(PyBytes::new(py, &buf[..len]))),
        Ok(None) => Ok(Some(PyBytes::new(py, b""))),
        Err(err) => {
            log_line!("read(): {err}");
            Ok(None)
        }
    }
}

/// `uwsgi.farm_msg(farm, message)`: to the farm named so (nothing when
/// there is none, as uWSGI).
#[pyfunction]
fn farm_msg(py: Python<'_>, farm: &str, message: &Bound<'_, PyAny>) -> PyResult<()> {
    let message = bytes_of(message, "farm_msg", 2)?;
    let queue = config()
        .farm_index(farm)
        .and_then(|i| mule_queues::inherited()?.get(Target::Farm(i)));
    if let Some(queue) = queue {
        py.detach(|| {
            if let Err(err) = mule_queues::send(queue, message) {
                log_line!("write(): {err}");
            }
        });
    }
    Ok(())
}

/// `uwsgi.farm_get_msg()`, in a mule: the next message of its farms
/// (waits forever, as uWSGI; for ever in a mule of no farm).
#[pyfunction]
fn farm_get_msg(py: Python<'_>) -> PyResult<Option<Bound<'_, PyBytes>>> {
    let id = super::mule_id();
    if id == 0 {
        return Err(PyValueError::new_err(
            "you can receive farm messages only in a mule !!!",
        ));
    }
    let fds = queues_of(id, true, false);
    let mut buf = vec![0u8; 65536];
    match py.detach(|| wait_message(&fds, &mut buf, None, None)) {
        Ok(Some(len)) if len > 0 => Ok(Some(PyBytes::new(py, &buf[..len]))),
        Ok(_) => Ok(None),
        Err(err) => {
            log_line!("read(): {err}");
            Ok(None)
        }
    }
}

/// `uwsgi.in_farm([name])`: True when this mule is in a farm (that one),
/// else None.
#[pyfunction]
#[pyo3(signature = (name = None, /))]
fn in_farm(name: Option<&str>) -> Option<bool> {
    let id = super::mule_id();
    if id == 0 {
        return None;
    }
    let cfg = config();
    let mut farms = cfg.farms_of(id);
    let found = match name {
        None => farms.next().is_some(),
        Some(name) => farms.any(|i| cfg.farms[i].name == name),
    };
    found.then_some(true)
}

/// The receive ends mule `id` reads: its own queue and the shared one
/// (`own`), then its farms' (`farms`), in uWSGI's order.
pub fn queues_of(id: u32, farms: bool, own: bool) -> Vec<BorrowedFd<'static>> {
    let Some(queues) = mule_queues::inherited() else {
        return Vec::new();
    };
    let mut targets = Vec::new();
    if own {
        targets.extend([Target::Mule(id), Target::Shared]);
    }
    if farms {
        targets.extend(config().farms_of(id).map(Target::Farm));
    }
    targets
        .into_iter()
        .filter_map(|t| queues.get(t).map(|q| q.recv.as_fd()))
        .collect()
}

/// Waits for a message on `fds` until `deadline` (`None`: for ever) and
/// reads it into `buf`: its length, `None` when the deadline passed or
/// `stop` became readable. A message another mule took first (the shared
/// queue, a farm) is waited past.
pub fn wait_message(
    fds: &[BorrowedFd<'_>],
    buf: &mut [u8],
    deadline: Option<Instant>,
    stop: Option<BorrowedFd<'_>>,
) -> io::Result<Option<usize>> {
    let polled: Vec<BorrowedFd<'_>> = stop.into_iter().chain(fds.iter().copied()).collect();
    loop {
        let timeout = match deadline {
            None => -1,
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                i32::try_from(left.as_millis()).unwrap_or(i32::MAX)
            }
        };
        match poll_readable(&polled, timeout)? {
            None if deadline.is_some() && timeout == 0 => return Ok(None),
            None => continue,
            Some(fd) if stop.is_some_and(|s| s.as_raw_fd() == fd.as_raw_fd()) => return Ok(None),
            Some(fd) => match mule_queues::receive(fd, buf) {
                Ok(len) => return Ok(Some(len)),
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(err) => return Err(err),
            },
        }
    }
}

/// The first of `fds` that is readable within `timeout` ms (-1: no
/// limit); `None` when none is (or a signal interrupted the wait).
fn poll_readable<'a>(fds: &[BorrowedFd<'a>], timeout: i32) -> io::Result<Option<BorrowedFd<'a>>> {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `polled` is a live array of that many pollfds.
    let ready = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, timeout) };
    if ready < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(None);
        }
        return Err(err);
    }
    Ok(polled
        .iter()
        .position(|p| p.revents & libc::POLLIN != 0)
        .map(|i| fds[i]))
}
