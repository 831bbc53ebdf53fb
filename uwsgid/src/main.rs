//! The `uwsgid` binary: a thin entry point over the library.

fn main() -> std::process::ExitCode {
    uwsgid::cli::main()
}
