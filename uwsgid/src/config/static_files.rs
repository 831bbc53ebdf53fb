//! The static-file options (`static-map`, `check-static`, `static-index`,
//! the `static-expires*` family, `honour-range`, `mimefile`, …) as uWSGI
//! 2.0 reads them (`core/uwsgi.c`: `uwsgi_opt_static_map`,
//! `uwsgi_opt_add_regexp_dyn_dict`, `uwsgi_opt_add_dyn_dict`). Values are
//! checked here (a map without `=`, a regex that does not compile, seconds
//! that are not a number are configuration errors); the worker compiles
//! them again when it starts serving (`worker/fronts/static_files/`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `static-map = /prefix=/dir` (or a file): requests under the prefix are
/// looked up in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticMap {
    /// The PATH_INFO prefix, as written (no trailing `/` added).
    pub prefix: String,
    /// The directory (or file), as written; resolved with `realpath` by the
    /// worker on first use, as uWSGI does.
    pub dir: PathBuf,
}

/// What an `Expires` rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpiresOn {
    /// The resolved file name (`static-expires`), a regex.
    File,
    /// PATH_INFO (`static-expires-path-info`), a regex.
    PathInfo,
    /// REQUEST_URI (`static-expires-uri`), a regex.
    Uri,
    /// The Content-Type, compared whole (`static-expires-type`).
    Type,
}

/// One `static-expires*` rule: `Expires` is now (or the file's mtime, for
/// the `-mtime` variants) plus `seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    pub on: ExpiresOn,
    /// The regex (or the content type, for [`ExpiresOn::Type`]).
    pub pattern: String,
    pub seconds: u64,
    pub from_mtime: bool,
}

/// Every static-file option.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticFiles {
    /// `static-map`, in configuration order (uWSGI tries them in order and
    /// moves on when the file is not there).
    pub maps: Vec<StaticMap>,
    /// `static-map2`: the whole PATH_INFO is appended to the directory.
    pub maps2: Vec<StaticMap>,
    /// `check-static` / `static-check`: document roots tried with the whole
    /// PATH_INFO, before the maps.
    pub check: Vec<PathBuf>,
    /// `static-index`: files tried in a requested directory.
    pub index: Vec<String>,
    /// `static-skip-ext`: suffixes never served as static files.
    pub skip_ext: Vec<String>,
    /// `static-safe`: prefixes a resolved file may lie under although it
    /// is outside its document root (a symlink out of it).
    pub safe: Vec<String>,
    /// The `static-expires*` rules, in configuration order.
    pub expires: Vec<Expiry>,
    /// `honour-range`: answer `Range` requests with 206.
    pub honour_range: bool,
    /// `mimefile` / `mime-file`: the mime tables read (default
    /// `/etc/mime.types`).
    pub mime_files: Vec<PathBuf>,
    /// `offload-threads`: accepted; static bodies never hold a Python
    /// thread, so there is nothing to offload.
    pub offload_threads: u32,
    /// Which files may be served from a precompressed `.br`/`.gz` sibling.
    pub gzip: GzipRules,
    /// `file-serve-mode`: who sends the file's bytes.
    pub serve_mode: ServeMode,
}

/// `file-serve-mode`: the worker sends the file, or names it to the web
/// server in front (uWSGI's words: `x-sendfile`/`xsendfile` for Apache,
/// `x-accel-redirect`/`xaccelredirect`/`nginx` for nginx).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServeMode {
    #[default]
    Raw,
    XAccelRedirect,
    XSendfile,
}

impl ServeMode {
    pub fn parse(value: &str) -> Result<ServeMode, String> {
        match value.to_ascii_lowercase().as_str() {
            "x-sendfile" | "xsendfile" => Ok(ServeMode::XSendfile),
            "x-accel-redirect" | "xaccelredirect" | "nginx" => Ok(ServeMode::XAccelRedirect),
            _ => Err(
                "expected x-sendfile, xsendfile, x-accel-redirect, xaccelredirect or nginx".into(),
            ),
        }
    }

    /// The header naming the file, if the front server sends it.
    pub fn header(self) -> Option<&'static str> {
        match self {
            ServeMode::Raw => None,
            ServeMode::XAccelRedirect => Some("X-Accel-Redirect"),
            ServeMode::XSendfile => Some("X-Sendfile"),
        }
    }
}

