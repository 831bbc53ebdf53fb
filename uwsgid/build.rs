//! pyo3 adds no rpath: without one the loader picks whatever libpython3.11 the
//! system has (Debian's, with its own prefix and dist-packages) instead of the
//! interpreter pyo3 was configured for. Embed the configured interpreter's
//! library directory as RUNPATH so the binary runs the Python it was built for.

fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
    pyo3_build_config::use_pyo3_cfgs();
}
