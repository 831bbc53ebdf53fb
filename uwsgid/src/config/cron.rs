//! Cron tasks the master runs (`cron`, `unique-cron`, `cron2`,
//! `cron-harakiri`), parsed as uWSGI 2.0.31's `core/cron.c` parses them:
//!
//! - `cron = MIN HOUR DAY MONTH WEEKDAY COMMAND`: five integers, a
//!   negative one meaning "every N" (`-1` = `*`, `-5` = `*/5`);
//! - `unique-cron`: the same, not started again while it still runs;
//! - `cron2 = minute=…,hour=…,day=…,month=…,week=…,unique=1,harakiri=N
//!   COMMAND` (or the command alone): absent fields are `-1`;
//!   `harakiri=0` disables `cron-harakiri` for that task.

use serde::{Deserialize, Serialize};

/// One cron task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronSpec {
    pub minute: i32,
    pub hour: i32,
    pub day: i32,
    pub month: i32,
    pub week: i32,
    /// Run by `/bin/sh -c`.
    pub command: String,
    /// Not started while the previous run still runs.
    pub unique: bool,
    pub harakiri: CronHarakiri,
}

/// How long a run may last before it is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CronHarakiri {
    /// `cron-harakiri`, if set.
    Default,
    /// `harakiri=0` in `cron2`: never.
    Never,
    /// `harakiri=N` in `cron2`.
    Secs(u64),
}

/// Adds a parsed task to `cfg`.
pub fn add(cfg: &mut super::AppConfig, parsed: Result<CronSpec, String>) -> Result<(), String> {
    cfg.crons.push(parsed?);
    Ok(())
}

/// `cron` / `unique-cron`: `MIN HOUR DAY MONTH WEEKDAY COMMAND`.
pub fn parse(value: &str, unique: bool) -> Result<CronSpec, String> {
    let mut rest = value.trim_start();
    let mut fields = [0i32; 5];
    for field in &mut fields {
        let end = rest.find(char::is_whitespace).ok_or(INVALID)?;
        *field = rest[..end].parse().map_err(|_| INVALID)?;
        rest = rest[end..].trim_start();
    }
    let [minute, hour, day, month, week] = fields;
    Ok(CronSpec {
        minute,
        hour,
        day,
        month,
        week,
        command: rest.to_owned(),
        unique,
        harakiri: CronHarakiri::Default,
    })
}

/// uWSGI's message for a `cron` line it cannot read.
const INVALID: &str = "invalid cron syntax (expected MIN HOUR DAY MONTH WEEKDAY COMMAND)";

/// `cron2`: `key=value,… COMMAND`, or the command alone.
pub fn parse2(value: &str) -> Result<CronSpec, String> {
    let unreadable = || format!("unable to parse cron definition: {value}");
    let (keys, command) = match value.split_once(' ') {
        Some((first, command)) if first.contains('=') => (first, command),
        Some(_) => ("", value),
        None if value.contains('=') => return Err(unreadable()),
        None => ("", value),
    };
    let mut spec = CronSpec {
        minute: -1,
        hour: -1,
        day: -1,
        month: -1,
        week: -1,
        command: command.to_owned(),
        unique: false,
        harakiri: CronHarakiri::Default,
    };
    for pair in keys.split(',').filter(|p| !p.is_empty()) {
        let (key, val) = pair.split_once('=').ok_or_else(unreadable)?;
        // uWSGI reads the numbers with atoi: a word is 0.
        let number = val.trim().parse::<i32>().unwrap_or(0);
        match key {
            "minute" => spec.minute = number,
            "hour" => spec.hour = number,
            "day" => spec.day = number,
            "month" => spec.month = number,
            "week" => spec.week = number,
            "unique" => spec.unique = number != 0,
            "harakiri" => {
                spec.harakiri = match u64::try_from(number) {
                    Ok(0) | Err(_) => CronHarakiri::Never,
                    Ok(secs) => CronHarakiri::Secs(secs),
                }
            }
            "legion" => return Err("legion crons need uWSGI's Legion subsystem".into()),
            _ => return Err(unreadable()),
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_takes_five_numbers_then_the_command() {
        let c = parse("-5 -1 -1 -1 -1 echo hi  there", false).expect("parses");
        assert_eq!(
            (c.minute, c.hour, c.day, c.month, c.week),
            (-5, -1, -1, -1, -1)
        );
        assert_eq!(c.command, "echo hi  there");
        assert!(parse("1 2 3 4 echo", false).is_err());
        assert!(parse("a 2 3 4 5 echo", false).is_err());
        assert!(parse("1 2 3 4 5", false).is_err());
        assert!(parse("0 3 -1 -1 1 x", true).expect("parses").unique);
    }

    #[test]
    fn cron2_keys_default_to_every() {
        let c = parse2("minute=-2,unique=1,harakiri=30 sleep 1").expect("parses");
        assert_eq!((c.minute, c.hour, c.week), (-2, -1, -1));
        assert!(c.unique);
        assert_eq!(c.harakiri, CronHarakiri::Secs(30));
        assert_eq!(c.command, "sleep 1");
        let plain = parse2("date").expect("parses");
        assert_eq!((plain.minute, plain.command.as_str()), (-1, "date"));
        assert_eq!(
            parse2("harakiri=0 x").expect("parses").harakiri,
            CronHarakiri::Never
        );
        assert!(parse2("minute=1").is_err());
        assert!(parse2("minut=1 x").is_err());
    }
}
