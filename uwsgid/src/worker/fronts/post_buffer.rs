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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    async fn drain(mut src: BodySource) -> Vec<u8> {
        let mut out = Vec::new();
        while let Ok(Some(chunk)) = src.next_async().await {
            out.extend_from_slice(&chunk);
        }
        out
    }

    #[tokio::test]
    async fn small_bodies_stay_in_memory() {
        let src = BodySource::Memory(Bytes::from_static(b"0123456789"));
        let (body, len) = buffer(src, 100, None)
            .await
            .unwrap_or((BodySource::Empty, 0));
        assert_eq!(len, 10);
        assert!(matches!(body, BodySource::Memory(_)), "{body:?}");
        assert_eq!(drain(body).await, b"0123456789");
    }

    #[tokio::test]
    async fn large_bodies_go_to_a_file_declared_or_not() {
        for declared in [None, Some(10)] {
            let src = BodySource::Memory(Bytes::from_static(b"0123456789"));
            let (body, len) = buffer(src, 4, declared)
                .await
                .unwrap_or((BodySource::Empty, 0));
            assert_eq!(len, 10);
            assert!(matches!(body, BodySource::File(_)), "{body:?}");
            assert_eq!(drain(body).await, b"0123456789");
        }
    }
}
