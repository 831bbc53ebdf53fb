//! Stage two: the expanded option list into a typed, validated
//! [`AppConfig`]. Options are applied in list order, so a scalar's last
//! occurrence wins and a list option accumulates; every value goes through
//! uWSGI's setter for its type. Nothing here touches the filesystem: whether
//! `home` is a directory, `uid` a user or `chdir` reachable is checked by
//! the master and the worker when they act on it.

use super::app::{AppConfig, ListenSpec, Protocol};
use super::context::Context;
use super::error::ConfigError;
use super::expand;
use super::listen::parse_addr;
use super::options::{self, Setter, Spec};
use super::raw::{Origin, RawConfig, RawOption};
use super::setters::{self, Lenient};
use super::suggest;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The outcome of resolving a configuration: the typed config, the options
/// as applied (for `--check-config`), warnings and errors.
#[derive(Debug)]
pub struct Resolution {
    pub app: AppConfig,
    /// Canonical option name → value (an array for repeatable options).
    pub options: Map<String, Value>,
    pub warnings: Vec<String>,
    pub errors: Vec<ConfigError>,
}

/// Applies options one by one.
struct Resolver {
    app: AppConfig,
    options: Map<String, Value>,
    warnings: Vec<String>,
    errors: Vec<ConfigError>,
    default_protocol: Protocol,
    /// Where each option was last set, and to what (for validation errors).
    last: HashMap<&'static str, (Origin, String)>,
    /// "Did you mean" per unknown key: an edit distance to every option
    /// name is worth computing once, not once per repetition of the key.
    suggestions: HashMap<String, Option<String>>,
}

/// Expands and applies `raw`.
pub fn resolve(mut raw: RawConfig, ctx: &Context) -> Resolution {
    let mut warnings: Vec<super::raw::Warning> = std::mem::take(&mut raw.warnings);
    let mut placeholders = expand::referenced_names(&raw.options);
    placeholders.extend(expand::expand_all(&mut raw.options, ctx, &mut warnings));
    let mut r = Resolver {
        app: AppConfig::default(),
        options: Map::new(),
        warnings: warnings.into_iter().map(|w| w.0).collect(),
        errors: Vec::new(),
        default_protocol: Protocol::Uwsgi,
        last: HashMap::new(),
        suggestions: HashMap::new(),
    };
    for opt in raw.options.iter().filter(|o| !o.configured) {
        match options::find(&opt.key) {
            Some(spec) => r.apply(spec, opt),
            None if super::uwsgi_names::is_uwsgi_option(&opt.key) => r.warnings.push(format!(
                "option `{}` ({}) is a uWSGI option uwsgid does not implement; ignored",
                opt.key, opt.origin
            )),
            // `project` names the app (see `finish`), as uWSGI's docs use it.
            None if super::load::is_logic_key(&opt.key)
                || placeholders.contains(&opt.key)
                || opt.key == "project" => {}
            None => r.unknown(opt, raw.strict),
        }
    }
    r.app.spooler.anchor(&ctx.cwd);
    r.finish(&raw)
}

impl Resolver {
    fn invalid(&mut self, opt: &RawOption, reason: String) {
        self.errors.push(ConfigError::InvalidValue {
            origin: opt.origin.clone(),
            option: opt.key.clone(),
            value: opt.value.clone(),
            reason: reason + unexpanded_hint(&opt.value),
        });
    }

    fn unknown(&mut self, opt: &RawOption, strict: bool) {
        let hint = self
            .suggestions
            .entry(opt.key.clone())
            .or_insert_with(|| suggest::nearest(&opt.key))
            .as_ref()
            .map_or_else(String::new, |s| format!(" (did you mean '{s}'?)"));
        let message = format!("unknown option, not used as a %(placeholder) either{hint}");
        if strict {
            self.errors.push(ConfigError::Option {
                origin: opt.origin.clone(),
                option: opt.key.clone(),
                message,
            });
        } else {
            self.warnings.push(format!(
                "{}: option '{}': {message}; ignored",
                opt.origin, opt.key
            ));
        }
    }

    fn record(&mut self, spec: &Spec, value: Value) {
        if spec.list {
            let entry = self
                .options
                .entry(spec.name)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = entry {
                a.push(value);
            }
        } else {
            self.options.insert(spec.name.to_string(), value);
        }
    }

