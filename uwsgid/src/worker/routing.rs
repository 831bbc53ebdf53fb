//! uWSGI's internal routing, request chain: the rules of `route*` options
//! run in order on each request before the app (after static files and
//! `manage-script-name`, as in uWSGI). What each action does was pinned
//! against uWSGI 2.0.31 (`tests/e2e/wsgi/routing.rs`): `rewrite` changes
//! PATH_INFO (and QUERY_STRING after a `?`) and goes on with the next rule,
//! `continue`/`last`/`rewrite-last` stop the scan and call the app,
//! `return`, `break:STATUS` and the redirects answer without it, `donotlog`
//! drops the request's log line, `addheader`/`delheader` change the
//! response. `$1`… are the regex's groups, `${NAME}` a request variable.

use std::borrow::Cow;

use regex::{Captures, Regex};

use crate::config::routing::{Rule, Subject};
use crate::log::log_line;
use crate::protocol::request::RequestHead;

/// A compiled rule.
struct Compiled {
    rule: Rule,
    /// The regex of a `Var` subject, or of a `route-if` `regexp`.
    regex: Option<Regex>,
}

/// The routing table of a worker.
pub struct Routes(Vec<Compiled>);

/// An answer given instead of calling the app.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub code: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Close the connection after it (`break`).
    pub close: bool,
}

/// What routing decided for one request.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub answer: Option<Answer>,
    pub no_log: bool,
    pub add_headers: Vec<(String, String)>,
    pub del_headers: Vec<String>,
}

/// After one action: scan on, or stop.
enum Step {
    Next,
    Stop,
}

impl Routes {
    /// Compiles the rules (checked by the config already); `None` without any.
    pub fn new(rules: &[Rule]) -> Option<Routes> {
        let compiled: Vec<Compiled> = rules
            .iter()
            .filter_map(|rule| match compile(rule) {
                Ok(regex) => Some(Compiled {
                    rule: rule.clone(),
                    regex,
                }),
                Err(err) => {
                    log_line!("route {:?}: {err}; left out", rule.condition);
                    None
                }
            })
            .collect();
        (!compiled.is_empty()).then_some(Routes(compiled))
    }

    /// Runs the table on `head` (which `rewrite` and `addvar` change).
    pub fn apply(&self, head: &mut RequestHead) -> Outcome {
        let mut outcome = Outcome::default();
        for compiled in &self.0 {
            let Some(groups) = matches(compiled, head) else {
                continue;
            };
            let args = expand(&compiled.rule.args, &groups, head);
            if let Step::Stop = act(&compiled.rule.action, &args, head, &mut outcome) {
                break;
            }
        }
        outcome
    }
}

fn compile(rule: &Rule) -> Result<Option<Regex>, regex::Error> {
    match &rule.subject {
        Subject::Var(_) => Regex::new(&rule.condition).map(Some),
        Subject::If { .. } => match rule.condition.split_once(':') {
            Some(("regexp" | "re", args)) => match args.split_once(';') {
                Some((_, pattern)) => Regex::new(pattern).map(Some),
                None => Ok(None),
            },
            _ => Ok(None),
        },
        Subject::Always => Ok(None),
    }
}

/// The regex groups (`$0`…) when the rule applies, `None` when not.
fn matches(compiled: &Compiled, head: &RequestHead) -> Option<Vec<String>> {
    let groups = |caps: Captures<'_>| {
        caps.iter()
            .map(|m| m.map_or(String::new(), |m| m.as_str().to_owned()))
            .collect()
    };
    match &compiled.rule.subject {
        Subject::Always => Some(Vec::new()),
        Subject::Var(name) => {
            let value = head.get(name).unwrap_or("");
            compiled.regex.as_ref()?.captures(value).map(groups)
        }
        Subject::If { negate } => {
            let (name, args) = compiled
                .rule
                .condition
                .split_once(':')
                .unwrap_or((&compiled.rule.condition, ""));
            let args = expand(args, &[], head);
            let (a, b) = args.split_once(';').unwrap_or((&args, ""));
            let (holds, found) = match name {
                "equal" => (a == b, Vec::new()),
                "startswith" => (a.starts_with(b), Vec::new()),
                "endswith" => (a.ends_with(b), Vec::new()),
                "contains" => (a.contains(b), Vec::new()),
                "empty" => (args.is_empty(), Vec::new()),
                _ => match compiled.regex.as_ref().and_then(|re| re.captures(a)) {
                    Some(caps) => (true, groups(caps)),
                    None => (false, Vec::new()),
                },
            };
            (holds != *negate).then_some(found)
        }
    }
}

/// `$N` as group N, `${NAME}` as the request variable (empty when absent).
fn expand(text: &str, groups: &[String], head: &RequestHead) -> String {
    if !text.contains('$') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(inner) = rest.strip_prefix('{')
            && let Some(end) = inner.find('}')
        {
            out.push_str(head.get(&inner[..end]).unwrap_or(""));
            rest = &inner[end + 1..];
        } else if let Some(digit) = rest.chars().next().and_then(|c| c.to_digit(10)) {
            out.push_str(groups.get(digit as usize).map_or("", String::as_str));
            rest = &rest[1..];
        } else {
            out.push('$');
        }
    }
    out.push_str(rest);
    out
}

