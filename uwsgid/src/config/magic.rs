//! uWSGI's magic variables (`config_magic_table_fill`, `magic_sub`): `%d`,
//! `%n`, `%k`, … substituted textually over a whole ini file before its
//! lines are split. Exactly as uWSGI does it:
//! - every letter without a value is defined as the empty string, so `%` and
//!   the character after it disappear (`50%off` → `50` + `%o` + `ff`);
//! - `%%` is a literal `%`, `%(` is kept for the later `%(name)` pass;
//! - a `%` at the end of a line eats the newline (joins the next line);
//! - a `%` at the very end of the file stays;
//! - a `%` before a non-ASCII character deletes the whole character (uWSGI
//!   deletes its first byte, leaving invalid UTF-8).
//!
//! Uppercase variants (`%D`, `%N`, …) refer to the first ini file loaded
//! that was not an `include`/`inherit`.

use super::context::Context;
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The values of the per-file variables of one ini file.
#[derive(Debug, Clone, Default)]
pub struct FileVars {
    vars: HashMap<char, String>,
}

impl FileVars {
    /// Computes `%o %p %s %n %e %d %c %x %i %j %0…%9` for `given` (the file
    /// name as written), read from `path` (resolved against the cwd).
    pub fn new(given: &str, path: &Path, section: &str, ctx: &Context) -> FileVars {
        let abs = absolute(path, given, ctx);
        let abs_s = abs.to_string_lossy().into_owned();
        let base = Path::new(given)
            .file_name()
            .map_or_else(String::new, |b| b.to_string_lossy().into_owned());
        let (stem, ext) = match base.rfind('.') {
            Some(i) => (base[..i].to_string(), base[i + 1..].to_string()),
            None => (base.clone(), String::new()),
        };
        let dir = abs
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        let comps: Vec<String> = dir
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let mut dir_s = dir.to_string_lossy().into_owned();
        if !dir_s.ends_with('/') {
            dir_s.push('/');
        }
        let mut vars = HashMap::new();
        vars.insert('o', given.to_string());
        vars.insert('p', abs_s.clone());
        vars.insert('s', base);
        vars.insert('n', stem);
        vars.insert('e', ext);
        vars.insert('d', dir_s);
        vars.insert('c', comps.last().cloned().unwrap_or_default());
        vars.insert('x', section.to_string());
        vars.insert(
            'i',
            std::fs::metadata(path)
                .map(|m| m.ino().to_string())
                .unwrap_or_default(),
        );
        vars.insert('j', format!("{:x}", djb33x(abs_s.as_bytes())));
        for (i, c) in comps.iter().take(10).enumerate() {
            if let Some(d) = char::from_digit(u32::try_from(i).unwrap_or(0), 10) {
                vars.insert(d, c.clone());
            }
        }
        FileVars { vars }
    }
}

/// `%p`: the real path, except for a symlink, which uWSGI leaves unresolved
/// (cwd + name).
fn absolute(path: &Path, given: &str, ctx: &Context) -> PathBuf {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return ctx.cwd.join(given);
    }
    std::fs::canonicalize(path).unwrap_or_else(|_| ctx.cwd.join(given))
}

/// uWSGI's `djb33x_hash` (`%j`).
fn djb33x(bytes: &[u8]) -> u32 {
    bytes.iter().fold(5381u32, |h, b| {
        (h.wrapping_shl(5).wrapping_add(h)) ^ u32::from(*b)
    })
}

/// One line after substitution: its text and the physical lines it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logical {
    pub line: usize,
    pub last_line: usize,
    pub text: String,
}

/// The full table for one file: its own variables, the first file's
/// (uppercase) and the process-wide ones.
#[derive(Debug, Clone)]
pub struct MagicTable {
    vars: HashMap<char, String>,
}

impl MagicTable {
    pub fn new(file: &FileVars, first: &FileVars, ctx: &Context) -> MagicTable {
        let mut vars = file.vars.clone();
        for (k, v) in &first.vars {
            if k.is_ascii_lowercase() {
                vars.insert(k.to_ascii_uppercase(), v.clone());
            }
        }
        vars.insert('v', ctx.cwd.to_string_lossy().into_owned());
        vars.insert('h', ctx.hostname.clone());
        vars.insert('k', ctx.cpus.to_string());
        // uwsgid's own version: a config testing `%V` is asking about the server it runs on.
        vars.insert('V', env!("CARGO_PKG_VERSION").to_string());
        vars.insert('t', (ctx.now_us / 1_000_000).to_string());
        vars.insert('T', ctx.now_us.to_string());
        vars.insert('u', ctx.uid.to_string());
        vars.insert('U', ctx.user.clone());
        vars.insert('g', ctx.gid.to_string());
        vars.insert('G', ctx.group.clone());
        vars.insert('[', "\x1b".to_string());
        MagicTable { vars }
    }

    /// Substitutes over `text` and splits it into logical lines, each with
    /// the 1-based numbers of the physical lines it spans.
    pub fn substitute_lines(&self, text: &str) -> Vec<Logical> {
        let mut lines = Vec::new();
        let mut cur = String::new();
        let mut start = 1;
        let mut physical = 1;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' => {
                    lines.push(Logical {
                        line: start,
                        last_line: physical,
                        text: std::mem::take(&mut cur),
                    });
                    physical += 1;
                    start = physical;
                }
                '%' => match chars.next() {
                    // The very end of the file: uWSGI keeps the `%`.
                    None => cur.push('%'),
                    Some('%') => cur.push('%'),
                    Some('(') => cur.push_str("%("),
                    Some('\n') => physical += 1,
                    Some(n) => {
                        if let Some(v) = self.vars.get(&n) {
                            cur.push_str(v);
                        }
                    }
                },
                c => cur.push(c),
            }
        }
        if !cur.is_empty() {
            lines.push(Logical {
                line: start,
                last_line: physical,
                text: cur,
            });
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            cwd: PathBuf::from("/srv"),
            hostname: "box".into(),
            cpus: 4,
            ..Context::default()
        }
    }

    fn table() -> MagicTable {
        let f = FileVars::new(
            "conf/app.ini",
            Path::new("/nonexistent/conf/app.ini"),
            "uwsgi",
            &ctx(),
        );
        MagicTable::new(&f, &f, &ctx())
    }

    fn sub(t: &str) -> Vec<String> {
        table()
            .substitute_lines(t)
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn file_variables() {
        assert_eq!(
            sub("%o|%s|%n|%e|%x|%c"),
            ["conf/app.ini|app.ini|app|ini|uwsgi|conf"]
        );
        assert_eq!(sub("%d|%p"), ["/srv/conf/|/srv/conf/app.ini"]);
        assert_eq!(sub("%0 %1"), ["srv conf"]);
        assert_eq!(sub("%N %D %X"), ["app /srv/conf/ uwsgi"]);
        assert_eq!(sub("%v %h %k"), ["/srv box 4"]);
    }

    #[test]
    fn undefined_letters_are_deleted() {
        assert_eq!(sub("50%off"), ["50conf/app.iniff"]);
        assert_eq!(sub("a%qb %% %(x) %é!"), ["ab % %(x) !"]);
    }

    #[test]
    fn percent_at_line_end_joins_lines() {
        let lines = table().substitute_lines("# 100%\nprocesses = 4\nx = 1\n");
        let spans: Vec<_> = lines
            .iter()
            .map(|l| (l.line, l.last_line, l.text.as_str()))
            .collect();
        assert_eq!(spans, [(1, 2, "# 100processes = 4"), (3, 3, "x = 1")]);
        assert_eq!(sub("end%"), ["end%"]);
    }
}
