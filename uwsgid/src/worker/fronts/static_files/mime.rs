//! The mime table: `/etc/mime.types` (or the `mimefile`s) read as uWSGI's
//! `uwsgi_build_mime_dict` reads it, and a file name's type as
//! `uwsgi_get_mime_type` finds it: the text after the last `.` of the
//! name, compared case-sensitively, the first line naming it winning.

use std::path::Path;

/// One extension → type pair: ranges of [`MimeTable::pool`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    ext: u32,
    ext_len: u16,
    mime: u32,
    mime_len: u16,
}

/// Extension → content type. Kept compact (every worker has one, built
/// after the fork): the names back to back in one buffer, the pairs sorted
/// by extension for a binary search.
#[derive(Debug, Default)]
pub struct MimeTable {
    pool: Vec<u8>,
    entries: Vec<Entry>,
}

impl MimeTable {
    /// Reads every table, in order; what could not be read comes back as
    /// a note for the log, with the count of each table read.
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
        table.pool.shrink_to_fit();
        table.entries.shrink_to_fit();
        (table, notes)
    }

    /// Adds the lines of one table: `type ext ext …`, a line starting with
    /// anything but a letter or digit (a `#` comment) skipped; an
    /// extension already named keeps its first type. Returns how many
    /// extensions the table named.
    pub fn add(&mut self, text: &[u8]) -> usize {
        let mut entries = 0;
        for line in text.split(|&b| b == b'\n') {
            if !line.first().is_some_and(u8::is_ascii_alphanumeric) {
                continue;
            }
            let mut words = line
                .split(|b| matches!(b, b' ' | b'\t' | b'\r'))
                .filter(|w| !w.is_empty());
            let Some(mime) = words.next().filter(|m| std::str::from_utf8(m).is_ok()) else {
                continue;
            };
            let Some(mime) = self.intern(mime) else {
                continue;
            };
            for ext in words {
                if let Some(ext) = self.intern(ext) {
                    entries += 1;
                    self.entries.push(Entry {
                        ext: ext.0,
                        ext_len: ext.1,
                        mime: mime.0,
                        mime_len: mime.1,
                    });
                }
            }
        }
        // Stable: of two lines naming an extension, the first stays first.
        let pool = &self.pool;
        self.entries
            .sort_by(|a, b| slice(pool, a.ext, a.ext_len).cmp(slice(pool, b.ext, b.ext_len)));
        self.entries
            .dedup_by(|b, a| slice(pool, a.ext, a.ext_len) == slice(pool, b.ext, b.ext_len));
        entries
    }

    /// Appends `word` to the pool: its start and length.
    fn intern(&mut self, word: &[u8]) -> Option<(u32, u16)> {
        let start = u32::try_from(self.pool.len()).ok()?;
        let len = u16::try_from(word.len()).ok()?;
        self.pool.extend_from_slice(word);
        Some((start, len))
    }

    /// The type of a file name, from the text after its last `.`.
    pub fn lookup(&self, name: &[u8]) -> Option<&str> {
        let dot = name.iter().rposition(|&b| b == b'.')?;
        let ext = &name[dot + 1..];
        let pool = &self.pool;
        let i = self
            .entries
            .binary_search_by(|e| slice(pool, e.ext, e.ext_len).cmp(ext))
            .ok()?;
        let e = self.entries[i];
        std::str::from_utf8(slice(pool, e.mime, e.mime_len)).ok()
    }
}

fn slice(pool: &[u8], start: u32, len: u16) -> &[u8] {
    let start = start as usize;
    pool.get(start..start + usize::from(len))
        .unwrap_or_default()
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
    fn an_earlier_table_wins() {
        let mut t = MimeTable::default();
        t.add(b"text/first a b\n");
        t.add(b"text/second b c\n");
        assert_eq!(t.lookup(b"x.a"), Some("text/first"));
        assert_eq!(t.lookup(b"x.b"), Some("text/first"));
        assert_eq!(t.lookup(b"x.c"), Some("text/second"));
    }

    #[test]
    fn a_missing_table_is_a_note_not_a_failure() {
        let (t, notes) = MimeTable::load(&["/nonexistent/mime.types"]);
        assert_eq!(t.lookup(b"a.html"), None);
        assert!(notes[0].contains("/nonexistent/mime.types"), "{notes:?}");
    }
}
