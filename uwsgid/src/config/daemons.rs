//! Attached daemons (`attach-daemon` and its family, uWSGI's
//! `core/daemons.c`): commands the app master starts with `/bin/sh -c`,
//! restarts when they die and stops with the app. The `smart-` forms are
//! watched through a pidfile and left running when the app stops.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::app::AppConfig;

/// How often (in master ticks of 1 s) a missing pidfile is tolerated after a
/// spawn before the daemon counts as gone (uWSGI's default `freq`).
pub const DEFAULT_FREQ: u32 = 10;

/// One attached daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonSpec {
    /// Run by `/bin/sh -c`.
    pub command: String,
    /// Watched through this pidfile (the `smart-` forms, `pidfile=`).
    pub pidfile: Option<PathBuf>,
    /// Seconds a spawned smart daemon gets to write its pidfile.
    pub freq: u32,
    /// uwsgid writes the pidfile itself (`smart-attach-daemon2`,
    /// `daemonize=`): the command stays in the foreground.
    pub daemonize: bool,
    /// Its death stops the app (`attach-control-daemon`, `control=`).
    pub control: bool,
    /// Files whose touch restarts it (`touch=`, `;`-separated).
    pub touch: Vec<PathBuf>,
    pub stop_signal: i32,
    /// Sent instead of `stop_signal` when the app reloads (`reloadsignal=`).
    pub reload_signal: Option<i32>,
    /// Keeps the master's stdin instead of `/dev/null` (`stdin=`).
    pub honour_stdin: bool,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub chdir: Option<PathBuf>,
    /// The longest restart delay in seconds (`max_throttle=`).
    pub max_throttle: Option<u32>,
    /// A smart daemon gets the stop (or reload) signal too (`notifypid=`).
    pub notify_pid: bool,
}

impl DaemonSpec {
    pub fn new(command: &str) -> DaemonSpec {
        DaemonSpec {
            command: command.to_string(),
            pidfile: None,
            freq: DEFAULT_FREQ,
            daemonize: false,
            control: false,
            touch: Vec::new(),
            stop_signal: libc::SIGTERM,
            reload_signal: None,
            honour_stdin: false,
            uid: None,
            gid: None,
            chdir: None,
            max_throttle: None,
            notify_pid: false,
        }
    }
}

/// The option table's setters, one per option of the family.
pub fn attach(c: &mut AppConfig, v: &str) -> Result<(), String> {
    push(c, parse_simple("attach-daemon", v))
}

pub fn attach_control(c: &mut AppConfig, v: &str) -> Result<(), String> {
    push(c, parse_simple("attach-control-daemon", v))
}

pub fn smart_attach(c: &mut AppConfig, v: &str) -> Result<(), String> {
    push(c, parse_simple("smart-attach-daemon", v))
}

pub fn smart_attach2(c: &mut AppConfig, v: &str) -> Result<(), String> {
    push(c, parse_simple("smart-attach-daemon2", v))
}

pub fn attach2(c: &mut AppConfig, v: &str) -> Result<(), String> {
    push(c, parse_keyval(v))
}

fn push(c: &mut AppConfig, spec: Result<DaemonSpec, String>) -> Result<(), String> {
    c.daemons.push(spec?);
    Ok(())
}

/// `attach-daemon`, `attach-control-daemon`, `smart-attach-daemon`,
/// `smart-attach-daemon2`: the value as uWSGI's `uwsgi_opt_add_daemon`
/// reads it (`PIDFILE[,FREQ] COMMAND` for the smart ones).
pub fn parse_simple(option: &str, value: &str) -> Result<DaemonSpec, String> {
    let smart = option.starts_with("smart-");
    if !smart {
        let mut spec = DaemonSpec::new(value);
        spec.control = option == "attach-control-daemon";
        return Ok(spec);
    }
    let Some((pidfile, command)) = value.split_once(' ') else {
        return Err(format!("invalid smart-attach-daemon syntax: {value}"));
    };
    let mut spec = DaemonSpec::new(command);
    let (pidfile, freq) = match pidfile.split_once(',') {
        Some((path, freq)) => (path, atoi(freq)),
        None => (pidfile, DEFAULT_FREQ),
    };
    spec.pidfile = Some(PathBuf::from(pidfile));
    spec.freq = freq;
    spec.daemonize = option == "smart-attach-daemon2";
    Ok(spec)
}

/// `attach-daemon2`: `key=value` pairs separated by `,` (`\` escapes), as
/// uWSGI's `uwsgi_opt_add_daemon2` reads them. A flag key (`control`,
/// `daemonize`, `stdin`, `notifypid`) is on whatever its value, as there.
pub fn parse_keyval(value: &str) -> Result<DaemonSpec, String> {
    let mut spec = DaemonSpec::new("");
    let mut command = None;
    for (key, val) in kvlist(value) {
        match key.as_str() {
            "command" | "cmd" | "exec" => command = Some(val),
            "freq" => spec.freq = atoi(&val),
            "pidfile" => spec.pidfile = Some(PathBuf::from(val)),
            "control" => spec.control = true,
            "daemonize" | "daemon" => spec.daemonize = true,
            "touch" => spec.touch.extend(val.split(';').map(PathBuf::from)),
            "stopsignal" | "stop_signal" => spec.stop_signal = signal(&key, &val)?,
            "reloadsignal" | "reload_signal" => spec.reload_signal = Some(signal(&key, &val)?),
            "stdin" => spec.honour_stdin = true,
            "uid" => spec.uid = Some(id(&key, &val)?),
            "gid" => spec.gid = Some(id(&key, &val)?),
            "chdir" => spec.chdir = Some(PathBuf::from(val)),
            "max_throttle" => spec.max_throttle = Some(atoi(&val)),
            "notifypid" => spec.notify_pid = true,
            "ns_pid" => return Err("the ns_pid key (a new pid namespace) is not supported".into()),
            "legion" => return Err("the legion key (the Legion subsystem) is not supported".into()),
            other => return Err(format!("unknown key {other:?}")),
        }
    }
    spec.command = command.ok_or("you need to specify a 'command' key")?;
    Ok(spec)
}

