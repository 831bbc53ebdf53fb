//! Builds the ordered list of exported options ([`RawConfig`]) the way
//! uWSGI does (`add_exported_option_do`, ParsingOrder.rst): sources are read
//! in order, and *immediate* options act as soon as they are read:
//! - `ini = file[:section]`, `ini = :section`, `include`, `inherit` splice
//!   that file's lines in place. A relative path is relative to the
//!   **current directory**, not to the including file, as in uWSGI (write
//!   `ini = %d/base.ini` for a file beside this one);
//! - `set = name=value` adds an option or placeholder, `set-placeholder`
//!   (`set-ph`) a placeholder only, and refuses the name of an option;
//! - `strict = true` makes unknown keys errors;
//! - logic blocks (`if-env`, `if-not-env`, `if-opt`, `if-not-opt`,
//!   `if-exists`, `if-not-exists`, `if-file`, `if-not-file`, `if-dir`,
//!   `if-not-dir`, `if-hostname`, `if-not-hostname`, `if-reload`,
//!   `if-not-reload`, `if-plugin`, `if-not-plugin` (only `python*` is a
//!   plugin of uwsgid), `for`, `for-times`, `for-readline` …
//!   `end`/`endif`/`endfor`) keep or repeat the options up to their end,
//!   `%(_)` being the tested value; `for-glob` is not supported and skips
//!   its block with a warning.
//!
//! Immediate options get magic variables (they come from the file text) but
//! no `$()`/`@()`/`%()` expansion, exactly as in uWSGI.

use super::context::Context;
use super::error::ConfigError;
use super::ini;
use super::magic::{FileVars, MagicTable};
use super::options;
use super::raw::{Origin, RawConfig, RawOption, Warning};
use super::setters::parse_bool;
use std::path::Path;
use std::sync::Arc;

/// Nested `ini =` / `include` deeper than this is taken for a loop.
const MAX_INCLUDE_DEPTH: usize = 32;

/// More ini files read in all than this is taken for a loop too: the depth
/// bound alone lets a file that includes itself twice be read 2^32 times.
const MAX_INI_LOADS: usize = 64;

/// An open logic block: the test and its argument.
#[derive(Debug, Clone)]
struct Logic {
    kind: String,
    arg: String,
}

/// Reads sources into a [`RawConfig`].
pub struct Loader<'a> {
    ctx: &'a Context,
    pub raw: RawConfig,
    pub errors: Vec<ConfigError>,
    last_ini: Option<String>,
    first_vars: Option<FileVars>,
    depth: usize,
    /// Ini files read so far (every `ini =`, `include`, …).
    loads: usize,
    logic: Option<Logic>,
}

impl<'a> Loader<'a> {
    pub fn new(ctx: &'a Context) -> Self {
        Loader {
            ctx,
            raw: RawConfig::default(),
            errors: Vec::new(),
            last_ini: None,
            first_vars: None,
            depth: 0,
            loads: 0,
            logic: None,
        }
    }

    fn warn(&mut self, msg: String) {
        self.raw.warnings.push(Warning(msg));
    }

    /// `UWSGI_*` environment variables, in environment order, as options:
    /// `UWSGI_MAX_REQUESTS=5` is `max-requests = 5` (lower case, `_` → `-`).
    pub fn push_env(&mut self) {
        const SKIP: [&str; 7] = [
            "UWSGI_RELOADS",
            "UWSGI_VASSALS_DIR",
            "UWSGI_EMPEROR_FD",
            "UWSGI_BROODLORD_NUM",
            "UWSGI_EMPEROR_FD_CONFIG",
            "UWSGI_EMPEROR_PROXY",
            "UWSGI_ORIGINAL_PROC_NAME",
        ];
        let vars: Vec<(String, String)> = self.ctx.env.clone();
        for (k, v) in vars {
            let Some(name) = k.strip_prefix("UWSGI_") else {
                continue;
            };
            if SKIP.contains(&k.as_str()) || k.starts_with("UWSGI_JVM_") || name.is_empty() {
                continue;
            }
            let key = name.to_ascii_lowercase().replace('_', "-");
            self.push(RawOption::new(key, v, Origin::Env { var: k.clone() }));
        }
    }

