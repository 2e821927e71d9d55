//! The journal is a ring of at most `--journal-limit` entries: the oldest go first, the drops
//! are counted and reported (`/_mock/health`, `x-mock-journal-dropped`), a reset clears both.

mod reliability_support;

use mock_server::journal::JournalStats;
use mock_server::MockServer;
use reliability_support::*;
use std::process::Command;
use std::time::Duration;

async fn health(c: &reqwest::Client, ep: &str) -> serde_json::Value {
    let r = c.get(format!("{ep}/_mock/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    serde_json::from_str(&r.text().await.unwrap()).expect("health JSON")
}

/// `n` requests that each make one journal entry (HEAD of a missing object: 404).
async fn requests(c: &reqwest::Client, ep: &str, n: usize) {
    for i in 0..n {
        let r = c.head(format!("{ep}/jlim/k{i}")).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
}

#[tokio::test]
async fn oldest_entries_are_dropped_counted_and_reported() {
    let s = MockServer::builder()
        .memory()
        .bucket("jlim")
        .journal_limit(4)
        .start()
        .await
        .unwrap();
    let c = client(Duration::from_secs(10));
    let ep = s.endpoint();
    requests(&c, ep, 7).await;

    let stats = s.journal_stats();
    assert_eq!(
        stats,
        JournalStats {
            entries: 4,
            dropped: 3,
            limit: 4
        }
    );
    let keys: Vec<String> = s.journal().into_iter().filter_map(|e| e.key).collect();
    assert_eq!(keys, ["k3", "k4", "k5", "k6"], "the newest four are kept");

    let h = health(&c, ep).await;
    assert_eq!(h["status"], "ok");
    assert_eq!(
        (
            &h["journal"]["entries"],
            &h["journal"]["dropped"],
            &h["journal"]["limit"]
        ),
        (&4.into(), &3.into(), &4.into())
    );

    let r = c.get(format!("{ep}/_mock/journal")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("x-mock-journal-dropped")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    let listed: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(listed.as_array().map(|a| a.len()), Some(4));

    let r = c.post(format!("{ep}/_mock/reset")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        s.journal_stats(),
        JournalStats {
            entries: 0,
            dropped: 0,
            limit: 4
        }
    );
}

#[tokio::test]
async fn the_default_limit_drops_nothing_in_a_normal_run() {
    let s = MockServer::builder()
        .memory()
        .bucket("jlim")
        .start()
        .await
        .unwrap();
    let c = client(Duration::from_secs(10));
    requests(&c, s.endpoint(), 20).await;
    assert_eq!(
        s.journal_stats(),
        JournalStats {
            entries: 20,
            dropped: 0,
            limit: mock_server::journal::DEFAULT_LIMIT as u64
        }
    );
}

#[test]
fn binary_flag_sets_the_limit_and_refuses_zero() {
    let out = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--memory",
            "--journal-limit",
            "0",
        ])
        .output()
        .expect("run mock-server");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--journal-limit"),
        "{out:?}"
    );

    let s = ServerProc::spawn(&["--memory", "--bucket", "jlim", "--journal-limit", "2"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = client(Duration::from_secs(10));
        requests(&c, &s.endpoint, 5).await;
        let h = health(&c, &s.endpoint).await;
        assert_eq!(h["journal"]["entries"], 2);
        assert_eq!(h["journal"]["dropped"], 3);
        assert_eq!(h["journal"]["limit"], 2);
    });
}
