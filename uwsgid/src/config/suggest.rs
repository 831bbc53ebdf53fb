//! "Did you mean …?" for unknown keys: the nearest option name by edit
//! distance, `_` spelled for `-` (uWSGI does not normalise it), and uWSGI's
//! one-letter command-line flags written as ini keys.

use super::options;
use super::uwsgi_names;

/// The option `name` was most likely meant to be, if one is close enough.
pub fn nearest(name: &str) -> Option<String> {
    let dashed = name.replace('_', "-");
    if dashed != name && options::is_option(&dashed) {
        return Some(dashed);
    }
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return options::short(c).map(str::to_string);
    }
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let candidates = options::specs()
        .flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()))
        .chain(uwsgi_names::all());
    // Options uwsgid implements come first, so they win ties.
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(&dashed, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Optimal-string-alignment distance (Levenshtein plus transpositions).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(nearest("proccesses").as_deref(), Some("processes"));
        assert_eq!(nearest("max_requests").as_deref(), Some("max-requests"));
        assert_eq!(nearest("socker").as_deref(), Some("socket"));
        assert_eq!(nearest("b").as_deref(), Some("buffer-size"));
        assert_eq!(nearest("harakri").as_deref(), Some("harakiri"));
        assert_eq!(nearest("project"), None);
        assert_eq!(nearest("zzzzzzzzzzzz"), None);
    }
}
