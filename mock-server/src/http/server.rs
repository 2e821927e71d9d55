//! The accept loop: plain TCP or TLS connections served by hyper (HTTP/1.1).

use super::response::Response;
use crate::app::App;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to send its request headers (slow-loris bound).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Error returned to hyper to make it drop the connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose: {0}")]
pub struct DropConnection(pub String);

/// Serves connections from `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Arc<App>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let tls = tls.clone();
                conns.spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            // A failed handshake only ends this connection.
                            if let Ok(s) = acceptor.accept(stream).await {
                                serve_connection(TokioIo::new(s), app, true).await;
                            }
                        }
                        None => serve_connection(TokioIo::new(stream), app, false).await,
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

async fn serve_connection<I>(io: I, app: Arc<App>, tls: bool)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let header_timeout = app
        .config
        .header_read_timeout
        .unwrap_or(HEADER_READ_TIMEOUT);
    let svc = service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        async move { app.handle(req, tls).await.map(|r: Response| r) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true)
        .max_buf_size(1 << 20)
        .serve_connection(io, svc)
        .await;
}
