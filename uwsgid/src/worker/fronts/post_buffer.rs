//! `post-buffering = N`: the body is read completely before the app is
//! called (into memory up to N bytes, above that into a temporary file), so
//! a slow upload never holds a Python thread.

use std::fs::File;
use std::io::{self, Seek, Write};

use bytes::BytesMut;

use super::body::{BodyFault, BodySource};

/// Why a body could not be buffered: the client's side or the server's.
#[derive(Debug, thiserror::Error)]
pub enum BufferError {
    /// Reading the body failed (bad framing, cut short, `limit-post`, a
    /// timeout): see [`BufferError::status`].
    #[error("error reading the request body: {0}")]
    Read(io::Error),
    /// The temporary file could not be made or written (a full or missing
    /// temporary directory): the server's fault, never the client's.
    #[error("post-buffering: cannot store the request body in a temporary file: {0}")]
    Store(io::Error),
}

impl BufferError {
    /// The status that answers it: the body's fault (400, 413), 408 for a
    /// client too slow to send it (as nginx answers one), 500 when the
    /// server could not store it.
    pub fn status(&self) -> u16 {
        match self {
            BufferError::Read(e) if e.kind() == io::ErrorKind::TimedOut => 408,
            BufferError::Read(e) => BodyFault::of(e).map_or(400, BodyFault::status),
            BufferError::Store(_) => 500,
        }
    }
}

/// Reads `src` to its end, spilling to a temporary file (of `std::env::temp_dir`,
/// i.e. `TMPDIR`) above `limit` bytes. Returns the buffered body and its length.
pub async fn buffer(
    src: BodySource,
    limit: u64,
    declared: Option<u64>,
) -> Result<(BodySource, u64), BufferError> {
    buffer_with(src, limit, declared, tempfile::tempfile).await
}

/// [`buffer`] with the temporary file made by `spill`.
///
/// The temporary file is written with plain blocking writes: they land in
/// the page cache, which costs less than a hop to a blocking thread.
async fn buffer_with(
    mut src: BodySource,
    limit: u64,
    declared: Option<u64>,
    mut spill: impl FnMut() -> io::Result<File>,
) -> Result<(BodySource, u64), BufferError> {
    let mut file = match declared {
        Some(n) if n > limit => Some(spill().map_err(BufferError::Store)?),
        _ => None,
    };
    let mut mem = BytesMut::new();
    let mut total = 0u64;
    while let Some(chunk) = src.next_async().await.map_err(BufferError::Read)? {
        total += chunk.len() as u64;
        match file.as_mut() {
            Some(f) => f.write_all(&chunk).map_err(BufferError::Store)?,
            None => {
                mem.extend_from_slice(&chunk);
                if mem.len() as u64 > limit {
                    let mut f = spill().map_err(BufferError::Store)?;
                    f.write_all(&mem).map_err(BufferError::Store)?;
                    mem = BytesMut::new();
                    file = Some(f);
                }
            }
        }
    }
    let body = match file {
        Some(mut f) => {
            f.rewind().map_err(BufferError::Store)?;
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

    #[tokio::test]
    async fn a_full_disk_is_the_servers_fault() {
        // /dev/full fails every write with ENOSPC, as a full TMPDIR does.
        let full = || std::fs::OpenOptions::new().write(true).open("/dev/full");
        let src = BodySource::Memory(Bytes::from_static(b"0123456789"));
        let err = buffer_with(src, 4, None, full).await.err();
        let Some(err) = err else {
            panic!("writing to /dev/full succeeded");
        };
        assert!(matches!(err, BufferError::Store(_)), "{err:?}");
        assert_eq!(err.status(), 500);
        assert!(err.to_string().contains("No space left on device"), "{err}");
        let missing = || Err(io::Error::from(io::ErrorKind::NotFound));
        let src = BodySource::Memory(Bytes::from_static(b"0123456789"));
        let err = buffer_with(src, 100, Some(200), missing).await.err();
        assert_eq!(err.map(|e| e.status()), Some(500));
    }

    #[tokio::test]
    async fn a_cut_short_body_is_the_clients_fault() {
        let src = BodySource::Raw {
            prefix: Bytes::from_static(b"ab"),
            reader: Box::new(std::io::Cursor::new(&b"c"[..])),
            remaining: 10,
            timeout: std::time::Duration::from_secs(1),
        };
        let err = buffer(src, 100, Some(10)).await.err();
        assert!(matches!(err, Some(BufferError::Read(_))), "{err:?}");
        assert_eq!(err.map(|e| e.status()), Some(400));
    }
}
