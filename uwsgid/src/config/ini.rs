//! The ini line grammar of uWSGI (`core/ini.c`), plus the checks uwsgid
//! adds for input uWSGI would misread silently (binary data, invalid UTF-8,
//! git conflict markers).
//!
//! Per line: spaces, tabs and `\r` are trimmed on both ends (so CRLF files
//! work); `[name]` opens a section (uWSGI drops the last character without
//! checking it is `]`, so `[uwsgi] ; x` names the section `uwsgi] ;`); a
//! line starting with `;` or `#` is a comment; anything else is `key =
//! value`, split at the first `=`, the key right-trimmed and the value
//! trimmed; a key without `=` has the empty value. Keys are case-sensitive
//! and `_` is not `-`.
//!
//! **Beyond uWSGI:** an inline comment, `#` or `;` preceded by a space or a
//! tab, is cut from the value with the whitespace before it, before any
//! `%(name)` expansion. uWSGI keeps it in the value (`processes = 2 #
//! workers` is `"2 # workers"` there, and `master = false # x` is true);
//! uwsgid reads `2` and `false`. A `#` or `;` not preceded by whitespace
//! (`log-format = a#b`) stays.

use super::error::ConfigError;
use super::magic::Logical;
use super::raw::{Origin, Warning};
use std::sync::Arc;

/// One `key = value` line of the asked section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniLine {
    pub line: usize,
    pub last_line: usize,
    pub key: String,
    pub value: String,
}

/// What one line is.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Blank,
    Section(&'a str),
    Entry(&'a str, &'a str),
}

fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r'])
}

fn classify(raw: &str) -> Line<'_> {
    let line = trim(raw);
    match line.as_bytes().first() {
        None => Line::Blank,
        Some(b';' | b'#') => Line::Blank,
        Some(b'[') => {
            let name = &line[1..];
            // Drop the last character, whatever it is (uWSGI does the same).
            let cut = name.char_indices().last().map_or(0, |(i, _)| i);
            Line::Section(&name[..cut])
        }
        Some(_) => match line.split_once('=') {
            Some((k, v)) => Line::Entry(
                k.trim_end_matches([' ', '\t', '\r']),
                trim(strip_inline_comment(v)),
            ),
            None => Line::Entry(line, ""),
        },
    }
}

/// Cuts an inline comment: the first `#` or `;` preceded by a space or tab.
pub fn strip_inline_comment(value: &str) -> &str {
    let b = value.as_bytes();
    for i in 1..b.len() {
        if matches!(b[i], b'#' | b';') && matches!(b[i - 1], b' ' | b'\t') {
            return &value[..i];
        }
    }
    value
}

/// The entries of `section` (all of its blocks, in file order), and whether
/// the section appeared at all.
pub fn section_entries(lines: &[Logical], section: &str) -> (Vec<IniLine>, bool) {
    let mut current = "";
    let mut found = false;
    let mut out = Vec::new();
    for l in lines {
        match classify(&l.text) {
            Line::Blank => {}
            Line::Section(name) => current = name,
            Line::Entry(k, v) => {
                if current == section {
                    found = true;
                    out.push(IniLine {
                        line: l.line,
                        last_line: l.last_line,
                        key: k.to_string(),
                        value: v.to_string(),
                    });
                }
            }
        }
    }
    (out, found)
}

