//! `uwsgid --check-config FILE[:SECTION] [--json] [--OPTION VALUE …]`:
//! resolves a configuration exactly as a start would, and starts nothing.
//!
//! For a person: `option = value` lines on stdout (one line per value of a
//! repeatable option), warnings and errors on stderr. With `--json`, for a
//! script, one object on stdout:
//!
//! ```json
//! {"options": {"master": true, "processes": 2, "socket": ["/run/app.sock"], …},
//!  "warnings": ["…"], "errors": ["…"]}
//! ```
//!
//! `options` holds the options uwsgid applies, by canonical name (`workers`
//! is reported as `processes`), each with its parsed value: booleans,
//! numbers (sizes such as `reload-on-as` in MiB, as written), strings, and
//! arrays for repeatable options (`socket`, `env`, `pythonpath`, …).
//! Exit status: 0 when the configuration is valid, 1 otherwise (the errors
//! are on stderr, and with `--json` also in the object).

use std::ffi::OsString;
use std::process::ExitCode;

use crate::config;
use crate::control::check;

/// Runs the check; exit 0 when the configuration is valid.
pub fn run(args: &[OsString]) -> ExitCode {
    let json = args.iter().any(|a| a == "--json");
    let r = config::check_from_args(&config_args(args));
    let errors = check::error_messages(&r);
    if json {
        println!("{}", check::report_json(&r));
    } else {
        print_options(&r.options);
        for w in &r.warnings {
            eprintln!("uwsgid: warning: {w}");
        }
    }
    for e in &errors {
        eprintln!("uwsgid: error: {e}");
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The arguments as the configuration engine reads them: `--check-config
/// FILE` becomes `--ini FILE` (so `file.ini:section` works too). Positions
/// are kept, so messages naming "command line argument N" stay right; the
/// engine itself skips `--json` and a lone `--check-config`.
fn config_args(args: &[OsString]) -> Vec<OsString> {
    let mut out = args.to_vec();
    for i in 0..out.len() {
        let has_file = out
            .get(i + 1)
            .is_some_and(|f| !f.to_string_lossy().starts_with('-'));
        if out[i] == "--check-config" && has_file {
            out[i] = OsString::from("--ini");
        }
    }
    out
}

fn print_options(options: &serde_json::Map<String, serde_json::Value>) {
    for (name, value) in options {
        match value {
            serde_json::Value::Array(values) => {
                for v in values {
                    println!("{name} = {}", plain(v));
                }
            }
            v => println!("{name} = {}", plain(v)),
        }
    }
}

/// A value as an ini file would write it.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn file_after_check_config_becomes_ini() {
        assert_eq!(
            config_args(&os(&[
                "--check-config",
                "a.ini:dev",
                "--json",
                "--processes",
                "3"
            ])),
            os(&["--ini", "a.ini:dev", "--json", "--processes", "3"])
        );
        assert_eq!(
            config_args(&os(&["--http", ":8080", "--check-config", "--json"])),
            os(&["--http", ":8080", "--check-config", "--json"])
        );
    }
}
