//! `wsgi.errors`: a text stream into the log (stderr), one `write(2)` per
//! call so lines of concurrent requests do not interleave.

use std::io::Write;

use pyo3::prelude::*;

/// `wsgi.errors`.
#[pyclass(module = "uwsgid", frozen)]
pub struct ErrorStream;

#[pymethods]
impl ErrorStream {
    fn write(&self, s: &str) -> usize {
        // A lost log line must not fail the request.
        let _ = std::io::stderr().lock().write_all(s.as_bytes());
        s.chars().count()
    }

    fn writelines(&self, lines: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut out = String::new();
        for line in lines.try_iter()? {
            out.push_str(&line?.extract::<String>()?);
        }
        self.write(&out);
        Ok(())
    }

    fn flush(&self) {}
}
