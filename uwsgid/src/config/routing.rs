//! uWSGI's internal routing options (`route`, `route-uri`, `route-host`,
//! `route-user-agent`, `route-qs`, `route-remote-addr`, `route-referer`,
//! `route-run`, `route-if`, `route-if-not`) as read from the config: each
//! value is `CONDITION ACTION:ARGS`, split at the first space as uWSGI
//! splits it. Regexes and actions are checked here, so a rule uwsgid cannot
//! run is a configuration error naming its line, never a silent skip; the
//! worker compiles them again (`worker/routing.rs`).

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What a rule tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    /// A CGI variable matched by a regex (`route` = PATH_INFO, …).
    Var(String),
    /// Always (`route-run`).
    Always,
    /// A `route-if` condition; `negate` for `route-if-not`.
    If { negate: bool },
}

/// The actions uwsgid runs (uWSGI 2.0's names; `setenv` is taken as
/// `addvar`).
pub const ACTIONS: &[&str] = &[
    "donotlog",
    "return",
    "break",
    "continue",
    "last",
    "redirect",
    "redirect-302",
    "redirect-permanent",
    "redirect-301",
    "rewrite",
    "rewrite-last",
    "addvar",
    "setenv",
    "addheader",
    "delheader",
    "log",
];

/// The `route-if` conditions uwsgid evaluates.
pub const CONDITIONS: &[&str] = &[
    "equal",
    "startswith",
    "endswith",
    "contains",
    "regexp",
    "re",
    "empty",
];

/// One routing rule, in configuration order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub subject: Subject,
    /// The regex, or the `route-if` condition (`equal:A;B`), or empty.
    pub condition: String,
    pub action: String,
    pub args: String,
}

/// Parses a rule's value for `subject`.
pub fn parse(subject: Subject, value: &str) -> Result<Rule, String> {
    let (condition, action) = if subject == Subject::Always {
        ("", value.trim())
    } else {
        value
            .trim()
            .split_once(' ')
            .map(|(c, a)| (c, a.trim()))
            .ok_or("expected CONDITION ACTION:ARGS (uWSGI: invalid route syntax)")?
    };
    let (action, args) = action.split_once(':').unwrap_or((action, ""));
    if !ACTIONS.contains(&action) {
        return Err(format!(
            "routing action `{action}` is not implemented by uwsgid (it runs: {})",
            ACTIONS.join(", ")
        ));
    }
    match &subject {
        Subject::Var(_) => check_regex(condition)?,
        Subject::If { .. } => check_condition(condition)?,
        Subject::Always => {}
    }
    Ok(Rule {
        subject,
        condition: condition.to_owned(),
        action: action.to_owned(),
        args: args.to_owned(),
    })
}

fn check_regex(pattern: &str) -> Result<(), String> {
    Regex::new(pattern)
        .map(drop)
        .map_err(|err| format!("the regex {pattern:?} does not compile: {err}"))
}

/// `name:args` with a known name; `regexp` needs `VALUE;REGEX`.
fn check_condition(condition: &str) -> Result<(), String> {
    let (name, args) = condition.split_once(':').unwrap_or((condition, ""));
    if !CONDITIONS.contains(&name) {
        return Err(format!(
            "route-if condition `{name}` is not implemented by uwsgid (it evaluates: {})",
            CONDITIONS.join(", ")
        ));
    }
    if matches!(name, "regexp" | "re") {
        let (_, pattern) = args.split_once(';').ok_or("expected regexp:VALUE;REGEX")?;
        check_regex(pattern)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_split_at_the_first_space() {
        let rule = parse(
            Subject::Var("PATH_INFO".into()),
            "^/old/(.*)$ redirect-permanent:/new/$1",
        )
        .expect("parses");
        assert_eq!(rule.condition, "^/old/(.*)$");
        assert_eq!(
            (rule.action.as_str(), rule.args.as_str()),
            ("redirect-permanent", "/new/$1")
        );
        let rule = parse(Subject::Var("PATH_INFO".into()), "^/health$ donotlog:").expect("parses");
        assert_eq!((rule.action.as_str(), rule.args.as_str()), ("donotlog", ""));
        let rule = parse(
            Subject::If { negate: false },
            "equal:${HTTP_X_FORWARDED_PROTO};http redirect-permanent:https://${HTTP_HOST}${REQUEST_URI}",
        )
        .expect("parses");
        assert_eq!(rule.args, "https://${HTTP_HOST}${REQUEST_URI}");
    }

    #[test]
    fn what_uwsgid_cannot_run_is_an_error() {
        let var = || Subject::Var("PATH_INFO".into());
        assert!(
            parse(var(), "^/x cachestore:key=a")
                .expect_err("refused")
                .contains("cachestore")
        );
        assert!(parse(var(), "^/x").is_err());
        assert!(
            parse(var(), "(unclosed donotlog:")
                .expect_err("refused")
                .contains("regex")
        );
        assert!(parse(Subject::If { negate: false }, "isfile:/x donotlog:").is_err());
    }
}
