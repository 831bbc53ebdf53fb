//! `timer`/`signal-timer` and `rbtimer`/`signal-rbtimer`: timers the
//! master sets up from the ini, `SIGNAL SECONDS` each, as uWSGI 2.0.31
//! reads them (`atoi` on both halves; no space is an error); and
//! `touch-signal`/`fs-signal`, `FILE SIGNAL`: a signal raised when the
//! file changes.

use serde::{Deserialize, Serialize};

/// One timer from the ini: raise `signal` every `seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalTimer {
    pub signal: u8,
    pub seconds: u64,
    /// `rbtimer`: uWSGI's red-black timer (re-armed after each firing).
    pub red_black: bool,
}

/// Parses `SIGNAL SECONDS` into `cfg`.
pub fn add(cfg: &mut super::AppConfig, value: &str, red_black: bool) -> Result<(), String> {
    let invalid = || {
        let kind = if red_black {
            "redblack signal timer"
        } else {
            "signal timer"
        };
        format!("invalid {kind} syntax, must be: <signal> <seconds>")
    };
    let (signal, seconds) = value.trim().split_once(' ').ok_or_else(invalid)?;
    let signal = atoi(signal);
    let seconds = atoi(seconds);
    if !(0..=255).contains(&signal) {
        return Err(format!("invalid signal number {signal} (0-255)"));
    }
    if seconds <= 0 {
        return Err(format!(
            "a timer needs a positive number of seconds: {value}"
        ));
    }
    cfg.signal_timers.push(SignalTimer {
        signal: signal as u8,
        seconds: seconds as u64,
        red_black,
    });
    Ok(())
}

/// A file whose change raises a signal (`touch-signal`, `fs-signal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSignal {
    pub path: String,
    pub signal: u8,
}

/// Parses `FILE SIGNAL` into `cfg`.
pub fn add_file(cfg: &mut super::AppConfig, value: &str, option: &str) -> Result<(), String> {
    let (path, signal) = value
        .trim()
        .rsplit_once(' ')
        .ok_or_else(|| format!("expected FILE SIGNAL (uWSGI: {option} = <file> <signal>)"))?;
    let signal = atoi(signal);
    if !(0..=255).contains(&signal) {
        return Err(format!("invalid signal number {signal} (0-255)"));
    }
    cfg.file_signals.push(FileSignal {
        path: path.trim_end().to_owned(),
        signal: signal as u8,
    });
    Ok(())
}

/// C's `atoi`: leading blanks, a sign, digits; anything else ends it.
fn atoi(text: &str) -> i64 {
    let text = text.trim_start();
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    sign * digits[..end]
        .parse::<i64>()
        .unwrap_or(0)
        .min(i64::from(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> Result<Vec<SignalTimer>, String> {
        let mut cfg = crate::config::AppConfig::default();
        add(&mut cfg, value, false)?;
        Ok(cfg.signal_timers)
    }

    #[test]
    fn signal_then_seconds() {
        let timer = SignalTimer {
            signal: 17,
            seconds: 5,
            red_black: false,
        };
        assert_eq!(parsed("17 5"), Ok(vec![timer.clone()]));
        assert_eq!(parsed(" 17 5s"), Ok(vec![timer]));
    }

    #[test]
    fn file_then_signal() {
        let mut cfg = crate::config::AppConfig::default();
        add_file(&mut cfg, "/tmp/a b 17", "touch-signal").expect("parsed");
        let expected = FileSignal {
            path: "/tmp/a b".into(),
            signal: 17,
        };
        assert_eq!(cfg.file_signals, vec![expected]);
        assert!(add_file(&mut cfg, "/tmp/a", "fs-signal").is_err());
    }

    #[test]
    fn malformed_lines_are_errors() {
        assert!(parsed("17").is_err());
        assert!(parsed("300 5").is_err());
        assert!(parsed("17 0").is_err());
    }
}
