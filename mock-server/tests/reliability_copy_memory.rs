//! UploadPartCopy streams its source: the server's memory does not grow with the range
//! copied. Counted on the real binary's peak RSS (VmHWM), not timed.

mod reliability_support;

use reliability_support::*;
use std::time::Duration;

const OBJECT: usize = 160 << 20;

#[tokio::test]
async fn a_large_copy_part_holds_megabytes_not_the_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = ServerProc::on_dir(dir.path(), &["--no-fsync", "--bucket", "cpy"]);
    let ep = &server.endpoint;
    let c = client(Duration::from_secs(120));
    let data = content(7, OBJECT);
    let r = c
        .put(format!("{ep}/cpy/source"))
        .body(data.clone())
        .send()
        .await
        .expect("put source");
    assert_eq!(r.status(), 200, "PUT of the source");

    let r = c
        .post(format!("{ep}/cpy/copy?uploads"))
        .send()
        .await
        .expect("create upload");
    let up = tag(&r.text().await.expect("body"), "UploadId").expect("UploadId");
    // Start the peak over: from here on VmHWM is the copy's.
    std::fs::write(format!("/proc/{}/clear_refs", server.pid()), "5").expect("reset VmHWM");
    let before = vm_kib(server.pid(), "VmHWM");
    let r = c
        .put(format!("{ep}/cpy/copy?partNumber=1&uploadId={up}"))
        .header("x-amz-copy-source", "/cpy/source")
        .send()
        .await
        .expect("copy part");
    assert_eq!(r.status(), 200, "UploadPartCopy");
    let body = r.text().await.expect("copy body");
    let etag = tag(&body, "ETag").expect("ETag");
    assert_eq!(etag.trim_matches('"'), md5_hex(&data), "the copy's ETag");
    let peak = vm_kib(server.pid(), "VmHWM");
    assert!(before > 0 && peak > 0, "VmHWM readable: {before} / {peak}");
    let grew_mib = peak.saturating_sub(before) / 1024;
    assert!(
        grew_mib < 64,
        "copying {} MiB raised the server's peak RSS by {grew_mib} MiB (from {} MiB)",
        OBJECT >> 20,
        before / 1024
    );

    let r = c
        .post(format!("{ep}/cpy/copy?uploadId={up}"))
        .body(complete_body(&[(1, etag.trim_matches('"').to_string())]))
        .send()
        .await
        .expect("complete");
    assert_eq!(r.status(), 200, "complete");
    let got = c
        .get(format!("{ep}/cpy/copy"))
        .send()
        .await
        .expect("get copy")
        .bytes()
        .await
        .expect("copy bytes");
    assert!(got.as_ref() == data.as_slice(), "the copy reads back whole");
}
