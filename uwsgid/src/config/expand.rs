//! The three expansion passes uWSGI runs over every option value once all
//! sources are read (`uwsgi_apply_config_pass`): `$(VAR)` from the
//! environment, then `@(file)` contents, then `%(name)` placeholders —
//! options already applied while reading (immediate ones) are skipped.
//!
//! Like uWSGI, a reference whose lookup fails stays literally in the value
//! (`$(UNSET)`, `%(addr)` in a `log-format`), parentheses nest, and after
//! each replacement the value is scanned again from the start, so a
//! placeholder whose value holds another placeholder is expanded too. A
//! self-referencing placeholder would loop forever in uWSGI; uwsgid stops
//! after [`MAX_EXPANSIONS`] replacements, or once the value would grow past
//! [`MAX_EXPANDED_LEN`] bytes, with a warning. The length bound matters as
//! much as the count: without it, options that each refer to a
//! self-referencing one multiply its growth (256 copies of 256 copies …),
//! and resolving a few lines of ini took minutes and gigabytes.

use super::context::Context;
use super::raw::{RawOption, Warning};
use std::collections::BTreeSet;

/// Replacements per value and pass before uwsgid gives up (a loop).
pub const MAX_EXPANSIONS: usize = 256;

/// The longest value an expansion may produce (far above any real option).
pub const MAX_EXPANDED_LEN: usize = 64 * 1024;

/// Finds the next `sym(...)` at or after `from`: (start of `sym`, start of the
/// key, index of the closing parenthesis). Empty keys are skipped.
fn next_ref(s: &str, sym: u8, from: usize) -> Option<(usize, usize, usize)> {
    let b = s.as_bytes();
    let mut i = from;
    while i + 1 < b.len() {
        if b[i] == sym && b[i + 1] == b'(' {
            let key = i + 2;
            let mut depth = 0usize;
            let mut j = key;
            while j < b.len() {
                match b[j] {
                    b'(' => depth += 1,
                    b')' if depth > 0 => depth -= 1,
                    b')' => break,
                    _ => {}
                }
                j += 1;
            }
            if j >= b.len() {
                return None;
            }
            if j > key {
                return Some((i, key, j));
            }
            i = j;
        }
        i += 1;
    }
    None
}

/// One pass over one value. Returns the new value and whether it stopped at
/// the loop limits (count or length).
pub fn expand_value(
    value: &str,
    sym: u8,
    hook: &mut dyn FnMut(&str) -> Option<String>,
) -> (String, bool) {
    let mut s = value.to_string();
    let mut from = 0;
    let mut count = 0;
    while let Some((start, key, end)) = next_ref(&s, sym, from) {
        match hook(&s[key..end]) {
            Some(v) => {
                count += 1;
                let len = s.len() - (end + 1 - start) + v.len();
                if count > MAX_EXPANSIONS || len > MAX_EXPANDED_LEN {
                    return (s, true);
                }
                s = format!("{}{}{}", &s[..start], v, &s[end + 1..]);
                from = 0;
            }
            None => from = end + 1,
        }
    }
    (s, false)
}

/// `$(VAR)`, `$(VAR:-default)` (default when unset or empty) and
/// `$(VAR-default)` (default when unset).
pub fn env_lookup(ctx: &Context, key: &str) -> Option<String> {
    if let Some((name, default)) = key.split_once(":-") {
        return match ctx.getenv(name) {
            Some(v) if !v.is_empty() => Some(v.to_string()),
            _ => Some(default.to_string()),
        };
    }
    if let Some((name, default)) = key.split_once('-') {
        return Some(ctx.getenv(name).unwrap_or(default).to_string());
    }
    ctx.getenv(key).map(str::to_string)
}

/// `@(path)`: the file's content with one trailing `\n` or `\r` removed.
/// Only plain paths (relative to the cwd) are read; uWSGI's schemes
/// (`http://`, `exec://`, …) are not supported and stay literal.
pub fn file_lookup(ctx: &Context, key: &str) -> Result<String, String> {
    if key.contains("://") {
        return Err(format!(
            "@({key}): uwsgid reads plain files only, not uWSGI's schemes"
        ));
    }
    let bytes = std::fs::read(ctx.path(key)).map_err(|e| format!("@({key}): cannot read: {e}"))?;
    let mut s = String::from_utf8_lossy(&bytes).into_owned();
    if s.ends_with('\n') || s.ends_with('\r') {
        s.pop();
    }
    Ok(s)
}

