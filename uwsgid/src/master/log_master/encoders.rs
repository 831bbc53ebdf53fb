//! uWSGI's log encoders (`log-encoder`, `log-req-encoder`): a chain that
//! rewrites each line before a logger writes it. `prefix ARGS`,
//! `suffix ARGS`, `nl` (adds a newline) and the templates `format ARGS` /
//! `json ARGS` with `${msg}` (the line without its newline), `${msgnl}`,
//! `${unix}`, `${micros}`, `${millis}`, `${strftime:FMT}`; `json` escapes
//! what it substitutes. `NAME:ID ARGS` applies to the logger `ID` only.
//! Like uWSGI, `format` and `json` add no newline (chain `nl` after them).

use std::ffi::CString;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("log encoder \"{0}\" not found")]
pub struct UnknownEncoder(pub String);

/// One piece of a `format`/`json` template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Msg,
    MsgNl,
    Unix,
    Micros,
    Millis,
    Strftime(CString),
    /// An unknown `${name}`: writes nothing, as in uWSGI.
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Prefix(String),
    Suffix(String),
    Nl,
    Format(Vec<Part>),
    Json(Vec<Part>),
}

/// One configured encoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoder {
    kind: Kind,
    /// `NAME:ID`: only for the logger named `ID`.
    only_for: Option<String>,
}

impl Encoder {
    /// Parses `NAME[:ID][ ARGS]` as uWSGI does.
    pub fn parse(spec: &str) -> Result<Encoder, UnknownEncoder> {
        let (head, args) = spec.split_once(' ').unwrap_or((spec, ""));
        let (name, only_for) = match head.split_once(':') {
            Some((n, id)) => (n, Some(id.to_string())),
            None => (head, None),
        };
        let kind = match name {
            "prefix" => Kind::Prefix(args.to_string()),
            "suffix" => Kind::Suffix(args.to_string()),
            "nl" => Kind::Nl,
            "format" => Kind::Format(template(args)),
            "json" => Kind::Json(template(args)),
            other => return Err(UnknownEncoder(other.to_string())),
        };
        Ok(Encoder { kind, only_for })
    }

    /// Whether it applies to a line going to the logger `id` (`None`: an
    /// unnamed logger or the plain log).
    pub fn applies_to(&self, id: Option<&str>) -> bool {
        match &self.only_for {
            None => true,
            Some(only) => id == Some(only.as_str()),
        }
    }

    /// The encoded line.
    pub fn encode(&self, msg: &[u8]) -> Vec<u8> {
        match &self.kind {
            Kind::Prefix(p) => [p.as_bytes(), msg].concat(),
            Kind::Suffix(s) => [msg, s.as_bytes()].concat(),
            Kind::Nl => [msg, b"\n"].concat(),
            Kind::Format(parts) => render(parts, msg, false),
            Kind::Json(parts) => render(parts, msg, true),
        }
    }
}

/// Runs `chain` over `msg` for the logger `id`.
pub fn encode_chain(chain: &[Encoder], id: Option<&str>, msg: &[u8]) -> Vec<u8> {
    let mut out = msg.to_vec();
    for encoder in chain.iter().filter(|e| e.applies_to(id)) {
        out = encoder.encode(&out);
    }
    out
}

/// uWSGI's `uwsgi_log_encoder_parse_vars`: `${name}` is a variable, any
/// other text (a lone `$` too) is kept.
fn template(args: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = args;
    while let Some(at) = rest.find("${") {
        let Some(end) = rest[at + 2..].find('}') else {
            break;
        };
        text.push_str(&rest[..at]);
        if !text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut text)));
        }
        parts.push(variable(&rest[at + 2..at + 2 + end]));
        rest = &rest[at + 2 + end + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

fn variable(name: &str) -> Part {
    match name {
        "msg" => Part::Msg,
        "msgnl" => Part::MsgNl,
        "unix" => Part::Unix,
        "micros" => Part::Micros,
        "millis" => Part::Millis,
        _ => match name.strip_prefix("strftime:").map(CString::new) {
            Some(Ok(format)) => Part::Strftime(format),
            _ => Part::Nothing,
        },
    }
}

fn render(parts: &[Part], msg: &[u8], json: bool) -> Vec<u8> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let without_nl = msg.strip_suffix(b"\n").unwrap_or(msg);
    let mut out = Vec::with_capacity(msg.len() + 64);
    let put = |out: &mut Vec<u8>, value: &[u8]| {
        if json {
            escape_json(value, out);
        } else {
            out.extend_from_slice(value);
        }
    };
    for part in parts {
        match part {
            Part::Text(t) => out.extend_from_slice(t.as_bytes()),
            Part::Msg => put(&mut out, without_nl),
            Part::MsgNl => put(&mut out, msg),
            Part::Unix => out.extend_from_slice(now.as_secs().to_string().as_bytes()),
            Part::Micros => out.extend_from_slice(now.as_micros().to_string().as_bytes()),
            Part::Millis => out.extend_from_slice(now.as_millis().to_string().as_bytes()),
            Part::Strftime(format) => {
                let mut date = String::new();
                let secs = i64::try_from(now.as_secs()).unwrap_or(0);
                crate::log::push_strftime(&mut date, format, secs);
                put(&mut out, date.as_bytes());
            }
            Part::Nothing => {}
        }
    }
    out
}

/// uWSGI's `escape_json`: tab, newline, carriage return, `"` and `\`.
fn escape_json(value: &[u8], out: &mut Vec<u8>) {
    for &b in value {
        match b {
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
}

/// For tests: the text of `bytes`.
#[cfg(test)]
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(spec: &str, msg: &str) -> String {
        let e = Encoder::parse(spec).unwrap_or_else(|e| panic!("{e}"));
        text(&e.encode(msg.as_bytes()))
    }

    #[test]
    fn prefix_suffix_nl() {
        assert_eq!(enc("prefix [app] ", "hello\n"), "[app] hello\n");
        assert_eq!(enc("suffix  END", "hello"), "hello END");
        assert_eq!(enc("nl", "hello"), "hello\n");
    }

    #[test]
    fn format_substitutes_and_adds_no_newline() {
        assert_eq!(enc("format <${msg}>", "hello\n"), "<hello>");
        assert_eq!(enc("format <${msgnl}>", "hello\n"), "<hello\n>");
        assert_eq!(enc("format ${nope}x$y${", "m\n"), "x$y${");
        let unix = enc("format ${unix}", "m");
        assert!(
            unix.parse::<u64>().is_ok_and(|n| n > 1_700_000_000),
            "{unix}"
        );
        assert_eq!(enc("format ${strftime:%%}", "m"), "%");
    }

    #[test]
    fn json_escapes_the_message() {
        assert_eq!(
            enc(r#"json {"msg":"${msg}"}"#, "a \"q\"\tb\\c\n"),
            r#"{"msg":"a \"q\"\tb\\c"}"#
        );
    }

    #[test]
    fn a_named_encoder_applies_to_its_logger_only() {
        let chain = [
            Encoder::parse("prefix A ").unwrap_or_else(|e| panic!("{e}")),
            Encoder::parse("prefix:access B ").unwrap_or_else(|e| panic!("{e}")),
        ];
        assert_eq!(text(&encode_chain(&chain, None, b"x")), "A x");
        assert_eq!(text(&encode_chain(&chain, Some("access"), b"x")), "B A x");
        assert_eq!(text(&encode_chain(&chain, Some("other"), b"x")), "A x");
    }

    #[test]
    fn unknown_encoders_are_errors() {
        assert_eq!(Encoder::parse("gzip"), Err(UnknownEncoder("gzip".into())));
    }
}
