//! The `Range` header (with `honour-range`), as uWSGI's
//! `uwsgi_parse_http_range` and `uwsgi_fix_range_for_size` read it: the
//! first range of a `bytes=` list only; `bytes=A-B`, `bytes=A-`,
//! `bytes=-N`; a range covering the whole file is answered 200.

/// What a `Range` header asks of a file of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// No (usable) range: the whole file, 200.
    Whole,
    /// Bytes `from..=to`, 206.
    Part { from: u64, to: u64 },
    /// Starts past the end: 416.
    Unsatisfiable,
}

/// A parsed header before the file's size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `A-B` or `A-` (`to` = `u64::MAX`).
    From { from: u64, to: u64 },
    /// `-N`: the last N bytes.
    Suffix(u64),
}

fn parse(header: &str) -> Option<Spec> {
    // uWSGI looks at the first range only.
    let first = header.split(',').next()?;
    let range = first.strip_prefix("bytes=")?;
    let (a, b) = range.split_once('-')?;
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if a.is_empty() {
        return num(b).filter(|&n| n > 0).map(Spec::Suffix);
    }
    let from = num(a)?;
    let to = if b.is_empty() { u64::MAX } else { num(b)? };
    (to >= from).then_some(Spec::From { from, to })
}

/// What `header` asks of a file of `size` bytes.
pub fn for_size(header: &str, size: u64) -> Ranged {
    let Some(spec) = parse(header) else {
        return Ranged::Whole;
    };
    let (from, to) = match spec {
        Spec::From { from, to } => (from, to.min(size.saturating_sub(1))),
        // A suffix longer than the file is the whole file.
        Spec::Suffix(n) => (size.saturating_sub(n), size.saturating_sub(1)),
    };
    if size == 0 || from >= size {
        Ranged::Unsatisfiable
    } else if from == 0 && to == size - 1 {
        Ranged::Whole
    } else {
        Ranged::Part { from, to }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_uwsgi_reads_them() {
        assert_eq!(for_size("bytes=0-3", 13), Ranged::Part { from: 0, to: 3 });
        assert_eq!(for_size("bytes=5-", 13), Ranged::Part { from: 5, to: 12 });
        assert_eq!(for_size("bytes=-4", 13), Ranged::Part { from: 9, to: 12 });
        assert_eq!(
            for_size("bytes=2-100", 13),
            Ranged::Part { from: 2, to: 12 }
        );
        assert_eq!(
            for_size("bytes=1-2,5-6", 13),
            Ranged::Part { from: 1, to: 2 }
        );
        // The whole file is a 200.
        assert_eq!(for_size("bytes=0-", 13), Ranged::Whole);
        assert_eq!(for_size("bytes=-100", 13), Ranged::Whole);
        assert_eq!(for_size("bytes=13-20", 13), Ranged::Unsatisfiable);
        assert_eq!(for_size("bytes=0-0", 0), Ranged::Unsatisfiable);
        // Not understood: ignored.
        for h in [
            "bytes=5-2",
            "items=0-3",
            "bytes=a-b",
            "bytes=",
            "bytes=-0",
            "0-3",
        ] {
            assert_eq!(for_size(h, 13), Ranged::Whole, "{h}");
        }
    }
}