/// The first exported option named `key` (options and placeholders alike,
/// defined before or after the one being expanded).
fn first_value<'a>(opts: &'a [RawOption], key: &str) -> Option<&'a str> {
    opts.iter().find(|o| o.key == key).map(|o| o.value.as_str())
}

/// C's `strtoll(s, NULL, 10)`: the leading number, 0 if none.
fn strtoll(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, d) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = d.bytes().take_while(u8::is_ascii_digit).fold(0i64, |a, c| {
        a.saturating_mul(10).saturating_add(i64::from(c - b'0'))
    });
    if neg { n.wrapping_neg() } else { n }
}

/// `%(name)`, or with spaces uWSGI's pipeline (`uwsgi_manage_placeholder`):
/// tokens are numbers, option names (missing → `""`) or the operators
/// `+ - * /` (applied to the next token), `++`/`--`; tokens without an
/// operator between them are concatenated. Division by zero gives 0.
pub fn placeholder(opts: &[RawOption], key: &str, used: &mut BTreeSet<String>) -> Option<String> {
    if !key.contains(' ') {
        used.insert(key.to_string());
        return first_value(opts, key).map(str::to_string);
    }
    #[derive(Clone, Copy)]
    enum Op {
        Concat,
        Sum,
        Sub,
        Mul,
        Div,
    }
    let mut op = Op::Concat;
    let mut cur: Option<String> = None;
    for tok in key.split(' ').filter(|t| !t.is_empty()) {
        let value = match tok {
            "+" => {
                op = Op::Sum;
                continue;
            }
            "-" => {
                op = Op::Sub;
                continue;
            }
            "*" => {
                op = Op::Mul;
                continue;
            }
            "/" => {
                op = Op::Div;
                continue;
            }
            "++" | "--" => {
                let delta = if tok == "++" { 1 } else { -1 };
                cur = cur.map(|c| strtoll(&c).wrapping_add(delta).to_string());
                op = Op::Concat;
                continue;
            }
            t if t.bytes().all(|c| c.is_ascii_digit()) => t.to_string(),
            t => {
                used.insert(t.to_string());
                first_value(opts, t).unwrap_or("").to_string()
            }
        };
        let (a, b) = (cur.as_deref().map_or(0, strtoll), strtoll(&value));
        cur = Some(match op {
            Op::Concat => format!("{}{}", cur.as_deref().unwrap_or(""), value),
            Op::Sum => a.wrapping_add(b).to_string(),
            Op::Sub => a.wrapping_sub(b).to_string(),
            Op::Mul => a.wrapping_mul(b).to_string(),
            Op::Div if b == 0 => "0".to_string(),
            Op::Div => a.wrapping_div(b).to_string(),
        });
        op = Op::Concat;
    }
    cur
}

/// Runs the `$`, `@` and `%` passes over every option not yet applied.
/// Returns the names looked up as placeholders.
pub fn expand_all(
    opts: &mut [RawOption],
    ctx: &Context,
    warnings: &mut Vec<Warning>,
) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for o in opts.iter_mut().filter(|o| !o.configured) {
        let (v, looped) = expand_value(&o.value, b'$', &mut |k| env_lookup(ctx, k));
        warn_loop(looped, o, "$", warnings);
        o.value = v;
    }
    for o in opts.iter_mut().filter(|o| !o.configured) {
        let mut errs = Vec::new();
        let (v, looped) = expand_value(&o.value, b'@', &mut |k| {
            file_lookup(ctx, k).map_err(|e| errs.push(e)).ok()
        });
        for e in errs {
            warnings.push(Warning(format!(
                "{}: option '{}': {e}; left as written",
                o.origin, o.key
            )));
        }
        warn_loop(looped, o, "@", warnings);
        o.value = v;
    }
    // The `%` pass reads the other options while rewriting one, hence indices.
    for i in 0..opts.len() {
        if opts[i].configured {
            continue;
        }
        let (v, looped) = expand_value(&opts[i].value, b'%', &mut |k| {
            placeholder(opts, k, &mut used)
        });
        warn_loop(looped, &opts[i], "%", warnings);
        opts[i].value = v;
    }
    used
}

