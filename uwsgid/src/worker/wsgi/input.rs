//! `wsgi.input`: the request body as a file-like object that streams
//! (`read`, `readline`, `readlines`, iteration). Every wait for the client
//! happens without the GIL; reading past the end returns `b""`.

use std::io;
use std::sync::{Mutex, MutexGuard};

use bytes::{Buf, Bytes, BytesMut};
use pyo3::exceptions::{PyOSError, PyTimeoutError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tokio::runtime::Handle;

use crate::worker::fronts::body::{BodyFault, BodySource};

/// The body and what has been read of it but not consumed.
struct Reader {
    src: BodySource,
    rt: Handle,
    buf: Bytes,
    eof: bool,
    /// The client's fault found while reading (bad framing, cut short,
    /// `limit-post`): every later read fails too, and the call answers
    /// with its status instead of the app's response (`call.rs`).
    fault: Option<(BodyFault, String)>,
}

impl Reader {
    /// Makes `buf` non-empty unless the body is over. Blocks: no GIL.
    fn fill(&mut self) -> io::Result<bool> {
        if !self.buf.is_empty() {
            return Ok(true);
        }
        if let Some((_, message)) = &self.fault {
            return Err(io::Error::new(io::ErrorKind::InvalidData, message.clone()));
        }
        if self.eof {
            return Ok(false);
        }
        match self.src.next_blocking(&self.rt) {
            Ok(Some(chunk)) => self.buf = chunk,
            Ok(None) => self.eof = true,
            Err(err) => {
                if let Some(fault) = BodyFault::of(&err) {
                    self.fault = Some((fault, err.to_string()));
                }
                return Err(err);
            }
        }
        Ok(!self.eof)
    }

    /// How many bytes are left to read, when that is known exactly.
    fn exact_left(&self) -> Option<u64> {
        if self.fault.is_some() {
            return None;
        }
        if self.eof {
            return Some(self.buf.len() as u64);
        }
        Some(self.buf.len() as u64 + self.src.exact_left()?)
    }

    /// Fills `dst` completely from the body. Blocks: no GIL.
    fn fill_exact(&mut self, dst: &mut [u8]) -> io::Result<()> {
        let mut at = 0;
        while at < dst.len() {
            if !self.fill()? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the request body ended before its length",
                ));
            }
            let n = (dst.len() - at).min(self.buf.len());
            dst[at..at + n].copy_from_slice(&self.buf[..n]);
            self.buf.advance(n);
            at += n;
        }
        Ok(())
    }
}

fn io_err(e: io::Error) -> PyErr {
    match e.kind() {
        io::ErrorKind::TimedOut => PyTimeoutError::new_err(e.to_string()),
        _ => PyOSError::new_err(e.to_string()),
    }
}

/// `wsgi.input`.
#[pyclass(module = "uwsgid", frozen)]
pub struct Input {
    // A mutex, not `&mut self`, so a read can wait without the GIL while
    // the object stays usable (and `Sync`, as pyclasses must be).
    inner: Mutex<Reader>,
}

impl Input {
    pub fn new(src: BodySource, rt: Handle) -> Self {
        Input {
            inner: Mutex::new(Reader {
                src,
                rt,
                buf: Bytes::new(),
                eof: false,
                fault: None,
            }),
        }
    }

    /// Ends the body for good once the call is over and returns what is
    /// left of its source, so the connection (hyper's body, or the socket's
    /// read half) is let go even if the app keeps a reference to
    /// `wsgi.input`.
    pub fn release(&self) -> BodySource {
        let mut r = self.lock();
        r.buf = Bytes::new();
        r.eof = true;
        std::mem::replace(&mut r.src, BodySource::Empty)
    }

