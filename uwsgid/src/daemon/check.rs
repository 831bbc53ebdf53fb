//! `Check`: resolves an ini as `uwsgid --check-config` does; starts nothing.

use std::ffi::OsString;
use std::path::Path;

use uwsgid_proto::v1::CheckReply;

use crate::config;

/// The resolution of the ini at `path` (optionally `path:section`).
pub fn check(path: &Path) -> CheckReply {
    let args = [OsString::from("--ini"), path.as_os_str().to_owned()];
    let r = config::check_from_args(&args);
    let errors: Vec<String> = r
        .errors
        .iter()
        .flat_map(config::ConfigError::messages)
        .collect();
    let file = Path::new(config_file(path));
    CheckReply {
        valid: errors.is_empty(),
        resolved_json: serde_json::Value::Object(r.options).to_string(),
        warnings: r.warnings,
        errors,
        name: r.app.name.unwrap_or_else(|| super::app_ini::stem(file)),
    }
}

/// The file part of `file.ini:section`.
fn config_file(path: &Path) -> &str {
    let text = path.to_str().unwrap_or_default();
    config_split(text)
}

fn config_split(text: &str) -> &str {
    match text.rsplit_once(':') {
        Some((file, section)) if !section.contains('/') => file,
        _ => text,
    }
}
