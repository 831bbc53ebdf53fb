//! `paste = config:FILE` (PasteDeploy), as uWSGI's `uwsgi_paste_loader`:
//! `Loading paste environment: VALUE`, then with `paste-logger` the
//! file's logging sections (`logging.config.fileConfig`), then
//! `paste.deploy.loadapp(VALUE)` is the app.

use pyo3::prelude::*;

use crate::log::log_line;

/// Loads the app `value` names.
pub fn load<'py>(py: Python<'py>, value: &str, logger: bool) -> PyResult<Bound<'py, PyAny>> {
    log_line!("Loading paste environment: {value}");
    if logger {
        // uWSGI passes what follows the 7 bytes of `config:`.
        let file = value.get(7..).unwrap_or_default();
        py.import("logging.config")?
            .getattr("fileConfig")?
            .call1((file,))?;
    }
    py.import("paste.deploy")?
        .getattr("loadapp")?
        .call1((value,))
}
