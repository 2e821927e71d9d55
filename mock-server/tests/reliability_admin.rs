//! The admin API (`/_mock/...`) is reachable from loopback only, unless a token guards it.

mod reliability_support;

use mock_server::MockServer;
use reliability_support::*;
use std::process::Command;
use std::time::Duration;

#[test]
fn non_loopback_listen_without_token_is_refused() {
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let out = Command::new(BIN)
            .args(["--listen", addr, "--memory"])
            .env_remove("MOCK_ADMIN_TOKEN")
            .output()
            .expect("run mock-server");
        assert_eq!(out.status.code(), Some(2), "{addr}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--admin-token"), "{addr}: {err}");
    }
}

#[tokio::test]
async fn token_guards_every_admin_endpoint() {
    let s = MockServer::builder()
        .memory()
        .bucket("adm")
        .admin_token("s3cret")
        .start()
        .await
        .unwrap();
    let c = client(Duration::from_secs(10));
    let ep = s.endpoint();
    let endpoints = [
        ("GET", "/_mock/health"),
        ("GET", "/_mock/state"),
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/faults"),
        ("POST", "/_mock/faults"),
        ("DELETE", "/_mock/faults"),
        ("DELETE", "/_mock/faults/1"),
        ("GET", "/_mock/journal"),
        ("GET", "/_mock/nope"),
    ];
    let req = |m: &str, p: &str, auth: Option<&str>| {
        let url = format!("{ep}{p}");
        let r = match m {
            "GET" => c.get(url),
            "POST" => c.post(url).body("[]"),
            _ => c.delete(url),
        };
        match auth {
            Some(a) => r.header("authorization", a),
            None => r,
        }
    };
    for (m, p) in endpoints {
        for bad in [
            None,
            Some("Bearer wrong"),
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
            Some("s3cret"),
            Some("Basic s3cret"),
        ] {
            let r = req(m, p, bad).send().await.unwrap();
            assert_eq!(r.status(), 401, "{m} {p} with {bad:?}");
        }
    }
    // The bucket survived every refused reset.
    assert_eq!(s.state().buckets.len(), 1);
    for (m, p) in endpoints {
        let r = req(m, p, Some("Bearer s3cret")).send().await.unwrap();
        assert_ne!(r.status(), 401, "{m} {p} with the right token");
    }
    s.create_bucket("adm").unwrap();
    // The object API does not need the token.
    let r = c.put(format!("{ep}/adm/k")).body("x").send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn binary_with_token_requires_it() {
    let s = ServerProc::spawn(&["--memory", "--admin-token", "tok"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = client(Duration::from_secs(10));
        let r = c
            .get(format!("{}/_mock/state", s.endpoint))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = c
            .get(format!("{}/_mock/state", s.endpoint))
            .bearer_auth("tok")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    });
}
