//! A request body that hands out slices of one shared buffer and counts what was taken, so
//! retries resend the same bytes without copying and the transport knows how far a failed
//! attempt got.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::uploader::remote::BodyMeter;

/// Size of the slices handed to the connection.
const CHUNK: usize = 64 * 1024;

/// A metered body over a `Bytes` buffer. Its exact size hint makes the client send
/// `Content-Length` rather than chunked encoding.
#[derive(Debug)]
pub(crate) struct MeteredBody {
    data: Bytes,
    pos: usize,
    meter: BodyMeter,
}

impl MeteredBody {
    pub(crate) fn new(data: Bytes, meter: BodyMeter) -> Self {
        MeteredBody {
            data,
            pos: 0,
            meter,
        }
    }
}

impl Body for MeteredBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.pos >= this.data.len() {
            return Poll::Ready(None);
        }
        let end = this.data.len().min(this.pos + CHUNK);
        let slice = this.data.slice(this.pos..end);
        this.pos = end;
        this.meter.add(slice.len() as u64);
        Poll::Ready(Some(Ok(Frame::data(slice))))
    }

    fn is_end_stream(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact((self.data.len() - self.pos.min(self.data.len())) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    #[tokio::test]
    async fn yields_the_buffer_in_slices_and_counts_them() {
        let data = Bytes::from((0..200_000u32).map(|i| i as u8).collect::<Vec<u8>>());
        let meter = BodyMeter::silent();
        let mut body = MeteredBody::new(data.clone(), meter.clone());
        assert_eq!(body.size_hint().exact(), Some(200_000));
        let mut out = Vec::new();
        while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            let chunk = frame.unwrap().into_data().unwrap();
            assert!(chunk.len() <= CHUNK);
            out.extend_from_slice(&chunk);
            assert_eq!(meter.sent(), out.len() as u64);
        }
        assert_eq!(out, data);
        assert!(body.is_end_stream());
    }

    #[test]
    fn empty_body_is_at_end() {
        let body = MeteredBody::new(Bytes::new(), BodyMeter::silent());
        assert!(body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(0));
    }
}
