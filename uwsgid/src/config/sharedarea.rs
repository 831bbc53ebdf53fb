//! `sharedarea`: uWSGI's shared memory areas, parsed as uWSGI 2.0.31's
//! `uwsgi_sharedareas_init` does: `sharedarea = N` is N pages;
//! `sharedarea = pages=N` or `size=BYTES` (decimal or `0x` hex, rounded up
//! to pages) the keyval form. Areas over a file, a descriptor or a pointer
//! (`file=`, `fd=`, `ptr=`, `offset=`) are refused.

use serde::{Deserialize, Serialize};

/// One area, `sharedarea` id = its place in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedAreaSpec {
    pub pages: u64,
}

/// The page size areas are counted in (uWSGI's `uwsgi.page_size`).
pub const PAGE: u64 = 4096;

/// Parses one `sharedarea` value.
pub fn parse(value: &str) -> Result<SharedAreaSpec, String> {
    let pages = if value.contains('=') {
        keyval(value)?
    } else {
        value.trim().parse::<u64>().map_err(|_| {
            format!("expected a number of pages, or pages=N / size=BYTES, not {value:?}")
        })?
    };
    if pages == 0 {
        return Err("a sharedarea needs at least one page".to_owned());
    }
    Ok(SharedAreaSpec { pages })
}

fn keyval(value: &str) -> Result<u64, String> {
    let mut pages = None;
    let mut size = None;
    for item in value.split(',').filter(|i| !i.is_empty()) {
        let Some((key, v)) = item.split_once('=') else {
            return Err("invalid sharedarea keyval syntax".to_owned());
        };
        match key {
            "pages" => {
                pages = Some(
                    v.parse::<u64>()
                        .map_err(|_| format!("pages={v}: not a number"))?,
                )
            }
            "size" => size = Some(number(v).ok_or_else(|| format!("size={v}: not a number"))?),
            "file" | "fd" | "ptr" | "offset" => {
                return Err(format!(
                    "{key}=: a sharedarea over a file, a descriptor or a pointer is not supported"
                ));
            }
            _ => {
                return Err(format!(
                    "invalid sharedarea keyval syntax (unknown key {key:?})"
                ));
            }
        }
    }
    // uWSGI: `pages` wins over `size`.
    pages
        .or(size.map(|bytes| bytes.div_ceil(PAGE)))
        .ok_or_else(|| "a sharedarea needs pages=N or size=BYTES".to_owned())
}

fn number(v: &str) -> Option<u64> {
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_sizes_as_uwsgi_reads_them() {
        assert_eq!(parse("3"), Ok(SharedAreaSpec { pages: 3 }));
        assert_eq!(parse("pages=2"), Ok(SharedAreaSpec { pages: 2 }));
        assert_eq!(parse("size=100"), Ok(SharedAreaSpec { pages: 1 }));
        assert_eq!(parse("size=0x2001"), Ok(SharedAreaSpec { pages: 3 }));
        assert_eq!(parse("size=8192,pages=5"), Ok(SharedAreaSpec { pages: 5 }));
        assert!(parse("0").is_err());
        assert!(
            parse("file=/tmp/x,size=10")
                .expect_err("refused")
                .contains("not supported")
        );
        assert!(parse("colour=red").is_err());
        assert!(parse("many").is_err());
    }
}