    /// Adds one exported option, acting on immediate ones.
    pub fn push(&mut self, opt: RawOption) {
        if is_block_end(&opt.key) {
            self.logic = None;
            return;
        }
        if let Some(logic) = self.logic.clone() {
            for value in self.block_values(&logic, &opt) {
                let saved = self.logic.take();
                self.push_now(RawOption {
                    value,
                    ..opt.clone()
                });
                // A nested block opened by this option replaces the current one.
                if self.logic.is_none() {
                    self.logic = saved;
                }
            }
            return;
        }
        self.push_now(opt);
    }

    fn push_now(&mut self, mut opt: RawOption) {
        if let Some(kind) = logic_kind(&opt.key) {
            if kind == "for-glob" {
                self.warn(format!(
                    "{}: option '{}': not supported by uwsgid; the options up to its end are skipped",
                    opt.origin, opt.key
                ));
            }
            self.logic = Some(Logic {
                kind: kind.to_string(),
                arg: opt.value.clone(),
            });
            opt.configured = true;
            self.raw.options.push(opt);
            return;
        }
        let canonical = options::find(&opt.key).map(|s| s.name);
        match canonical {
            Some("ini" | "include" | "inherit") => {
                opt.configured = true;
                let (spec, origin, key) = (opt.value.clone(), opt.origin.clone(), opt.key.clone());
                self.raw.options.push(opt);
                self.load_ini(&spec, &origin, &key);
            }
            Some("ini-paste" | "ini-paste-logged") => self.ini_paste(opt),
            Some("set") => self.set(opt, false),
            Some("set-placeholder") => self.set(opt, true),
            Some("strict") => {
                self.raw.strict = parse_bool(&opt.value, opt.flag);
                opt.configured = true;
                self.raw.options.push(opt);
            }
            _ => self.raw.options.push(opt),
        }
    }

    /// `set` / `set-placeholder`: `name=value`.
    fn set(&mut self, mut opt: RawOption, placeholder_only: bool) {
        opt.configured = true;
        let Some((k, v)) = opt.value.split_once('=') else {
            self.errors.push(ConfigError::InvalidValue {
                origin: opt.origin.clone(),
                option: opt.key.clone(),
                value: opt.value.clone(),
                reason: "expected NAME=VALUE".into(),
            });
            return;
        };
        let mut new = RawOption::new(k, v, opt.origin.clone());
        if placeholder_only {
            if options::is_option(k) {
                self.errors.push(ConfigError::Option {
                    origin: opt.origin.clone(),
                    option: opt.key.clone(),
                    message: format!(
                        "you cannot use {k} as a placeholder, it is already available as an option"
                    ),
                });
                return;
            }
            new.configured = true;
            new.placeholder = true;
        }
        self.raw.options.push(opt);
        self.push_now(new);
    }

