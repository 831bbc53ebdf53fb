//! `uwsgidecorators`: uWSGI ships it as a file beside its Python module;
//! uwsgid embeds its own (`uwsgidecorators.py`) and serves it through a
//! finder at the end of `sys.meta_path`, so a `uwsgidecorators.py` on
//! `sys.path` (a vendored copy, or uWSGI's from a pip-installed `uwsgi`)
//! is still the one imported, as it would be under uWSGI.

use pyo3::prelude::*;
use pyo3::types::PyDict;

const SOURCE: &str = include_str!("uwsgidecorators.py");

/// The finder: a spec for `uwsgidecorators` whose module runs `SOURCE`.
const FINDER: &std::ffi::CStr = c"
import sys
from importlib.util import spec_from_loader

class UwsgidDecorators:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != 'uwsgidecorators':
            return None
        return spec_from_loader(name, cls, origin='uwsgid:uwsgidecorators.py')

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        exec(compile(SOURCE, 'uwsgidecorators.py', 'exec'), module.__dict__)

sys.meta_path.append(UwsgidDecorators)
";

/// Appends the finder to `sys.meta_path`.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let globals = PyDict::new(py);
    globals.set_item("SOURCE", SOURCE)?;
    py.run(FINDER, Some(&globals), None)
}