/// `static-gzip-all`, `static-gzip-dir` (`-prefix`), `static-gzip-ext`
/// (`-suffix`): the real file names whose `FILE.br` / `FILE.gz` is served
/// to a client that accepts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzipRules {
    pub all: bool,
    /// Name prefixes.
    pub dirs: Vec<String>,
    /// Name suffixes.
    pub exts: Vec<String>,
}

impl GzipRules {
    /// Whether the file `name` (its real path) may have a compressed
    /// variant, as uWSGI's `uwsgi_static_want_gzip` decides.
    pub fn applies(&self, name: &[u8]) -> bool {
        self.all
            || self.dirs.iter().any(|d| name.starts_with(d.as_bytes()))
            || self.exts.iter().any(|e| name.ends_with(e.as_bytes()))
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.dirs.is_empty() && self.exts.is_empty()
    }
}

impl StaticFiles {
    /// Whether requests are looked up at all: false costs an app request
    /// nothing but this check.
    pub fn is_active(&self) -> bool {
        !self.maps.is_empty() || !self.maps2.is_empty() || !self.check.is_empty()
    }

    /// The mime tables to read: `mimefile` lines, else `/etc/mime.types`.
    pub fn mime_tables(&self) -> Vec<PathBuf> {
        if self.mime_files.is_empty() {
            vec![PathBuf::from("/etc/mime.types")]
        } else {
            self.mime_files.clone()
        }
    }
}

/// `/prefix=/dir`, split at the first `=` (uWSGI: "invalid document root
/// in static map, syntax mountpoint=docroot" and exit 1 without one).
pub fn parse_map(value: &str) -> Result<StaticMap, String> {
    match value.split_once('=') {
        Some((prefix, dir)) if !dir.is_empty() => Ok(StaticMap {
            prefix: prefix.to_owned(),
            dir: PathBuf::from(dir),
        }),
        _ => Err("invalid document root in static map, syntax mountpoint=docroot".to_owned()),
    }
}

/// `REGEX SECONDS` (split at the first space), the regex checked.
pub fn parse_regex_rule(on: ExpiresOn, from_mtime: bool, value: &str) -> Result<Expiry, String> {
    let Some((pattern, seconds)) = value.split_once(' ') else {
        return Err("invalid dictionary syntax, expected `REGEX SECONDS`".to_owned());
    };
    regex::bytes::Regex::new(pattern).map_err(|e| format!("invalid regex {pattern:?}: {e}"))?;
    Ok(Expiry {
        on,
        pattern: pattern.to_owned(),
        seconds: parse_seconds(seconds)?,
        from_mtime,
    })
}

/// `TYPE=SECONDS` (split at the first `=`).
pub fn parse_type_rule(from_mtime: bool, value: &str) -> Result<Expiry, String> {
    let Some((mime, seconds)) = value.split_once('=') else {
        return Err("invalid dictionary syntax, expected `TYPE=SECONDS`".to_owned());
    };
    Ok(Expiry {
        on: ExpiresOn::Type,
        pattern: mime.to_owned(),
        seconds: parse_seconds(seconds)?,
        from_mtime,
    })
}

fn parse_seconds(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("expected a number of seconds, got {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_splits_at_the_first_equals() {
        let map = parse_map("/s=/var/www/a=b").expect("valid");
        assert_eq!(map.prefix, "/s");
        assert_eq!(map.dir, PathBuf::from("/var/www/a=b"));
        assert!(parse_map("/s").is_err());
        assert!(parse_map("/s=").is_err());
    }

    #[test]
    fn expires_rules() {
        let rule = parse_regex_rule(ExpiresOn::Uri, false, r"\.css$ 3600").expect("valid");
        assert_eq!(rule.pattern, r"\.css$");
        assert_eq!(rule.seconds, 3600);
        assert!(parse_regex_rule(ExpiresOn::File, false, "(unclosed 10").is_err());
        assert!(parse_regex_rule(ExpiresOn::File, false, "nospace").is_err());
        assert!(parse_regex_rule(ExpiresOn::File, false, ".* soon").is_err());
        let rule = parse_type_rule(true, "text/css=60").expect("valid");
        assert_eq!(
            (rule.on, rule.pattern.as_str()),
            (ExpiresOn::Type, "text/css")
        );
        assert!(rule.from_mtime);
    }

    #[test]
    fn active_only_with_somewhere_to_look() {
        let mut s = StaticFiles::default();
        s.index.push("index.html".into());
        s.honour_range = true;
        assert!(!s.is_active());
        s.check.push(PathBuf::from("/srv"));
        assert!(s.is_active());
        assert_eq!(s.mime_tables(), vec![PathBuf::from("/etc/mime.types")]);
    }
}