    /// The values `opt` is added with inside a logic block (none when the
    /// test fails, several for `for`).
    fn block_values(&self, logic: &Logic, opt: &RawOption) -> Vec<String> {
        let sub = |with: &str| opt.value.replace("%(_)", with);
        let arg = logic.arg.as_str();
        let (name, expected) = match arg.split_once('=') {
            Some((n, e)) => (n, Some(e)),
            None => (arg, None),
        };
        let matches = |found: Option<&str>| match (found, expected) {
            (Some(f), Some(e)) => f == e,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let fs = |p: &str| std::fs::metadata(self.ctx.path(p)).ok();
        let test: Option<String> = match logic.kind.as_str() {
            "if-env" => self
                .ctx
                .getenv(name)
                .filter(|v| matches(Some(v)))
                .map(str::to_string),
            "if-not-env" => (!matches(self.ctx.getenv(name)))
                .then(|| self.ctx.getenv(name).unwrap_or("").to_string()),
            "if-opt" => self
                .first(name)
                .filter(|v| matches(Some(v)))
                .map(str::to_string),
            "if-not-opt" => {
                (!matches(self.first(name))).then(|| self.first(name).unwrap_or("").to_string())
            }
            "if-exists" => fs(arg).map(|_| arg.to_string()),
            "if-not-exists" => fs(arg).is_none().then(|| arg.to_string()),
            "if-file" => fs(arg)
                .filter(std::fs::Metadata::is_file)
                .map(|_| arg.to_string()),
            "if-not-file" => (!fs(arg).is_some_and(|m| m.is_file())).then(|| arg.to_string()),
            "if-dir" => fs(arg)
                .filter(std::fs::Metadata::is_dir)
                .map(|_| arg.to_string()),
            "if-not-dir" => (!fs(arg).is_some_and(|m| m.is_dir())).then(|| arg.to_string()),
            "if-hostname" => (self.ctx.hostname == arg).then(|| arg.to_string()),
            "if-not-hostname" => (self.ctx.hostname != arg).then(|| arg.to_string()),
            // A configuration is read once per start: never a reload.
            "if-reload" => None,
            "if-not-reload" => Some(String::new()),
            // The one interpreter uwsgid embeds is Python's.
            "if-plugin" => arg.starts_with("python").then(|| arg.to_string()),
            "if-not-plugin" => (!arg.starts_with("python")).then(|| arg.to_string()),
            "for" => return arg.split(' ').filter(|t| !t.is_empty()).map(sub).collect(),
            "for-readline" => {
                let text = std::fs::read(self.ctx.path(arg)).unwrap_or_default();
                let text = String::from_utf8_lossy(&text);
                return text
                    .lines()
                    .map(|l| sub(l.trim_end_matches('\r')))
                    .collect();
            }
            "for-times" => {
                let n = super::setters::parse_int(arg, false).map_or(0, |l| l.value);
                return (1..=n).map(|i| sub(&i.to_string())).collect();
            }
            _ => None,
        };
        test.map(|v| vec![sub(&v)]).unwrap_or_default()
    }

    fn first(&self, key: &str) -> Option<&str> {
        self.raw
            .options
            .iter()
            .find(|o| o.key == key)
            .map(|o| o.value.as_str())
    }

    /// Loads `spec` (`file`, `file:section`, `:section`) and splices its
    /// lines in. `via` is the option that asked (`ini`, `include`, …).
    /// `ini-paste FILE` (`ini-paste-logged`): the file's `[uwsgi]` section,
    /// then `paste = config:FILE` (absolute, as uWSGI makes it from its
    /// working directory), and `paste-logger` for the logged form.
    fn ini_paste(&mut self, mut opt: RawOption) {
        opt.configured = true;
        let (spec, origin, key) = (opt.value.clone(), opt.origin.clone(), opt.key.clone());
        self.raw.options.push(opt);
        self.load_ini(&spec, &origin, &key);
        let file = split_spec(&spec).0;
        let path = std::env::current_dir()
            .map(|cwd| cwd.join(file))
            .unwrap_or_else(|_| file.into());
        let paste = format!("config:{}", path.display());
        self.raw
            .options
            .push(RawOption::new("paste", paste, origin.clone()));
        if key == "ini-paste-logged" {
            self.raw
                .options
                .push(RawOption::new("paste-logger", "true", origin));
        }
    }

    pub fn load_ini(&mut self, spec: &str, origin: &Origin, via: &str) {
        let (file, section) = split_spec(spec);
        let file = match (file, &self.last_ini) {
            ("", Some(last)) => last.clone(),
            ("", None) => {
                return self.errors.push(ConfigError::Option {
                    origin: origin.clone(),
                    option: via.into(),
                    message: format!("'{spec}' names a section of the last ini file, but no ini file was loaded before"),
                });
            }
            (f, _) => f.to_string(),
        };
        let section = section.unwrap_or("uwsgi").to_string();
        if self.depth >= MAX_INCLUDE_DEPTH {
            return self.errors.push(ConfigError::Option {
                origin: origin.clone(),
                option: via.into(),
                message: format!("'{spec}': ini files included more than {MAX_INCLUDE_DEPTH} deep (an include loop?)"),
            });
        }
        if self.loads >= MAX_INI_LOADS {
            return self.errors.push(ConfigError::Option {
                origin: origin.clone(),
                option: via.into(),
                message: format!(
                    "'{spec}': more than {MAX_INI_LOADS} ini files read (an include loop?)"
                ),
            });
        }
        self.loads += 1;
        if file.contains("://") {
            return self.errors.push(ConfigError::Option {
                origin: origin.clone(),
                option: via.into(),
                message: format!("'{file}': uwsgid reads local ini files only"),
            });
        }
        let path = self.ctx.path(&file);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                return self.errors.push(ConfigError::Option {
                    origin: origin.clone(),
                    option: via.into(),
                    message: format!("cannot read '{file}': {e}"),
                });
            }
        };
        let name: Arc<str> = Arc::from(file.as_str());
        if let Err(e) = self.splice(&bytes, &name, &path, &section, via) {
            self.errors.push(e);
        }
    }

    fn splice(
        &mut self,
        bytes: &[u8],
        name: &Arc<str>,
        path: &Path,
        section: &str,
        via: &str,
    ) -> Result<(), ConfigError> {
        let (text, warnings) = ini::decode(bytes, name)?;
        self.raw.warnings.extend(warnings);
        ini::check_conflict_markers(&text, name)?;
        let vars = FileVars::new(name, path, section, self.ctx);
        let is_template = matches!(via, "include" | "inherit");
        if self.first_vars.is_none() && !is_template {
            self.first_vars = Some(vars.clone());
        }
        if self.raw.first_ini.is_none() {
            self.raw.first_ini =
                Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
        }
        let first = self.first_vars.clone().unwrap_or_else(|| vars.clone());
        let lines = MagicTable::new(&vars, &first, self.ctx).substitute_lines(&text);
        let (entries, found) = ini::section_entries(&lines, section);
        if !found {
            self.warn(format!(
                "*** WARNING: Can't find section \"{section}\" in INI configuration file {name} ***"
            ));
        }
        self.last_ini = Some(name.to_string());
        self.depth += 1;
        for e in entries {
            self.push(RawOption::new(
                e.key,
                e.value,
                Origin::Ini {
                    file: name.clone(),
                    line: e.line,
                    last_line: e.last_line,
                },
            ));
        }
        self.depth -= 1;
        Ok(())
    }
}

