//! Peers to compare with: moto's server (`pip install moto[server]`), started on a free
//! loopback port for the duration of a run.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::BenchError;

/// A running peer server, killed when dropped.
#[derive(Debug)]
pub struct Peer {
    /// Name (`moto`).
    pub name: String,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    child: Child,
}

impl Peer {
    /// The server's process id (for its peak memory).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where moto's server is: `moto_server` on the PATH, if it runs.
pub fn find_moto() -> Option<String> {
    let ok = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    ok.then(|| "moto_server".to_string())
}

fn free_port() -> Result<u16, BenchError> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| BenchError::Peer {
        name: "moto".into(),
        message: format!("no free port: {e}"),
    })?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| BenchError::Peer {
            name: "moto".into(),
            message: e.to_string(),
        })
}

/// Starts moto's server on 127.0.0.1 and waits (up to 30 s) until it answers.
pub async fn start_moto(program: &str) -> Result<Peer, BenchError> {
    let err = |message: String| BenchError::Peer {
        name: "moto".into(),
        message,
    };
    let port = free_port()?;
    let child = Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| err(format!("cannot start {program}: {e}")))?;
    let peer = Peer {
        name: "moto".into(),
        endpoint: format!("http://127.0.0.1:{port}"),
        child,
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if http.get(&peer.endpoint).send().await.is_ok() {
            return Ok(peer);
        }
        if Instant::now() > deadline {
            return Err(err(format!(
                "{program} did not answer on port {port} within 30 s"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
