//! `post-buffering = N`: the body is read completely before the app is
//! called (into memory up to N bytes, above that into a temporary file), so
//! a slow upload never holds a Python thread.

use std::io::{self, Seek, Write};

use bytes::BytesMut;

use super::body::BodySource;

/// Reads `src` to its end. Returns the buffered body and its length.
///
/// The temporary file is written with plain blocking writes: they land in
/// the page cache, which costs less than a hop to a blocking thread.
pub async fn buffer(
    mut src: BodySource,
    limit: u64,
    declared: Option<u64>,
) -> io::Result<(BodySource, u64)> {
    let mut file = match declared {
        Some(n) if n > limit => Some(tempfile::tempfile()?),
        _ => None,
    };
    let mut mem = BytesMut::new();
    let mut total = 0u64;
    while let Some(chunk) = src.next_async().await? {
        total += chunk.len() as u64;
        match file.as_mut() {
            Some(f) => f.write_all(&chunk)?,
            None => {
                mem.extend_from_slice(&chunk);
                if mem.len() as u64 > limit {
                    let mut f = tempfile::tempfile()?;
                    f.write_all(&mem)?;
                    mem = BytesMut::new();
                    file = Some(f);
                }
            }
        }
    }
    let body = match file {
        Some(mut f) => {
            f.rewind()?;
            BodySource::File(f)
        }
        None if mem.is_empty() => BodySource::Empty,
        None => BodySource::Memory(mem.freeze()),
    };
    Ok((body, total))
}