fn warn_loop(looped: bool, o: &RawOption, sym: &str, warnings: &mut Vec<Warning>) {
    if looped {
        warnings.push(Warning(format!(
            "{}: option '{}': {sym}() expansion stopped after {MAX_EXPANSIONS} replacements or at {MAX_EXPANDED_LEN} bytes (a placeholder refers to itself?)",
            o.origin, o.key
        )));
    }
}

/// Every name written as `%(name)` (or as a pipeline token) in any value,
/// expanded or not: such keys are placeholders, not typos.
pub fn referenced_names(opts: &[RawOption]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for o in opts {
        let mut from = 0;
        while let Some((_, key, end)) = next_ref(&o.value, b'%', from) {
            names.extend(
                o.value[key..end]
                    .split(' ')
                    .filter(|t| !t.is_empty())
                    .map(str::to_string),
            );
            from = key;
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::Origin;

    fn opts(pairs: &[(&str, &str)]) -> Vec<RawOption> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (k, v))| RawOption::new(*k, *v, Origin::Arg { index: i + 1 }))
            .collect()
    }

    fn expand(pairs: &[(&str, &str)]) -> (Vec<String>, Vec<Warning>) {
        let mut o = opts(pairs);
        let mut w = Vec::new();
        expand_all(&mut o, &Context::default(), &mut w);
        (o.into_iter().map(|o| o.value).collect(), w)
    }

    #[test]
    fn nested_and_chained_placeholders() {
        let (v, _) = expand(&[
            ("a", "%(b)-%(c)"),
            ("b", "%(c)"),
            ("c", "x"),
            ("d", "%((a))"),
            ("e", "%()"),
        ]);
        assert_eq!(v, ["x-x", "x", "x", "%((a))", "%()"]);
    }

    #[test]
    fn self_reference_stops_with_a_warning() {
        let (v, w) = expand(&[("a", "%(a)")]);
        assert_eq!(v, ["%(a)"]);
        assert_eq!(w.len(), 1);
        assert!(w[0].0.contains("stopped after 256 replacements"), "{w:?}");
    }

    #[test]
    fn immediate_options_are_left_alone() {
        let mut o = opts(&[("ini", "%(b).ini"), ("b", "x")]);
        o[0].configured = true;
        let mut w = Vec::new();
        expand_all(&mut o, &Context::default(), &mut w);
        assert_eq!(o[0].value, "%(b).ini");
    }

    #[test]
    fn referenced_names_include_pipeline_tokens() {
        let names = referenced_names(&opts(&[("x", "%(a) %(b + c) %(")]));
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["+", "a", "b", "c"]);
    }

    /// Found by the `ini` fuzz target: options referring to a
    /// self-referencing one, in a chain, multiplied its growth.
    #[test]
    fn chained_self_references_stop_at_the_length_bound() {
        let mut o = opts(&[
            ("www", "x%(www)/a-long-enough-path-segment"),
            ("base", "%(www)/%(www)"),
            ("lib", "%(base)%(base)"),
            ("chdir", "%(lib)%(lib)"),
        ]);
        let mut w = Vec::new();
        let started = std::time::Instant::now();
        expand_all(&mut o, &Context::default(), &mut w);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(o.iter().all(|o| o.value.len() <= MAX_EXPANDED_LEN));
        assert_eq!(w.len(), 4, "each option is warned about: {w:?}");
        assert!(w[0].0.contains("stopped after"), "{w:?}");
    }

    #[test]
    fn unclosed_references_stay() {
        assert_eq!(
            expand_value("$(HOME", b'$', &mut |_| Some("x".into())).0,
            "$(HOME"
        );
        assert_eq!(
            expand_value("a$(X)b$(Y)", b'$', &mut |k| (k == "Y").then(|| "y".into())).0,
            "a$(X)by"
        );
    }
}
