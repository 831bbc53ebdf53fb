//! pyo3 adds no rpath: without one the loader picks whatever libpython3.11 the
//! system has (Debian's, with its own prefix and dist-packages) instead of the
//! interpreter pyo3 was configured for. Embed the configured interpreter's
//! library directory as RUNPATH so the binary runs the Python it was built for.
//!
//! The interpreter's path is also handed to the crate as `PYO3_PYTHON` (what
//! the worker names as program and `sys.executable` when no venv is in use),
//! also when pyo3 found it itself through a venv or `python3` on PATH.
//!
//! A free-threaded CPython is refused here, with the reason, rather than built
//! into a server nobody has tested on it (pyo3 0.30 itself already refuses
//! 3.13t; this stops 3.14t and later).

fn main() {
    let config = pyo3_build_config::get();
    if config.is_free_threaded() {
        panic!(
            "uwsgid embeds a GIL-enabled CPython 3.9-3.13; {} is a free-threaded build, \
             which uwsgid does not support: its workers (a zygote that forks under \
             CPython's fork locks, Python threads that take turns on the GIL) are built and \
             tested on the GIL. Build with a regular CPython (PYO3_PYTHON=/path/to/python3.13).",
            config.executable().unwrap_or("the interpreter")
        );
    }
    if let Some(python) = config.executable() {
        println!("cargo:rustc-env=PYO3_PYTHON={python}");
    }
    pyo3_build_config::add_libpython_rpath_link_args();
    pyo3_build_config::use_pyo3_cfgs();
}