    fn lenient<T: Copy + std::fmt::Display>(
        &mut self,
        opt: &RawOption,
        r: Result<Lenient<T>, String>,
    ) -> Option<T> {
        match r {
            Ok(l) => {
                if l.non_numeric {
                    self.warnings.push(format!(
                        "{}: option '{}': non-numeric value '{}', using {}",
                        opt.origin, opt.key, opt.value, l.value
                    ));
                }
                Some(l.value)
            }
            Err(reason) => {
                self.invalid(opt, reason);
                None
            }
        }
    }

    fn apply(&mut self, spec: &'static Spec, opt: &RawOption) {
        let (v, flag) = (opt.value.as_str(), opt.flag);
        let json = match spec.setter {
            Setter::Bool(set) => {
                let b = setters::parse_bool(v, flag);
                set(&mut self.app, b);
                Value::Bool(b)
            }
            Setter::Int(set) => {
                let Some(n) = self.lenient(opt, setters::parse_int(v, flag)) else {
                    return;
                };
                set(&mut self.app, n);
                Value::from(n)
            }
            Setter::U64(set) => {
                let Some(n) = self.lenient(opt, setters::parse_u64(v, flag)) else {
                    return;
                };
                set(&mut self.app, n);
                Value::from(n)
            }
            Setter::MiB(set) => {
                let Some(n) = self.lenient(
                    opt,
                    setters::parse_mib(v, flag).map(|l| Lenient {
                        value: MiB(l.value),
                        non_numeric: l.non_numeric,
                    }),
                ) else {
                    return;
                };
                set(&mut self.app, n.0.1);
                Value::from(n.0.0)
            }
            Setter::Str(set) => {
                if v.is_empty() {
                    return self.invalid(opt, "expected a value".into());
                }
                set(&mut self.app, v.to_string());
                Value::from(v)
            }
            Setter::OptStr(set) => {
                set(&mut self.app, v);
                Value::from(v)
            }
            Setter::Chmod => match setters::parse_chmod(v, flag) {
                Ok(mode) => {
                    self.app.chmod_socket = Some(mode);
                    Value::from(format!("{mode:03o}"))
                }
                Err(reason) => return self.invalid(opt, reason),
            },
            Setter::Socket(proto) => match parse_addr(v) {
                Ok(address) => {
                    self.app.sockets.push(ListenSpec {
                        protocol: proto.unwrap_or(Protocol::Uwsgi),
                        address,
                        option: spec.name.to_string(),
                        raw: v.to_string(),
                    });
                    Value::from(v)
                }
                Err(reason) => return self.invalid(opt, reason),
            },
            Setter::Mount => match setters::parse_mount(v) {
                Ok(pair) => {
                    self.app.mounts.push(pair);
                    Value::from(v)
                }
                Err(reason) => return self.invalid(opt, reason),
            },
            Setter::Env => match setters::parse_env(v) {
                Ok(pair) => {
                    self.app.env.push(pair);
                    Value::from(v)
                }
                Err(reason) => return self.invalid(opt, reason),
            },
            Setter::DefaultProtocol => match v.to_ascii_lowercase().as_str() {
                "uwsgi" => {
                    self.default_protocol = Protocol::Uwsgi;
                    Value::from(v)
                }
                "http" | "http11" => {
                    self.default_protocol = Protocol::Http;
                    Value::from(v)
                }
                _ => {
                    return self.invalid(
                        opt,
                        "uwsgid speaks the uwsgi and http protocols only".into(),
                    );
                }
            },
            Setter::Choice(values, set) => {
                if !values.iter().any(|c| c.eq_ignore_ascii_case(v)) {
                    return self.invalid(opt, format!("expected one of {}", values.join(", ")));
                }
                set(&mut self.app, v);
                Value::from(v.to_ascii_lowercase())
            }
            Setter::Parse(set) => match set(&mut self.app, v) {
                Ok(()) => Value::from(v),
                Err(reason) => return self.invalid(opt, reason),
            },
            Setter::Refused(why) => {
                return self.invalid(opt, format!("not implemented by uwsgid: {why}"));
            }
            Setter::Immediate | Setter::Noop => return,
        };
        self.last
            .insert(spec.name, (opt.origin.clone(), v.to_string()));
        self.record(spec, json);
    }

