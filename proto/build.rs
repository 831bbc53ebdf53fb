//! Compiles `proto/uwsgid.proto` with protox (a pure-Rust protobuf
//! compiler), so a fresh machine builds with plain `cargo build` and no
//! `protoc` binary.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/uwsgid.proto");
    let fds = protox::compile(["uwsgid.proto"], ["proto"])?;
    // Serialize on every message: `uwsgictl --json` prints them as they are.
    tonic_prost_build::configure()
        .type_attribute(".", "#[derive(serde::Serialize)]")
        .compile_fds(fds)?;
    Ok(())
}
