//! `mpu`: the multipart-harness command line (see `multipart_harness::cli`).

fn main() -> std::process::ExitCode {
    multipart_harness::cli::main()
}
