//! `log-format`, compiled once at start-up into a list of pieces (text and
//! [`Var`]s), so a request's line is one pass that writes into one buffer.
//!
//! The compiler is uWSGI's (`uwsgi_build_log_format`), state for state, so a
//! format means what it meant under uWSGI, including its oddities on
//! malformed input: `%()` stays text, and the text before an unterminated
//! `%(name` or an empty `%()` is written twice (uWSGI 2.0.31 does so).

use super::variables::{self, Facts, Var};

/// One piece of a compiled format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(Box<str>),
    Var(Var),
}

/// A compiled `log-format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    pieces: Vec<Piece>,
    /// The text length, a start for the line's capacity.
    text_len: usize,
}

impl LogFormat {
    /// Compiles `format` as uWSGI does; every string is a format.
    pub fn compile(format: &str) -> LogFormat {
        let mut pieces = Vec::new();
        let text = |from: usize, to: usize| Piece::Text(format.get(from..to).unwrap_or("").into());
        // 0: text, 1: after `%`, 2: after `%(`.
        let mut state = 0u8;
        let mut current = 0usize;
        let mut name_start: Option<usize> = None;
        for (i, byte) in format.bytes().enumerate() {
            match byte {
                b'%' if state == 0 => state = 1,
                b'%' => {}
                b'(' if state == 1 => state = 2,
                b'(' => {}
                b')' => {
                    if let Some(start) = name_start.take() {
                        let name = format.get(start..i).unwrap_or("");
                        pieces.push(Piece::Var(Var::from_name(name)));
                        state = 0;
                        current = i + 1;
                    }
                }
                _ => {
                    if state == 2 {
                        // The text up to the `%(` (uWSGI starts from
                        // `current` even if it was written before).
                        pieces.push(text(current, i.saturating_sub(2).max(current)));
                        name_start = Some(i);
                    }
                    state = 0;
                }
            }
        }
        if format.len() > current {
            pieces.push(text(current, format.len()));
        }
        pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
        let text_len = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Var(_) => 0,
            })
            .sum();
        LogFormat { pieces, text_len }
    }

    /// Whether a variable needs the worker's memory figures.
    pub fn needs_memory(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Var(v) if v.needs_memory()))
    }

    /// A capacity that fits most lines without growing.
    pub fn capacity(&self) -> usize {
        self.text_len + 16 * self.pieces.len() + 64
    }

    /// Appends the line for `facts` (without the newline).
    pub fn write(&self, out: &mut String, facts: &Facts<'_>) {
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => variables::write(out, v, facts),
            }
        }
    }

    #[cfg(test)]
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
