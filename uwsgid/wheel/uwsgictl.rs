//! `uwsgictl` built by the `uwsgid` package for its Python wheel only (the
//! `wheel` feature): maturin packs the binaries of one package, and the
//! operator's tool belongs in the venv's `bin/` beside `uwsgid`.

fn main() -> std::process::ExitCode {
    uwsgictl::main()
}
