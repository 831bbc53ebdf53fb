//! What a scan of a spooler directory finds, in the order uWSGI runs it:
//! directory order by default; with `spooler-ordered`, names in version
//! order (glibc's `versionsort`), where priority subdirectories (names
//! that are numbers) come before the tasks and are run lowest first. As
//! in uWSGI, a priority subdirectory is only looked into with
//! `spooler-ordered`.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::write::TASK_PREFIX;

/// One scan's findings.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Candidate task files, in run order.
    pub tasks: Vec<PathBuf>,
    /// Priority subdirectories seen (watched for new tasks).
    pub priority_dirs: Vec<PathBuf>,
}

/// Lists `dir`. An unreadable directory is logged by the caller; here it
/// is an empty scan.
pub fn scan(dir: &Path, ordered: bool) -> std::io::Result<Scan> {
    let mut out = Scan::default();
    scan_into(dir, ordered, &mut out)?;
    Ok(out)
}

fn scan_into(dir: &Path, ordered: bool, out: &mut Scan) -> std::io::Result<()> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(TASK_PREFIX) || (ordered && is_number(n)))
        .collect();
    if ordered {
        names.sort_by(|a, b| version_cmp(a, b));
    }
    for name in names {
        let path = dir.join(&name);
        if ordered && is_number(&name) && path.is_dir() {
            out.priority_dirs.push(path.clone());
            // A priority directory that vanished meanwhile is no error.
            let _ = scan_into(&path, ordered, out);
        } else {
            out.tasks.push(path);
        }
    }
    Ok(())
}

/// uWSGI's `is_a_number`: digits only.
fn is_number(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// Version order: runs of digits compare as numbers, the rest bytewise.
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (na, ra) = split_digits(a);
                let (nb, rb) = split_digits(b);
                let order = numeric_cmp(na, nb);
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    s.split_at(n)
}

fn numeric_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let trim = |s: &[u8]| -> usize { s.iter().take_while(|&&d| d == b'0').count() };
    let (a, b) = (&a[trim(a)..], &b[trim(b)..]);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_numbers() {
        assert_eq!(version_cmp("2", "10"), Ordering::Less);
        assert_eq!(version_cmp("a_9_x", "a_10_x"), Ordering::Less);
        assert_eq!(version_cmp("5", "uwsgi_spoolfile_on_x"), Ordering::Less);
        assert_eq!(version_cmp("abc", "abc"), Ordering::Equal);
    }

    #[test]
    fn ordered_scans_run_priorities_first_and_others_only_when_ordered() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        for sub in ["10", "2"] {
            std::fs::create_dir(root.join(sub)).expect("mkdir");
            std::fs::write(root.join(sub).join(format!("{TASK_PREFIX}p{sub}")), b"").expect("w");
        }
        std::fs::write(root.join(format!("{TASK_PREFIX}b")), b"").expect("w");
        std::fs::write(root.join("other"), b"").expect("w");
        let names = |s: &Scan| -> Vec<String> {
            s.tasks
                .iter()
                .map(|p| p.strip_prefix(root).expect("in").display().to_string())
                .collect()
        };
        let ordered = scan(root, true).expect("scan");
        let expected = [
            format!("2/{TASK_PREFIX}p2"),
            format!("10/{TASK_PREFIX}p10"),
            format!("{TASK_PREFIX}b"),
        ];
        assert_eq!(names(&ordered), expected);
        assert_eq!(ordered.priority_dirs, vec![root.join("2"), root.join("10")]);
        let plain = scan(root, false).expect("scan");
        assert_eq!(names(&plain), vec![format!("{TASK_PREFIX}b")]);
    }
}
