//! CompleteMultipartUpload latency for 100, 1,000 and 10,000 parts (disk store; parts of 1 KiB
//! with the minimum part size lowered: completing only touches metadata, never part data, so
//! the part size does not change its cost). Only the complete request is timed. Every upload
//! goes to a new key: completing over an existing object would also time the deletion of the
//! replaced object's part blobs (one unlink per part on the disk store).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use multipart_harness::bench::lean::LeanClient;

fn complete(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let server = mock_server::MockServer::builder()
        .min_part_size(1)
        .start_blocking()
        .expect("mock server");
    server.create_bucket("bench").expect("bucket");
    let client = LeanClient::new(server.endpoint()).expect("client");
    let body = Bytes::from(vec![7u8; 1024]);
    let next_key = AtomicU64::new(0);
    let mut group = c.benchmark_group("complete");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(500));
    for parts in [100u32, 1_000, 10_000] {
        group.bench_with_input(BenchmarkId::from_parameter(parts), &parts, |b, &parts| {
            b.to_async(&rt).iter_custom(|iters| {
                let client = client.clone();
                let body = body.clone();
                let next_key = &next_key;
                async move {
                    let mut total = Duration::ZERO;
                    for i in 0..iters {
                        let _ = i;
                        let n = next_key.fetch_add(1, Ordering::Relaxed);
                        let key = format!("complete/{parts}/{n}");
                        let id = client.create("bench", &key).await.expect("create");
                        let mut etags: Vec<(u32, String)> = stream::iter(1..=parts)
                            .map(|n| {
                                let (client, body, id, key) = (&client, body.clone(), &id, &key);
                                async move {
                                    client
                                        .upload_part("bench", key, id, n, body)
                                        .await
                                        .map(|e| (n, e))
                                }
                            })
                            .buffer_unordered(16)
                            .try_collect()
                            .await
                            .expect("parts");
                        etags.sort_by_key(|p| p.0);
                        let started = Instant::now();
                        client
                            .complete("bench", &key, &id, &etags)
                            .await
                            .expect("complete");
                        total += started.elapsed();
                    }
                    total
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, complete);
criterion_main!(benches);