/// Turns the bytes of an ini file into text. NUL bytes (a binary file) are an
/// error; invalid UTF-8 is replaced (U+FFFD) with a warning naming the first
/// bad line; a UTF-8 byte-order mark is dropped (uWSGI would make it part of
/// the first line, so `[uwsgi]` would not match).
pub fn decode(bytes: &[u8], file: &Arc<str>) -> Result<(String, Vec<Warning>), ConfigError> {
    if let Some(pos) = bytes.iter().position(|b| *b == 0) {
        return Err(ConfigError::Syntax {
            origin: Origin::Ini {
                file: file.clone(),
                line: line_of(bytes, pos),
                last_line: line_of(bytes, pos),
            },
            message: "binary data (a NUL byte): this is not an ini file".into(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s.to_string(), Vec::new())),
        Err(e) => {
            let line = line_of(bytes, e.valid_up_to());
            let w = Warning(format!(
                "{file}:{line}: invalid UTF-8; the bad bytes were replaced by U+FFFD"
            ));
            Ok((String::from_utf8_lossy(bytes).into_owned(), vec![w]))
        }
    }
}

fn line_of(bytes: &[u8], pos: usize) -> usize {
    bytes[..pos].iter().filter(|b| **b == b'\n').count() + 1
}

/// Refuses unresolved git conflict markers: both sides' options would apply.
pub fn check_conflict_markers(text: &str, file: &Arc<str>) -> Result<(), ConfigError> {
    for (i, raw) in text.split('\n').enumerate() {
        let line = trim(raw);
        let marker = ["<<<<<<<", ">>>>>>>", "|||||||"].iter().any(|m| {
            line.starts_with(m) && line[m.len()..].chars().next().is_none_or(|c| c == ' ')
        }) || line == "=======";
        if marker {
            return Err(ConfigError::Syntax {
                origin: Origin::Ini {
                    file: file.clone(),
                    line: i + 1,
                    last_line: i + 1,
                },
                message: format!(
                    "unresolved git conflict marker '{line}': resolve the merge first"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(t: &str) -> Vec<Logical> {
        t.split('\n')
            .enumerate()
            .map(|(i, l)| Logical {
                line: i + 1,
                last_line: i + 1,
                text: l.to_string(),
            })
            .collect()
    }

    fn entries(t: &str, section: &str) -> Vec<(String, String)> {
        section_entries(&lines(t), section)
            .0
            .into_iter()
            .map(|l| (l.key, l.value))
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn grammar() {
        let t = "top = 1\n[uwsgi]\n  a = 1 \r\n; c\n  # c\nb==2\nbare\n  key\t=\tv  v\t\nA = x\n[other]\nc = 3\n[uwsgi]\nd = 4\n";
        assert_eq!(
            entries(t, "uwsgi"),
            kv(&[
                ("a", "1"),
                ("b", "=2"),
                ("bare", ""),
                ("key", "v  v"),
                ("A", "x"),
                ("d", "4")
            ])
        );
        assert_eq!(entries(t, "other"), kv(&[("c", "3")]));
        assert_eq!(entries(t, ""), kv(&[("top", "1")]));
    }

    #[test]
    fn header_drops_last_char_unconditionally() {
        let t = "[uwsgi] ; x\na = 1\n";
        assert_eq!(section_entries(&lines(t), "uwsgi"), (vec![], false));
        assert_eq!(entries(t, "uwsgi] ; "), kv(&[("a", "1")]));
        assert_eq!(entries("[uwsgi\na=1", "uwsg"), kv(&[("a", "1")]));
    }

    #[test]
    fn inline_comments_are_stripped() {
        let t = "[uwsgi]\nprocesses = 2 # workers\nmaster = false # x\nlog = a#b;c\nx = y\t; z\ny = # only\nq = 'a # b'\n";
        assert_eq!(
            entries(t, "uwsgi"),
            kv(&[
                ("processes", "2"),
                ("master", "false"),
                ("log", "a#b;c"),
                ("x", "y"),
                ("y", ""),
                ("q", "'a")
            ])
        );
    }

    #[test]
    fn missing_section_is_reported() {
        assert!(!section_entries(&lines("[app]\na=1\n"), "uwsgi").1);
        assert!(section_entries(&lines("[uwsgi]\na=1\n"), "uwsgi").1);
    }

    #[test]
    fn decoding() {
        let f: Arc<str> = Arc::from("x.ini");
        assert_eq!(
            decode(b"\xef\xbb\xbf[uwsgi]\n", &f).map(|d| d.0).ok(),
            Some("[uwsgi]\n".into())
        );
        let (t, w) = decode(b"a=1\nb=\xff\n", &f).expect("lossy");
        assert_eq!(t, "a=1\nb=\u{fffd}\n");
        assert!(w[0].0.starts_with("x.ini:2: invalid UTF-8"));
        let err = decode(b"a=1\n\0\0", &f).expect_err("binary");
        assert!(err.to_string().starts_with("x.ini:2: binary data"));
    }

    #[test]
    fn conflict_markers() {
        let f: Arc<str> = Arc::from("x.ini");
        assert!(check_conflict_markers("a=1\n<<<<<<< HEAD\nb=1\n=======\n", &f).is_err());
        let err = check_conflict_markers("a=1\n=======\n", &f).expect_err("marker");
        assert!(
            err.to_string()
                .starts_with("x.ini:2: unresolved git conflict marker")
        );
        assert!(check_conflict_markers("a = <<<<<<<\nb=======\n", &f).is_ok());
    }
}
