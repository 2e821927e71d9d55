//! Upload throughput of the reference uploader into the in-process mock over loopback:
//! part size {5, 8, 16, 64} MiB x concurrency {1, 4, 8, 16}, memory and disk stores.
//!
//! Object size per upload: `MPU_BENCH_SIZE` (default 128MiB, so `cargo bench` stays short on a
//! 2-core machine; try `MPU_BENCH_SIZE=1GiB` for real runs).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use multipart_harness::bench::data::write_test_file;
use multipart_harness::bench::matrix::{bench_credentials, Store};
use multipart_harness::cli::size::parse_size;
use multipart_harness::uploader::{Dialect, Uploader, UploaderConfig};

fn object_size() -> u64 {
    std::env::var("MPU_BENCH_SIZE")
        .ok()
        .and_then(|s| parse_size(&s).ok())
        .unwrap_or(128 << 20)
}

fn upload_matrix(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let size = object_size();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("object.bin");
    write_test_file(&file, size).expect("test file");
    for store in [Store::Memory, Store::Disk] {
        let mut builder = mock_server::MockServer::builder().min_part_size(1);
        if store == Store::Memory {
            builder = builder.memory();
        }
        let server = builder.start_blocking().expect("mock server");
        server.create_bucket("bench").expect("bucket");
        let mut group = c.benchmark_group(format!("upload_{store:?}").to_lowercase());
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Bytes(size));
        for part_mib in [5u64, 8, 16, 64] {
            for concurrency in [1usize, 4, 8, 16] {
                let part_size = part_mib << 20;
                let uploader = Uploader::new(UploaderConfig {
                    part_size: Some(part_size),
                    concurrency,
                    memory_budget: part_size * concurrency as u64,
                    ..UploaderConfig::new(server.endpoint(), Dialect::S3, bench_credentials())
                })
                .expect("uploader");
                group.bench_with_input(
                    BenchmarkId::new(format!("{part_mib}MiB"), concurrency),
                    &uploader,
                    |b, u| {
                        b.to_async(&rt).iter(|| async {
                            u.upload_file(&file, "bench", "matrix/object")
                                .await
                                .expect("upload")
                        })
                    },
                );
            }
        }
        group.finish();
    }
}

criterion_group!(benches, upload_matrix);
criterion_main!(benches);
