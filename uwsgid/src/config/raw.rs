//! Stage one of the configuration: the ordered list of exported options, as
//! uWSGI keeps it (`add_exported_option`), each with where it came from.
//! Nothing here is typed yet: keys and values are strings.

use std::fmt;
use std::sync::Arc;

/// Where an option came from, for warnings and errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of an ini file: the file as it was named, and the span of
    /// physical lines (1-based) the option was read from: `last_line` is
    /// past `line` when a `%` at the end of a line joined the next one.
    /// Messages name the first line.
    Ini {
        file: Arc<str>,
        line: usize,
        last_line: usize,
    },
    /// A `UWSGI_*` environment variable.
    Env { var: String },
    /// The command line: the argument's position (1-based, program name excluded).
    Arg { index: usize },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Ini { file, line, .. } => write!(f, "{file}:{line}"),
            Origin::Env { var } => write!(f, "environment variable {var}"),
            Origin::Arg { index } => write!(f, "command line argument {index}"),
        }
    }
}

/// One exported option: `key = value` from an ini line, an environment
/// variable or a command-line argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOption {
    pub key: String,
    pub value: String,
    pub origin: Origin,
    /// A command-line `--flag` given without a value (uWSGI passes NULL to
    /// the setter, which differs from an empty string for `chmod-socket`).
    pub flag: bool,
    /// Already applied while reading (immediate options such as `ini`, `set`,
    /// `strict`): no `$()`/`@()`/`%()` expansion, not applied again.
    pub configured: bool,
    /// Defined by `set-placeholder`: a value for `%(name)` only.
    pub placeholder: bool,
}

impl RawOption {
    pub fn new(key: impl Into<String>, value: impl Into<String>, origin: Origin) -> Self {
        RawOption {
            key: key.into(),
            value: value.into(),
            origin,
            flag: false,
            configured: false,
            placeholder: false,
        }
    }
}

/// A warning: something uwsgid accepts but the user should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub String);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// All sources read, in uWSGI's order, before any expansion.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub options: Vec<RawOption>,
    pub warnings: Vec<Warning>,
    /// The first ini file loaded (absolute when it could be resolved).
    pub first_ini: Option<std::path::PathBuf>,
    /// `strict = true` was seen: unknown keys are errors.
    pub strict: bool,
}
