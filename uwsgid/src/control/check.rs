//! The `Check` RPC and app names: an ini (optionally `file.ini:section`)
//! resolved through the configuration engine exactly as
//! `uwsgid --check-config FILE --json` resolves it, starting nothing.

use std::ffi::OsString;
use std::path::Path;

use uwsgid_proto::v1::CheckReply;

use crate::config::{self, ConfigError, Resolution};

/// Resolves the ini `ini` (`path` or `path:section`) as a start of
/// `uwsgid --ini ini` would, errors included.
pub fn resolve_ini(ini: &str) -> Resolution {
    config::check_from_args(&[OsString::from("--ini"), OsString::from(ini)])
}

/// The name of the app `resolution` describes: `project` if set, else the
/// ini file's stem; for an ini that could not even be read, the stem of
/// `ini` as given (without its `:section`).
pub fn app_name(resolution: &Resolution, ini: &str) -> String {
    resolution.app.name.clone().unwrap_or_else(|| stem_of(ini))
}

/// The `Check` reply for `ini`. A relative path is refused: it would be
/// resolved from the server's directory, not the caller's.
pub fn check_ini(ini: &str) -> CheckReply {
    let (path, _) = config::split_spec(ini);
    if !Path::new(path).is_absolute() {
        return CheckReply {
            valid: false,
            errors: vec![format!(
                "{ini}: the ini path must be absolute (it is read by the server, from its own directory)"
            )],
            name: stem_of(ini),
            ..CheckReply::default()
        };
    }
    reply(&resolve_ini(ini), ini)
}

/// The `Check` reply for an ini already resolved.
pub fn reply(resolution: &Resolution, ini: &str) -> CheckReply {
    let errors = error_messages(resolution);
    CheckReply {
        valid: errors.is_empty(),
        resolved_json: report_json(resolution).to_string(),
        warnings: resolution.warnings.clone(),
        errors,
        name: app_name(resolution, ini),
    }
}

/// One message per error of `resolution`, nested lists flattened.
pub fn error_messages(resolution: &Resolution) -> Vec<String> {
    resolution
        .errors
        .iter()
        .flat_map(ConfigError::messages)
        .collect()
}

/// The object `uwsgid --check-config --json` prints: `options` (canonical
/// name → value), `warnings` and `errors`.
pub fn report_json(resolution: &Resolution) -> serde_json::Value {
    serde_json::json!({
        "options": resolution.options,
        "warnings": resolution.warnings,
        "errors": error_messages(resolution),
    })
}

fn stem_of(ini: &str) -> String {
    let (path, _) = config::split_spec(ini);
    Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write ini");
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn a_valid_ini_is_named_after_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ini = write(
            dir.path(),
            "mysite.ini",
            "[uwsgi]\nhttp-socket = :0\nprocesses = 3\n",
        );
        let r = check_ini(&ini);
        assert!(r.valid, "{r:?}");
        assert_eq!(r.name, "mysite");
        assert!(r.errors.is_empty());
        let json: serde_json::Value = serde_json::from_str(&r.resolved_json).expect("json");
        assert_eq!(json["options"]["processes"], 3);
    }

    #[test]
    fn project_names_the_app_and_sections_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ini = write(
            dir.path(),
            "site.ini",
            "[uwsgi]\nproject = blog\nhttp-socket = :0\n[dev]\nproject = blogdev\nhttp-socket = :0\n",
        );
        assert_eq!(check_ini(&ini).name, "blog");
        assert_eq!(check_ini(&format!("{ini}:dev")).name, "blogdev");
    }

    #[test]
    fn errors_name_the_line_and_keep_the_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ini = write(
            dir.path(),
            "broken.ini",
            "[uwsgi]\nhttp-socket = :0\nprocesses = many\n",
        );
        let r = check_ini(&ini);
        assert!(!r.valid);
        assert_eq!(r.name, "broken");
        assert!(r.errors.iter().any(|e| e.contains("broken.ini:3")), "{r:?}");
    }

    #[test]
    fn a_missing_or_relative_ini_is_an_error() {
        let missing = check_ini("/nonexistent/dir/gone.ini");
        assert!(!missing.valid);
        assert_eq!(missing.name, "gone");
        let relative = check_ini("apps/site.ini");
        assert!(!relative.valid);
        assert!(relative.errors[0].contains("absolute"), "{relative:?}");
    }

    #[test]
    fn the_stem_leaves_the_section_out() {
        assert_eq!(stem_of("/a/b.ini:dev"), "b");
        assert_eq!(stem_of("/a/b.ini"), "b");
    }
}