/// Splits `a=1,b=x\,y` into pairs; an item without `=` is skipped, as
/// uWSGI's `uwsgi_kvlist_parse` does.
fn kvlist(value: &str) -> Vec<(String, String)> {
    let mut items = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => items
                .last_mut()
                .into_iter()
                .for_each(|i| i.extend(chars.next())),
            ',' => items.push(String::new()),
            _ => items.last_mut().into_iter().for_each(|i| i.push(c)),
        }
    }
    items
        .into_iter()
        .filter_map(|item| {
            let (k, v) = item.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// C's `atoi` on a count: leading digits, else 0.
fn atoi(value: &str) -> u32 {
    let digits: String = value
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(0)
}

fn signal(key: &str, value: &str) -> Result<i32, String> {
    match value.parse::<i32>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err(format!(
            "{key}={value}: expected a signal number from 1 to 64"
        )),
    }
}

/// uWSGI takes numbers only (a name would be `atoi`'d to 0, that is "keep
/// the master's"); uwsgid refuses a name rather than run the daemon as root.
fn id(key: &str, value: &str) -> Result<u32, String> {
    value
        .parse()
        .map_err(|_| format!("{key}={value}: expected a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_daemon_takes_the_whole_value_as_the_command() {
        let spec = parse_simple("attach-daemon", "celery -A proj worker, -l info").expect("parses");
        assert_eq!(spec.command, "celery -A proj worker, -l info");
        assert_eq!(spec.pidfile, None);
        assert!(!spec.control);
        assert_eq!(spec.stop_signal, libc::SIGTERM);
        assert!(
            parse_simple("attach-control-daemon", "x")
                .expect("parses")
                .control
        );
    }

    #[test]
    fn smart_forms_start_with_the_pidfile_and_an_optional_freq() {
        let spec = parse_simple("smart-attach-daemon", "/tmp/a.pid memcached -d").expect("parses");
        assert_eq!(spec.pidfile, Some(PathBuf::from("/tmp/a.pid")));
        assert_eq!(spec.command, "memcached -d");
        assert_eq!(spec.freq, DEFAULT_FREQ);
        assert!(!spec.daemonize);
        let spec =
            parse_simple("smart-attach-daemon2", "/tmp/b.pid,3 redis-server").expect("parses");
        assert_eq!(spec.pidfile, Some(PathBuf::from("/tmp/b.pid")));
        assert_eq!(spec.freq, 3);
        assert!(spec.daemonize);
        assert_eq!(
            parse_simple("smart-attach-daemon", "lonely").expect_err("refused"),
            "invalid smart-attach-daemon syntax: lonely"
        );
    }

    #[test]
    fn keyval_form_reads_every_supported_key() {
        let spec = parse_keyval(
            "cmd=run a\\,b,pidfile=/p,freq=4,control=0,daemonize=1,touch=/t1;/t2,\
             stopsignal=3,reload_signal=1,stdin=1,uid=33,gid=34,chdir=/srv,\
             max_throttle=7,notifypid=1",
        )
        .expect("parses");
        assert_eq!(spec.command, "run a,b");
        assert_eq!(spec.pidfile, Some(PathBuf::from("/p")));
        assert_eq!(spec.freq, 4);
        // As in uWSGI, a flag key is on whatever its value.
        assert!(spec.control && spec.daemonize && spec.honour_stdin && spec.notify_pid);
        assert_eq!(spec.touch, [PathBuf::from("/t1"), PathBuf::from("/t2")]);
        assert_eq!((spec.stop_signal, spec.reload_signal), (3, Some(1)));
        assert_eq!((spec.uid, spec.gid), (Some(33), Some(34)));
        assert_eq!(spec.chdir, Some(PathBuf::from("/srv")));
        assert_eq!(spec.max_throttle, Some(7));
        assert_eq!(parse_keyval("exec=x").expect("parses").command, "x");
        assert_eq!(parse_keyval("command=y").expect("parses").command, "y");
    }

    #[test]
    fn keyval_form_refuses_what_it_cannot_honour() {
        assert_eq!(
            parse_keyval("pidfile=/p").expect_err("refused"),
            "you need to specify a 'command' key"
        );
        assert!(
            parse_keyval("cmd=x,ns_pid=1")
                .expect_err("refused")
                .contains("ns_pid")
        );
        assert!(
            parse_keyval("cmd=x,legion=l")
                .expect_err("refused")
                .contains("legion")
        );
        assert!(
            parse_keyval("cmd=x,colour=red")
                .expect_err("refused")
                .contains("colour")
        );
        assert!(
            parse_keyval("cmd=x,uid=www-data")
                .expect_err("refused")
                .contains("uid")
        );
        assert!(parse_keyval("cmd=x,stopsignal=TERM").is_err());
    }
}
