//! The `uwsgictl` binary; everything is in the library.

fn main() -> std::process::ExitCode {
    uwsgictl::main()
}
