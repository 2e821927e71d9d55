//! Request rate of small parts: 1 KiB UploadParts at concurrency 16 with the lean client
//! (pre-built bodies), both stores. One iteration = 1,024 parts into one upload.

use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures_util::stream::{self, StreamExt};
use multipart_harness::bench::lean::LeanClient;
use multipart_harness::bench::matrix::Store;

const PARTS: u32 = 1024;
const CONCURRENCY: usize = 16;

fn small_parts(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut group = c.benchmark_group("upload_part_1KiB_c16");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(PARTS as u64));
    for store in [Store::Memory, Store::Disk] {
        let mut builder = mock_server::MockServer::builder().min_part_size(1);
        if store == Store::Memory {
            builder = builder.memory();
        }
        let server = builder.start_blocking().expect("mock server");
        server.create_bucket("bench").expect("bucket");
        let client = LeanClient::new(server.endpoint()).expect("client");
        let upload_id = rt
            .block_on(client.create("bench", "small"))
            .expect("create");
        let body = Bytes::from(vec![7u8; 1024]);
        group.bench_function(format!("{store:?}").to_lowercase(), |b| {
            b.to_async(&rt).iter(|| async {
                let ok = stream::iter(1..=PARTS)
                    .map(|n| client.upload_part("bench", "small", &upload_id, n, body.clone()))
                    .buffer_unordered(CONCURRENCY)
                    .filter(|r| std::future::ready(r.is_ok()))
                    .count()
                    .await;
                assert_eq!(ok, PARTS as usize, "every part must be accepted");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, small_parts);
criterion_main!(benches);
