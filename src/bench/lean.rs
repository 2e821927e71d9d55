//! A lean S3 client for measuring the server: bodies are pre-built [`Bytes`] (no file reads, no
//! hashing, no signing: `UNSIGNED-PAYLOAD` against a mock that checks no credentials), so the
//! client costs as little as possible of the shared CPU.

use bytes::Bytes;

use super::BenchError;

/// A minimal multipart client over one connection pool.
#[derive(Clone, Debug)]
pub struct LeanClient {
    http: reqwest::Client,
    endpoint: String,
}

fn request_error(what: &str, expected: &str, got: impl std::fmt::Display) -> BenchError {
    BenchError::Request {
        what: what.to_string(),
        expected: expected.to_string(),
        got: got.to_string(),
    }
}

/// Text between `<tag>` and `</tag>`, the first time it appears.
pub fn xml_text<'a>(doc: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = doc.find(&open)? + open.len();
    let len = doc.get(start..)?.find(&close)?;
    doc.get(start..start + len)
}

impl LeanClient {
    /// A client for `endpoint` (`http://127.0.0.1:PORT`).
    pub fn new(endpoint: &str) -> Result<Self, BenchError> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| request_error("building the HTTP client", "a client", e))?;
        Ok(LeanClient {
            http,
            endpoint: endpoint.trim_end_matches('/').to_string(),
        })
    }

    fn url(&self, bucket: &str, key: &str, query: &str) -> String {
        format!("{}/{bucket}/{key}{query}", self.endpoint)
    }

    async fn send(
        &self,
        what: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, BenchError> {
        let resp = req
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .send()
            .await
            .map_err(|e| request_error(what, "an answer", e))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            return Err(request_error(what, "2xx", format!("{status}: {body}")));
        }
        Ok(resp)
    }

    /// Creates a bucket (an existing one of ours is fine).
    pub async fn create_bucket(&self, bucket: &str) -> Result<(), BenchError> {
        let url = format!("{}/{bucket}", self.endpoint);
        let resp = self
            .http
            .put(url)
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .send()
            .await
            .map_err(|e| request_error("CreateBucket", "an answer", e))?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        if status.is_success() || body.contains("BucketAlreadyOwnedByYou") {
            Ok(())
        } else {
            Err(request_error(
                "CreateBucket",
                "2xx",
                format!("{status}: {body}"),
            ))
        }
    }

    /// CreateMultipartUpload; returns the upload id.
    pub async fn create(&self, bucket: &str, key: &str) -> Result<String, BenchError> {
        let resp = self
            .send(
                "CreateMultipartUpload",
                self.http.post(self.url(bucket, key, "?uploads")),
            )
            .await?;
        let body = resp
            .text()
            .await
            .map_err(|e| request_error("CreateMultipartUpload", "a body", e))?;
        xml_text(&body, "UploadId")
            .map(str::to_string)
            .ok_or_else(|| request_error("CreateMultipartUpload", "an UploadId", body))
    }

    /// UploadPart with a pre-built body; returns the ETag as sent (with quotes).
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Bytes,
    ) -> Result<String, BenchError> {
        let query = format!("?partNumber={part_number}&uploadId={upload_id}");
        let resp = self
            .send(
                "UploadPart",
                self.http.put(self.url(bucket, key, &query)).body(body),
            )
            .await?;
        resp.headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| request_error("UploadPart", "an ETag header", "none"))
    }

    /// CompleteMultipartUpload with `(part number, ETag)` pairs; returns the object ETag.
    pub async fn complete(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<String, BenchError> {
        let mut doc = String::with_capacity(64 + parts.len() * 80);
        doc.push_str("<CompleteMultipartUpload>");
        for (n, etag) in parts {
            doc.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            ));
        }
        doc.push_str("</CompleteMultipartUpload>");
        let query = format!("?uploadId={upload_id}");
        let resp = self
            .send(
                "CompleteMultipartUpload",
                self.http.post(self.url(bucket, key, &query)).body(doc),
            )
            .await?;
        let body = resp
            .text()
            .await
            .map_err(|e| request_error("CompleteMultipartUpload", "a body", e))?;
        xml_text(&body, "ETag")
            .map(str::to_string)
            .ok_or_else(|| request_error("CompleteMultipartUpload", "an ETag", body))
    }

    /// GET of an object, whole or a byte range (`Range: bytes=a-b`); returns the bytes received.
    pub async fn get(
        &self,
        bucket: &str,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> Result<u64, BenchError> {
        let mut req = self.http.get(self.url(bucket, key, ""));
        if let Some((a, b)) = range {
            req = req.header("range", format!("bytes={a}-{b}"));
        }
        let mut resp = self.send("GetObject", req).await?;
        let mut n = 0u64;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| request_error("GetObject", "the body", e))?
        {
            n += chunk.len() as u64;
        }
        Ok(n)
    }

    /// Uploads `total` bytes as parts of `part_size` (all sharing one pre-built buffer), at most
    /// `concurrency` in flight, then completes. Returns the object ETag.
    pub async fn upload_object(
        &self,
        bucket: &str,
        key: &str,
        total: u64,
        part_size: u64,
        concurrency: usize,
    ) -> Result<String, BenchError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        if part_size == 0 || concurrency == 0 {
            return Err(BenchError::Invalid(
                "part size and concurrency must be positive".into(),
            ));
        }
        let mut buf = vec![0u8; part_size as usize];
        super::data::fill_pseudo_random(&mut buf, part_size);
        let body = Bytes::from(buf);
        let upload_id = self.create(bucket, key).await?;
        let count = total.div_ceil(part_size);
        let mut parts: Vec<(u32, String)> = stream::iter(0..count)
            .map(|i| {
                let len = (total - i * part_size).min(part_size) as usize;
                let body = body.slice(..len);
                let upload_id = upload_id.as_str();
                async move {
                    let n = i as u32 + 1;
                    self.upload_part(bucket, key, upload_id, n, body)
                        .await
                        .map(|etag| (n, etag))
                }
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        parts.sort_by_key(|p| p.0);
        self.complete(bucket, key, &upload_id, &parts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_finds_the_first_element() {
        let doc = "<R><UploadId>abc</UploadId><ETag>\"x-2\"</ETag></R>";
        assert_eq!(xml_text(doc, "UploadId"), Some("abc"));
        assert_eq!(xml_text(doc, "ETag"), Some("\"x-2\""));
        assert_eq!(xml_text(doc, "Key"), None);
        assert_eq!(xml_text("<ETag>open", "ETag"), None);
    }

    #[tokio::test]
    async fn lean_upload_completes_on_the_mock() {
        let server = mock_server::MockServer::builder()
            .memory()
            .min_part_size(1024)
            .start()
            .await
            .unwrap();
        let client = LeanClient::new(server.endpoint()).unwrap();
        client.create_bucket("lean-bucket").await.unwrap();
        let etag = client
            .upload_object("lean-bucket", "k", 10_000, 4096, 2)
            .await
            .unwrap();
        assert!(etag.ends_with("-3\""), "{etag}");
        assert_eq!(client.get("lean-bucket", "k", None).await.unwrap(), 10_000);
        assert_eq!(
            client
                .get("lean-bucket", "k", Some((4000, 4199)))
                .await
                .unwrap(),
            200
        );
    }
}
