//! Compiles `proto/jaeger/api_v2/{model,collector}.proto` with protox (no
//! system protoc); the tonic service stubs are generated always and
//! compiled only with the `grpc` feature.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let files = [
        root.join("jaeger/api_v2/model.proto"),
        root.join("jaeger/api_v2/collector.proto"),
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&root])?;
    let grpc = std::env::var_os("CARGO_FEATURE_GRPC").is_some();
    tonic_prost_build::configure()
        .build_server(grpc)
        .build_client(grpc)
        .build_transport(false)
        .compile_fds(fds)?;
    Ok(())
}