    fn finish(mut self, raw: &RawConfig) -> Resolution {
        for s in self.app.sockets.iter_mut().filter(|s| s.option == "socket") {
            s.protocol = self.default_protocol;
        }
        // uWSGI marks these options UWSGI_OPT_MASTER: they turn the master on.
        if [
            "stats",
            "touch-reload",
            "cheaper",
            "idle",
            "cheap",
            "cron",
            "unique-cron",
            "cron2",
            "spooler",
        ]
        .iter()
        .any(|o| self.last.contains_key(o))
        {
            self.app.master = true;
        }
        self.validate();
        self.app.exported_options = exported(raw);
        self.app.ini = raw.first_ini.clone();
        self.app.name = raw
            .options
            .iter()
            .find(|o| o.key == "project")
            .map(|o| o.value.clone())
            .filter(|p| !p.is_empty())
            .or_else(|| {
                let stem = raw.first_ini.as_ref()?.file_stem()?;
                Some(stem.to_string_lossy().into_owned())
            });
        Resolution {
            app: self.app,
            options: self.options,
            warnings: self.warnings,
            errors: self.errors,
        }
    }

    fn validate(&mut self) {
        // uWSGI's no-workers mode (`processes = 0`) serves nothing: refuse it.
        if self.app.processes == 0 {
            self.fail("processes", "must be at least 1".into());
        }
        // uWSGI runs `threads = 0` (and `threads = true`, which its integer
        // setter reads as 0) with one thread; real configs rely on that.
        if self.app.threads == 0 {
            self.app.threads = 1;
            self.note("threads", "0 means one thread per worker, as in uWSGI");
        }
        self.validate_cheaper();
        if let Err(reason) = self.app.mules.check() {
            self.fail("farm", reason);
        }
        if !(1..=64).contains(&self.app.harakiri_graceful_signal) {
            self.fail(
                "harakiri-graceful-signal",
                "expected a signal number from 1 to 64".into(),
            );
        }
        // uWSGI refuses to start with a lifetime its minimum would outlast.
        if let Some(max) = self.app.max_worker_lifetime
            && self.app.min_worker_lifetime >= max
        {
            self.fail(
                "max-worker-lifetime",
                format!(
                    "invalid min-worker-lifetime value ({}), must be lower than max-worker-lifetime ({max})",
                    self.app.min_worker_lifetime
                ),
            );
        }
        // nginx refuses vars blocks over 65535 bytes itself, so the common
        // `buffer-size = 65536` means "as large as the protocol allows".
        if self.app.buffer_size > 65536 {
            self.note(
                "buffer-size",
                "a request block cannot exceed 65535 bytes (the uwsgi protocol's limit); larger values change nothing",
            );
        }
    }

    /// uWSGI's checks of `cheaper` and `cheaper-initial`; an unknown
    /// `cheaper-algo` falls back to spare as in uWSGI.
    fn validate_cheaper(&mut self) {
        if let Some(name) = self.app.cheaper.unknown_algo.clone() {
            self.note(
                "cheaper-algo",
                &format!("unable to find requested cheaper algorithm `{name}`, falling back to spare (uWSGI 2.0.31 has spare, backlog, busyness and manual)"),
            );
        }
        match self.app.cheaper.check(self.app.processes) {
            Ok(None) => {}
            Ok(Some(warning)) => self.note("cheaper-initial", &warning),
            Err(reason) => self.fail("cheaper", reason),
        }
    }

    /// Records a warning about the last occurrence of option `name`.
    fn note(&mut self, name: &str, what: &str) {
        let origin = self
            .last
            .get(name)
            .map_or_else(String::new, |(o, _)| format!("{o}: "));
        self.warnings
            .push(format!("{origin}option '{name}': {what}"));
    }

    fn fail(&mut self, name: &'static str, reason: String) {
        let (origin, value) = self
            .last
            .get(name)
            .cloned()
            .unwrap_or((Origin::Arg { index: 0 }, String::new()));
        let reason = reason + unexpanded_hint(&value);
        self.errors.push(ConfigError::InvalidValue {
            origin,
            option: name.into(),
            value,
            reason,
        });
    }
}

/// The options as uWSGI exports them to the app (`uwsgi.opt`): every
/// option read, after expansion, in order; a bare command-line flag has no
/// value.
fn exported(raw: &RawConfig) -> Vec<(String, Option<String>)> {
    raw.options
        .iter()
        .map(|o| (o.key.clone(), (!o.flag).then(|| o.value.clone())))
        .collect()
}

/// Why a value may still hold `$(…)` or `%(…)`: the lookup failed, and
/// uWSGI's rule is to leave the reference as written.
fn unexpanded_hint(value: &str) -> &'static str {
    if value.contains("$(") {
        " ($(VAR) stays as written when the environment variable is not set)"
    } else if value.contains("%(") {
        " (%(name) stays as written when no option or placeholder has that name)"
    } else {
        ""
    }
}

/// A size in MiB with its value in bytes.
#[derive(Clone, Copy)]
struct MiB((u64, u64));

impl std::fmt::Display for MiB {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.0)
    }
}