    /// The client's fault the app ran into reading the body, and its
    /// description, if any.
    pub fn fault(&self) -> Option<(BodyFault, String)> {
        self.lock().fault.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Reader> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fills the buffer without the GIL.
    fn fill(py: Python<'_>, r: &mut Reader) -> PyResult<bool> {
        if !r.buf.is_empty() {
            return Ok(true);
        }
        py.detach(|| r.fill()).map_err(io_err)
    }

    /// Reads up to `limit` bytes (all of the body if `None`).
    fn read_bytes(&self, py: Python<'_>, limit: Option<usize>) -> PyResult<Vec<u8>> {
        let mut guard = self.lock();
        let r = &mut *guard;
        let mut out = Vec::new();
        loop {
            let want = limit.map_or(usize::MAX, |l| l - out.len());
            if want == 0 || !Self::fill(py, r)? {
                return Ok(out);
            }
            let n = want.min(r.buf.len());
            out.extend_from_slice(&r.buf.split_to(n));
        }
    }

    /// Reads through the next newline, at most `limit` bytes.
    fn read_line(&self, py: Python<'_>, limit: Option<usize>) -> PyResult<Vec<u8>> {
        let mut guard = self.lock();
        let r = &mut *guard;
        let mut out = BytesMut::new();
        loop {
            let want = limit.map_or(usize::MAX, |l| l - out.len());
            if want == 0 || !Self::fill(py, r)? {
                return Ok(out.to_vec());
            }
            let avail = want.min(r.buf.len());
            match r.buf[..avail].iter().position(|&b| b == b'\n') {
                Some(i) => {
                    out.extend_from_slice(&r.buf.split_to(i + 1));
                    return Ok(out.to_vec());
                }
                None => out.extend_from_slice(&r.buf.split_to(avail)),
            }
        }
    }
}

/// A negative or absent size means "no limit".
fn limit(size: Option<isize>) -> Option<usize> {
    size.and_then(|s| usize::try_from(s).ok())
}

#[pymethods]
impl Input {
    #[pyo3(signature = (size = None))]
    fn read<'py>(&self, py: Python<'py>, size: Option<isize>) -> PyResult<Bound<'py, PyBytes>> {
        let mut r = self.lock();
        // A single buffered chunk that satisfies the read is copied once.
        if let Some(n) = limit(size)
            && r.buf.len() >= n
        {
            let chunk = r.buf.split_to(n);
            return Ok(PyBytes::new(py, &chunk));
        }
        if let Some(left) = r.exact_left() {
            // The size is known: one bytes object, filled in place, so the
            // body is copied once, from the socket's buffer to Python.
            let want = limit(size).map_or(left, |l| left.min(l as u64));
            let want = usize::try_from(want).map_err(|_| PyOSError::new_err("body too large"))?;
            let reader = &mut *r;
            return PyBytes::new_with(py, want, |dst| {
                py.detach(|| reader.fill_exact(dst)).map_err(io_err)
            });
        }
        drop(r);
        let data = self.read_bytes(py, limit(size))?;
        Ok(PyBytes::new(py, &data))
    }

    #[pyo3(signature = (size = None))]
    fn readline<'py>(&self, py: Python<'py>, size: Option<isize>) -> PyResult<Bound<'py, PyBytes>> {
        let line = self.read_line(py, limit(size))?;
        Ok(PyBytes::new(py, &line))
    }

    #[pyo3(signature = (hint = None))]
    fn readlines<'py>(
        &self,
        py: Python<'py>,
        hint: Option<isize>,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let hint = limit(hint).filter(|&h| h > 0);
        let mut lines = Vec::new();
        let mut total = 0;
        loop {
            let line = self.read_line(py, None)?;
            if line.is_empty() {
                return Ok(lines);
            }
            total += line.len();
            lines.push(PyBytes::new(py, &line));
            if hint.is_some_and(|h| total >= h) {
                return Ok(lines);
            }
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let line = self.read_line(py, None)?;
        Ok((!line.is_empty()).then(|| PyBytes::new(py, &line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `check` with a `wsgi.input` over `body`.
    fn with_input(
        body: &'static [u8],
        check: impl FnOnce(Python<'_>, &Bound<'_, Input>) -> PyResult<()>,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build();
        let Ok(rt) = rt else {
            panic!("no runtime");
        };
        Python::initialize();
        let result = Python::attach(|py| {
            let input = Bound::new(
                py,
                Input::new(
                    BodySource::Memory(Bytes::from_static(body)),
                    rt.handle().clone(),
                ),
            )?;
            check(py, &input)
        });
        if let Err(err) = result {
            panic!("{err}");
        }
    }

    fn bytes_of(v: &Bound<'_, PyAny>) -> Vec<u8> {
        v.extract::<Vec<u8>>().unwrap_or_default()
    }

    #[test]
    fn read_sizes_and_past_the_end() {
        with_input(b"hello world", |_, input| {
            assert_eq!(bytes_of(&input.call_method1("read", (5,))?), b"hello");
            assert_eq!(bytes_of(&input.call_method1("read", (0,))?), b"");
            assert_eq!(bytes_of(&input.call_method0("read")?), b" world");
            assert_eq!(bytes_of(&input.call_method0("read")?), b"");
            assert_eq!(bytes_of(&input.call_method1("read", (10,))?), b"");
            Ok(())
        });
    }

    #[test]
    fn readline_readlines_and_iteration() {
        with_input(b"a\nbb\nccc\nlast", |_, input| {
            assert_eq!(bytes_of(&input.call_method0("readline")?), b"a\n");
            assert_eq!(bytes_of(&input.call_method1("readline", (1,))?), b"b");
            assert_eq!(bytes_of(&input.call_method1("readline", (-1,))?), b"b\n");
            let lines: Vec<Vec<u8>> = input.call_method0("readlines")?.extract()?;
            assert_eq!(lines, vec![b"ccc\n".to_vec(), b"last".to_vec()]);
            assert_eq!(bytes_of(&input.call_method0("readline")?), b"");
            Ok(())
        });
        with_input(b"1\n2\n3", |_, input| {
            let lines: Vec<Vec<u8>> = input
                .try_iter()?
                .map(|l| l.map(|l| bytes_of(&l)))
                .collect::<PyResult<_>>()?;
            assert_eq!(lines, vec![b"1\n".to_vec(), b"2\n".to_vec(), b"3".to_vec()]);
            Ok(())
        });
        with_input(b"x\ny\nz\n", |_, input| {
            let lines: Vec<Vec<u8>> = input.call_method1("readlines", (1,))?.extract()?;
            assert_eq!(
                lines,
                vec![b"x\n".to_vec()],
                "the hint stops after the first line"
            );
            Ok(())
        });
    }

    #[test]
    fn release_ends_the_body() {
        with_input(b"data", |_, input| {
            drop(input.get().release());
            assert_eq!(bytes_of(&input.call_method0("read")?), b"");
            Ok(())
        });
    }
}
