//! GET of a multipart object (64 MiB in 8 MiB parts), whole and ranged (1 MiB across a part
//! boundary), both stores.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use multipart_harness::bench::lean::LeanClient;
use multipart_harness::bench::matrix::Store;

const SIZE: u64 = 64 << 20;
const PART: u64 = 8 << 20;

fn get(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    for store in [Store::Memory, Store::Disk] {
        let mut builder = mock_server::MockServer::builder();
        if store == Store::Memory {
            builder = builder.memory();
        }
        let server = builder.start_blocking().expect("mock server");
        server.create_bucket("bench").expect("bucket");
        let client = LeanClient::new(server.endpoint()).expect("client");
        rt.block_on(client.upload_object("bench", "obj", SIZE, PART, 4))
            .expect("upload");
        let name = format!("get_{store:?}").to_lowercase();
        let mut group = c.benchmark_group(&name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        group.throughput(Throughput::Bytes(SIZE));
        group.bench_function("whole_64MiB", |b| {
            b.to_async(&rt).iter(|| async {
                let n = client.get("bench", "obj", None).await.expect("get");
                assert_eq!(n, SIZE);
            })
        });
        let (a, z) = (PART - (512 << 10), PART + (512 << 10) - 1);
        group.throughput(Throughput::Bytes(z - a + 1));
        group.bench_function("range_1MiB_across_parts", |b| {
            b.to_async(&rt).iter(|| async {
                let n = client.get("bench", "obj", Some((a, z))).await.expect("get");
                assert_eq!(n, z - a + 1);
            })
        });
        group.finish();
    }
}

criterion_group!(benches, get);
criterion_main!(benches);
