//! The startup lines, in uWSGI's words where it has them, so operators find
//! what they grep for.

use std::time::Duration;

use crate::config::AppConfig;
use crate::log::log_line;

/// The first line: `*** Starting uWSGI-compatible uwsgid X.Y.Z (64bit) on [date] ***`.
pub fn starting() {
    log_line!(
        "*** Starting uWSGI-compatible uwsgid {} ({}bit) on [{}] ***",
        env!("CARGO_PKG_VERSION"),
        usize::BITS,
        local_time()
    );
}

/// What uWSGI prints after the banner about how the app will run.
pub fn details(cfg: &AppConfig, mercy: Duration) {
    if let Ok(cwd) = std::env::current_dir() {
        log_line!("current working directory: {}", cwd.display());
    }
    if let Ok(exe) = std::env::current_exe() {
        log_line!("detected binary path: {}", exe.display());
    }
    log_line!(
        "your mercy for graceful operations on workers is {} seconds",
        mercy.as_secs()
    );
    let mode = if cfg.threads > 1 {
        "preforking+threaded"
    } else {
        "preforking"
    };
    log_line!("*** Operational MODE: {mode} ***");
    if cfg.vhost {
        log_line!("VirtualHosting mode enabled.");
    }
    if cfg.lazy_apps {
        log_line!("lazy-apps: every worker imports the app itself");
    }
}

/// The local time as `ctime(3)` writes it (`Wed Nov 25 10:36:56 2026`).
fn local_time() -> String {
    // SAFETY: time/localtime_r/strftime write only into the buffers given.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return String::from("?");
        }
        let mut buf = [0u8; 64];
        let len = libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%a %b %e %H:%M:%S %Y".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..len]).into_owned()
    }
}

/// `show-config`: the configuration as uWSGI prints it, one `key = value`
/// line per value.
pub fn show_config(options: &serde_json::Map<String, serde_json::Value>) {
    log_line!("");
    log_line!(";uWSGI instance configuration");
    log_line!("[uwsgi]");
    for (key, value) in options {
        let values = match value {
            serde_json::Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for value in values {
            match value {
                serde_json::Value::String(text) => log_line!("{key} = {text}"),
                other => log_line!("{key} = {other}"),
            }
        }
    }
    log_line!(";end of configuration");
    log_line!("");
}
