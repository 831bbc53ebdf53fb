//! Errors of the configuration engine. Every error names where the faulty
//! value came from (`file:line`, an environment variable or a command-line
//! argument), the option, and what is wrong with it.

use super::raw::Origin;

/// A configuration that cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An option's value does not parse for its type.
    #[error("{origin}: option '{option}': invalid value '{value}': {reason}")]
    InvalidValue {
        origin: Origin,
        option: String,
        value: String,
        reason: String,
    },
    /// An option is used in a way that cannot work (a missing include, a
    /// placeholder named like an option, an unknown key under `strict`, …).
    #[error("{origin}: option '{option}': {message}")]
    Option {
        origin: Origin,
        option: String,
        message: String,
    },
    /// A line of an ini file that is not ini syntax uwsgid accepts (binary
    /// data, an unresolved git conflict).
    #[error("{origin}: {message}")]
    Syntax { origin: Origin, message: String },
    /// The command line itself is wrong (an unknown `--option`, a missing value).
    #[error("command line: {0}")]
    Usage(String),
    /// Several of the above, in the order they were found.
    #[error("{}", join(.0))]
    Several(Vec<ConfigError>),
}

fn join(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigError {
    /// Wraps a list of errors: one stays itself, several become [`ConfigError::Several`].
    pub fn from_list(mut errors: Vec<ConfigError>) -> Option<ConfigError> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(ConfigError::Several(errors)),
        }
    }

    /// One message per error, flattening [`ConfigError::Several`].
    pub fn messages(&self) -> Vec<String> {
        match self {
            ConfigError::Several(list) => list.iter().flat_map(ConfigError::messages).collect(),
            other => vec![other.to_string()],
        }
    }
}