fn act(action: &str, args: &str, head: &mut RequestHead, outcome: &mut Outcome) -> Step {
    match action {
        "donotlog" => outcome.no_log = true,
        "continue" | "last" => return Step::Stop,
        "return" => {
            let code = args
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(200);
            let reason = reason(code);
            outcome.answer = Some(Answer {
                code,
                body: reason.to_owned(),
                reason: reason.to_owned(),
                headers: vec![("Content-Type".into(), "text/plain".into())],
                close: false,
            });
            return Step::Stop;
        }
        "break" => {
            let (code, text) = match args.trim().split_once(' ') {
                Some((code, text)) => (code.parse().unwrap_or(500), text.to_owned()),
                None => (args.trim().parse().unwrap_or(500), String::new()),
            };
            outcome.answer = Some(Answer {
                code,
                reason: if text.is_empty() {
                    reason(code).to_owned()
                } else {
                    text
                },
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: String::new(),
                close: true,
            });
            return Step::Stop;
        }
        "redirect" | "redirect-302" | "redirect-permanent" | "redirect-301" => {
            let (code, body) = if action.ends_with("302") || action == "redirect" {
                (302, "Moved")
            } else {
                (301, "Moved Permanently")
            };
            outcome.answer = Some(Answer {
                code,
                reason: reason(code).to_owned(),
                headers: vec![("Location".into(), args.to_owned())],
                body: body.to_owned(),
                close: false,
            });
            return Step::Stop;
        }
        "rewrite" | "rewrite-last" => {
            rewrite(head, args);
            if action == "rewrite-last" {
                return Step::Stop;
            }
        }
        "addvar" | "setenv" => {
            if let Some((name, value)) = args.split_once('=') {
                set_var(head, name, value);
            }
        }
        "addheader" => {
            if let Some((name, value)) = args.split_once(':') {
                outcome
                    .add_headers
                    .push((name.trim().to_owned(), value.trim_start().to_owned()));
            }
        }
        "delheader" => outcome.del_headers.push(args.trim().to_owned()),
        "log" => log_line!("{args}"),
        _ => {}
    }
    Step::Next
}

/// `rewrite:PATH[?QUERY]`: the new PATH_INFO, and QUERY_STRING when given.
fn rewrite(head: &mut RequestHead, target: &str) {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    head.set("PATH_INFO", path.to_owned());
    if let Some(query) = query {
        head.set("QUERY_STRING", query.to_owned());
    }
}

fn set_var(head: &mut RequestHead, name: &str, value: &str) {
    match head.vars.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value.to_owned(),
        None => head
            .vars
            .push((Cow::Owned(name.to_owned()), value.to_owned())),
    }
}

/// The reason phrase uWSGI sends with a status.
fn reason(code: u16) -> &'static str {
    hyper::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::routing::parse;

    fn routes(lines: &[(&str, &str)]) -> Routes {
        let rules: Vec<Rule> = lines
            .iter()
            .map(|(subject, value)| {
                let subject = match *subject {
                    "run" => Subject::Always,
                    "if" => Subject::If { negate: false },
                    var => Subject::Var(var.to_owned()),
                };
                parse(subject, value).expect("rule")
            })
            .collect();
        Routes::new(&rules).expect("routes")
    }

    fn head(path: &str) -> RequestHead {
        let mut head = RequestHead::default();
        head.set("PATH_INFO", path.to_owned());
        head.set("HTTP_HOST", "h.example".to_owned());
        head
    }

    #[test]
    fn rewrite_goes_on_and_groups_expand() {
        let table = routes(&[
            ("PATH_INFO", "^/rw/(.*)$ rewrite:/target/$1?x=1"),
            ("PATH_INFO", "^/target addvar:MYVAR=${HTTP_HOST}"),
            ("PATH_INFO", "^/target addheader:X-Route: yes"),
        ]);
        let mut h = head("/rw/zz");
        let out = table.apply(&mut h);
        assert_eq!(h.get("PATH_INFO"), Some("/target/zz"));
        assert_eq!(h.get("QUERY_STRING"), Some("x=1"));
        assert_eq!(h.get("MYVAR"), Some("h.example"));
        assert_eq!(
            out.add_headers,
            vec![("X-Route".to_owned(), "yes".to_owned())]
        );
        assert!(out.answer.is_none());
    }

    #[test]
    fn answers_stop_the_scan() {
        let table = routes(&[
            ("PATH_INFO", "^/health$ donotlog:"),
            ("PATH_INFO", "^/health$ return:200"),
            ("PATH_INFO", "^/old/(.*)$ redirect-permanent:/new/$1"),
            ("PATH_INFO", "^/cont continue:"),
            ("PATH_INFO", "^/cont addheader:X-After: no"),
            ("if", "equal:${HTTP_HOST};h.example break:403 Forbidden"),
        ]);
        let out = table.apply(&mut head("/health"));
        assert!(out.no_log);
        assert_eq!(
            out.answer.map(|a| (a.code, a.body)),
            Some((200, "OK".to_owned()))
        );
        let out = table.apply(&mut head("/old/a/b"));
        let answer = out.answer.expect("redirect");
        assert_eq!(answer.code, 301);
        assert_eq!(
            answer.headers,
            vec![("Location".to_owned(), "/new/a/b".to_owned())]
        );
        assert_eq!(table.apply(&mut head("/cont")), Outcome::default());
        let out = table.apply(&mut head("/other"));
        assert_eq!(out.answer.map(|a| (a.code, a.close)), Some((403, true)));
    }
}
