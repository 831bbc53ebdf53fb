//! `wsgi.file_wrapper`: serves a file-like object in blocks. When the
//! object is a real file (`fileno()` of a regular file and `tell()`), the
//! call reads it with `pread(2)` in large blocks without the GIL instead of
//! calling `read()` from Python.

use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::os::unix::fs::FileExt;

use bytes::BytesMut;
use pyo3::intern;
use pyo3::prelude::*;

use super::response::Responder;

/// `environ["wsgi.file_wrapper"](filelike, blksize=8192)`.
#[pyclass(module = "uwsgid")]
pub struct FileWrapper {
    filelike: Py<PyAny>,
    blksize: usize,
}

#[pymethods]
impl FileWrapper {
    #[new]
    #[pyo3(signature = (filelike, blksize = 8192))]
    fn new(filelike: Py<PyAny>, blksize: usize) -> Self {
        FileWrapper {
            filelike,
            blksize: blksize.max(1),
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let data = self
            .filelike
            .bind(py)
            .call_method1(intern!(py, "read"), (self.blksize,))?;
        Ok((data.len()? > 0).then_some(data))
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let filelike = self.filelike.bind(py);
        if let Some(close) = filelike.getattr_opt(intern!(py, "close"))? {
            close.call0()?;
        }
        Ok(())
    }
}

/// The descriptor and position of a wrapped real file, if it is one.
fn real_file(py: Python<'_>, wrapper: &FileWrapper) -> Option<(i32, u64)> {
    let filelike = wrapper.filelike.bind(py);
    let fd: i32 = filelike
        .call_method0(intern!(py, "fileno"))
        .ok()?
        .extract()
        .ok()?;
    let pos: u64 = filelike
        .call_method0(intern!(py, "tell"))
        .ok()?
        .extract()
        .ok()?;
    // SAFETY: the fd belongs to the Python file object, which outlives this
    // borrow; ManuallyDrop keeps it from being closed here.
    let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
    let meta = file.metadata().ok()?;
    meta.is_file().then_some((fd, pos))
}

/// How much of a real file one read takes: each read is one message to
/// the front, which holds at most `fronts::http::EVENTS` of them, so a
/// response in flight holds at most that many of these in memory.
const READ: usize = 256 * 1024;

/// Sends a wrapped real file as the body. `None` if `wrapper` does not
/// wrap one (iterate it instead); else whether the client is still there.
pub fn send_real_file(
    py: Python<'_>,
    wrapper: &Bound<'_, FileWrapper>,
    responder: &Bound<'_, Responder>,
) -> PyResult<Option<bool>> {
    let Some((fd, mut pos)) = real_file(py, &*wrapper.try_borrow()?) else {
        return Ok(None);
    };
    // Never send more than the Content-Length the app announced.
    let mut left = responder
        .try_borrow()?
        .head()
        .and_then(|h| {
            h.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        })
        .unwrap_or(u64::MAX);
    // SAFETY: as above; the wrapper (and so the file object) is alive for
    // the whole call, and the fd is only read here.
    let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
    loop {
        // Read into a buffer of its own that the front then sends: one copy.
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(READ);
        let mut buf = BytesMut::zeroed(want);
        let n = py.detach(|| file.read_at(&mut buf, pos))?;
        if n == 0 {
            return Ok(Some(true));
        }
        buf.truncate(n);
        pos += n as u64;
        left -= n as u64;
        if !responder.try_borrow_mut()?.send_chunk(py, buf.freeze())? {
            return Ok(Some(false));
        }
    }
}
