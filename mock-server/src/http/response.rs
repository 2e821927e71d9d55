//! Response bodies: small documents in memory, object data streamed from blobs.

use crate::store::Blob;
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use std::io;
use std::sync::Arc;

/// The body type of every response.
pub type Body = BoxBody<Bytes, io::Error>;

/// A response with the crate's body type.
pub type Response = http::Response<Body>;

/// An empty body.
pub fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed()
}

/// A body held in memory.
pub fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A body streamed from blob segments `(blob, offset, len)`. Reads happen on a blocking thread
/// a few chunks ahead of the network. Each blob's handle is held until its reader is open; the
/// open reader then keeps the bytes readable even if the object is deleted meanwhile.
pub fn segments(segments: Vec<(Arc<Blob>, u64, u64)>) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        for (blob, off, len) in segments {
            let chunks = match blob.read(off, len) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            // The open reader (a file handle, or shared buffers) keeps the bytes readable;
            // release the handle now so a deleted object's blob is gone from the store the
            // moment its last reader has opened it, not whenever this task happens to end.
            drop(blob);
            for chunk in chunks {
                let failed = chunk.is_err();
                if tx.blocking_send(chunk).is_err() || failed {
                    return; // client went away, or the read failed
                }
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item.map(Frame::data), rx))
    });
    StreamBody::new(stream).boxed()
}

/// Ends the body with an error after `limit` bytes: hyper then aborts the connection, and
/// the client sees a truncated response (the `drop_response_after_bytes` fault).
pub fn truncate(body: Body, limit: u64) -> Body {
    let stream = http_body_util::BodyStream::new(body);
    let s = futures_util::stream::unfold(
        (stream, 0u64, false),
        move |(mut st, sent, done)| async move {
            use futures_util::StreamExt;
            if done {
                return None;
            }
            match st.next().await {
                None => None,
                Some(Err(e)) => Some((Err(e), (st, sent, true))),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(mut data) => {
                        let room = limit.saturating_sub(sent);
                        if (data.len() as u64) < room {
                            let n = data.len() as u64;
                            Some((Ok(Frame::data(data)), (st, sent + n, false)))
                        } else if room > 0 {
                            data.truncate(room as usize);
                            Some((Ok(Frame::data(data)), (st, limit, false)))
                        } else {
                            Some((
                                Err(io::Error::other("response truncated by a fault")),
                                (st, sent, true),
                            ))
                        }
                    }
                    Err(frame) => Some((Ok(frame), (st, sent, false))),
                },
            }
        },
    );
    StreamBody::new(s).boxed()
}

/// Sends the body no faster than `bytes_per_sec` (the `bandwidth` fault).
pub fn throttle(body: Body, bytes_per_sec: u64) -> Body {
    let rate = bytes_per_sec.max(1) as f64;
    let stream = http_body_util::BodyStream::new(body);
    let s = futures_util::stream::unfold(stream, move |mut st| async move {
        use futures_util::StreamExt;
        let frame = st.next().await?;
        if let Ok(f) = &frame {
            if let Some(d) = f.data_ref() {
                tokio::time::sleep(std::time::Duration::from_secs_f64(d.len() as f64 / rate)).await;
            }
        }
        Some((frame, st))
    });
    StreamBody::new(s).boxed()
}

/// A body that sends `prefix`, then a space every `interval` for `duration`, then `rest`
/// (S3's keep-alive while a slow complete runs). `rest` is computed after the wait.
pub fn keepalive<F>(
    prefix: Bytes,
    interval: std::time::Duration,
    duration: std::time::Duration,
    rest: F,
) -> Body
where
    F: std::future::Future<Output = Bytes> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(4);
    tokio::spawn(async move {
        if !prefix.is_empty() && tx.send(Ok(prefix)).await.is_err() {
            return;
        }
        let deadline = tokio::time::Instant::now() + duration;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(interval.min(deadline - tokio::time::Instant::now())).await;
            if tx.send(Ok(Bytes::from_static(b" "))).await.is_err() {
                return; // client gave up
            }
        }
        let _ = tx.send(Ok(rest.await)).await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item.map(Frame::data), rx))
    });
    StreamBody::new(stream).boxed()
}

/// A body that keeps a value (an in-flight guard) alive until the body is dropped, i.e. until
/// it has been sent in full or the client went away.
struct Guarded<G> {
    inner: Body,
    _guard: G,
}

impl<G: Send + Sync + Unpin + 'static> http_body::Body for Guarded<G> {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Wraps `body` so `guard` lives exactly as long as the body.
pub fn guarded<G: Send + Sync + Unpin + 'static>(body: Body, guard: G) -> Body {
    Guarded {
        inner: body,
        _guard: guard,
    }
    .boxed()
}
