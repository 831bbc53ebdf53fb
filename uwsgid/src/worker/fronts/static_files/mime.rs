//! The mime table: `/etc/mime.types` (or the `mimefile`s) read as uWSGI's
//! `uwsgi_build_mime_dict` reads it, and a file name's type as
//! `uwsgi_get_mime_type` finds it: the text after the last `.` of the
//! name, compared case-sensitively, the first line naming it winning.

use std::collections::HashMap;
use std::path::Path;

/// Extension → content type.
#[derive(Debug, Default)]
pub struct MimeTable {
    types: HashMap<Box<[u8]>, Box<str>>,
}

impl MimeTable {
    /// Reads every table, in order; a table that cannot be read is logged
    /// by the caller through the returned errors.
    pub fn load(files: &[impl AsRef<Path>]) -> (MimeTable, Vec<String>) {
        let mut table = MimeTable::default();
        let mut notes = Vec::new();
        for file in files {
            let file = file.as_ref();
            match std::fs::read(file) {
                Ok(text) => {
                    let n = table.add(&text);
                    notes.push(format!(
                        "building mime-types dictionary from file {}...{n} entry found",
                        file.display()
                    ));
                }
                Err(err) => notes.push(format!(
                    "cannot read the mime types of {}: {err}; static files from it get no Content-Type",
                    file.display()
                )),
            }
        }
        (table, notes)
    }

    /// Adds the lines of one table: `type ext ext …`, a line starting with
    /// anything but a letter or digit (a `#` comment) skipped. Returns how
    /// many extensions it named.
    pub fn add(&mut self, text: &[u8]) -> usize {
        let mut entries = 0;
        for line in text.split(|&b| b == b'\n') {
            if !line.first().is_some_and(u8::is_ascii_alphanumeric) {
                continue;
            }
            let mut words = line
                .split(|b| matches!(b, b' ' | b'\t' | b'\r'))
                .filter(|w| !w.is_empty());
            let Some(mime) = words.next().and_then(|m| std::str::from_utf8(m).ok()) else {
                continue;
            };
            for ext in words {
                entries += 1;
                self.types.entry(ext.into()).or_insert_with(|| mime.into());
            }
        }
        entries
    }

    /// The type of a file name, from the text after its last `.`.
    pub fn lookup(&self, name: &[u8]) -> Option<&str> {
        let dot = name.iter().rposition(|&b| b == b'.')?;
        self.types.get(&name[dot + 1..]).map(|m| &**m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[u8] = b"# comment text/plain txt\n\
        text/html\t\thtml htm\n\
        text/css css\n\
        text/x-csrc c\n\
        application/x-other html\n\
        \n  indented/type nope\n\
        image/svg+xml svg svgz\r\n";

    #[test]
    fn extensions_after_the_last_dot_first_line_wins() {
        let mut t = MimeTable::default();
        assert_eq!(t.add(TABLE), 7);
        assert_eq!(t.lookup(b"/srv/www/index.html"), Some("text/html"));
        assert_eq!(t.lookup(b"a.htm"), Some("text/html"));
        assert_eq!(t.lookup(b"x.tar.css"), Some("text/css"));
        assert_eq!(t.lookup(b"icon.svgz"), Some("image/svg+xml"));
        assert_eq!(t.lookup(b"main.c"), Some("text/x-csrc"));
        // Case-sensitive, as uWSGI compares.
        assert_eq!(t.lookup(b"A.HTML"), None);
        assert_eq!(t.lookup(b"/dir.html/README"), None);
        assert_eq!(t.lookup(b"noext"), None);
        assert_eq!(t.lookup(b"a.txt"), None);
        assert_eq!(t.lookup(b"a.nope"), None);
    }

    #[test]
    fn a_missing_table_is_a_note_not_a_failure() {
        let (t, notes) = MimeTable::load(&["/nonexistent/mime.types"]);
        assert_eq!(t.lookup(b"a.html"), None);
        assert!(notes[0].contains("/nonexistent/mime.types"), "{notes:?}");
    }
}