/// `file.ini:section` split at the last `:` after the last `/`.
pub fn split_spec(spec: &str) -> (&str, Option<&str>) {
    let after_slash = spec.rfind('/').map_or(0, |i| i + 1);
    match spec[after_slash..].rfind(':') {
        Some(i) => (&spec[..after_slash + i], Some(&spec[after_slash + i + 1..])),
        None => (spec, None),
    }
}

fn is_block_end(key: &str) -> bool {
    matches!(key, "end" | "endif" | "endfor" | "end-if" | "end-for")
}

/// The test a logic option opens, by its canonical name.
fn logic_kind(key: &str) -> Option<&'static str> {
    Some(match key {
        "if-env" | "ifenv" => "if-env",
        "if-not-env" => "if-not-env",
        "if-opt" => "if-opt",
        "if-not-opt" => "if-not-opt",
        "if-exists" | "ifexists" => "if-exists",
        "if-not-exists" => "if-not-exists",
        "if-file" => "if-file",
        "if-not-file" => "if-not-file",
        "if-dir" | "ifdir" | "if-directory" => "if-dir",
        "if-not-dir" => "if-not-dir",
        "if-hostname" => "if-hostname",
        "if-not-hostname" => "if-not-hostname",
        "if-reload" => "if-reload",
        "if-not-reload" => "if-not-reload",
        "if-plugin" | "ifplugin" => "if-plugin",
        "if-not-plugin" => "if-not-plugin",
        "for" => "for",
        "for-times" => "for-times",
        "for-readline" => "for-readline",
        "for-glob" => "for-glob",
        _ => return None,
    })
}

/// Whether `key` is handled by the loader itself (logic blocks).
pub fn is_logic_key(key: &str) -> bool {
    logic_kind(key).is_some() || is_block_end(key)
}
