//! Compiles the schema with protox (pure Rust), so no `protoc` is needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "loyalty/v1/events.proto",
        "loyalty/v1/commands.proto",
        "loyalty/v1/snapshots.proto",
        "loyalty/v1/history.proto",
    ];
    println!("cargo:rerun-if-changed=loyalty");
    let descriptors = protox::compile(files, ["."])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
