//! `mpu`: the multipart-harness command line (see `multipart_harness::cli`).

// The same allocator as the standalone mock-server: `mpu run` and `mpu bench` embed the mock,
// and glibc's arenas keep memory freed by its deletes (see `mock_server::alloc`).
mock_server::jemalloc_global_allocator!();

fn main() -> std::process::ExitCode {
    multipart_harness::cli::main()
}
