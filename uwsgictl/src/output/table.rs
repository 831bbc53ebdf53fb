//! Plain aligned tables: a header and rows, left-aligned columns two spaces
//! apart, no trailing blanks (so the output greps and diffs cleanly).

use std::io::{self, Write};

/// A table built row by row and written at once.
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    indent: usize,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            indent: 0,
        }
    }

    /// Spaces before every line (for a table nested under a heading).
    pub fn indent(mut self, spaces: usize) -> Table {
        self.indent = spaces;
        self
    }

    /// Adds a row; missing cells are blank, extra ones are dropped.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        widths
    }

    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let widths = self.widths();
        self.write_line(out, &self.header, &widths)?;
        for row in &self.rows {
            self.write_line(out, row, &widths)?;
        }
        Ok(())
    }

    fn write_line(
        &self,
        out: &mut dyn Write,
        cells: &[String],
        widths: &[usize],
    ) -> io::Result<()> {
        let mut line = " ".repeat(self.indent);
        for (i, width) in widths.iter().enumerate() {
            let cell = cells.get(i).map(String::as_str).unwrap_or("");
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        writeln!(out, "{}", line.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(table: &Table) -> String {
        let mut out = Vec::new();
        table.write(&mut out).expect("writes to memory");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn columns_align_on_the_widest_cell() {
        let mut t = Table::new(&["NAME", "STATE", "PID"]);
        t.push(vec!["mysite1".into(), "running".into(), "4242".into()]);
        t.push(vec!["a".into(), "failed".into(), "-".into()]);
        assert_eq!(
            render(&t),
            "NAME     STATE    PID\n\
             mysite1  running  4242\n\
             a        failed   -\n"
        );
    }

    #[test]
    fn width_counts_characters_not_bytes() {
        let mut t = Table::new(&["A", "B"]);
        t.push(vec!["é".into(), "x".into()]);
        assert_eq!(render(&t), "A  B\né  x\n");
    }

    #[test]
    fn an_indented_table_with_short_rows() {
        let mut t = Table::new(&["ID", "PID", "LAST-EXIT"]).indent(2);
        t.push(vec!["1".into()]);
        assert_eq!(render(&t), "  ID  PID  LAST-EXIT\n  1\n");
    }
}
