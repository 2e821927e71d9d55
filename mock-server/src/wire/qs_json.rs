//! QingStor JSON documents (PROTOCOLS.md §4.3, §4.4, §7.1).
//!
//! Field names are QingStor's own snake_case names; field order follows the captured
//! responses, so [`JsonDocument::to_json`] reproduces them byte for byte. All response fields
//! default when missing, so a parser built on these types accepts any subset (the SDK reads
//! only a few fields). Part numbers start at 0 in QingStor and are JSON integers; a string or
//! fractional `part_number` makes a document [`Invalid`](crate::wire::WireError::Invalid).
//!
//! Remember: 2xx JSON answers must carry `Content-Type: application/json` exactly (no
//! charset), or the Python SDK ignores the body.

use serde::{Deserialize, Serialize};

use super::json::JsonDocument;

/// Response of Initiate Multipart Upload (`POST /{b}/{k}?uploads`, 200):
/// `{"bucket": "b", "key": "k", "upload_id": "…"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiateMultipartUploadOutput {
    /// `bucket`.
    #[serde(default)]
    pub bucket: String,
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `upload_id` (required when parsing).
    pub upload_id: String,
}

/// Response of List Multipart (`GET /{b}/{k}?upload_id=`, 200):
/// `{"count": 3, "object_parts": [{"part_number": 0, "size": …, "etag": "\"…\"", "created": "…Z"}, …]}`.
///
/// QingStor documents no paging fields; `has_more` and `next_part_number_marker` are this
/// mock's extension, written only when set, so a client may page with `part_number_marker`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMultipartOutput {
    /// `count`: number of parts in `object_parts`.
    #[serde(default)]
    pub count: u64,
    /// `object_parts`, ascending by part number.
    #[serde(default)]
    pub object_parts: Vec<ObjectPart>,
    /// `has_more` (extension): more parts follow this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
    /// `next_part_number_marker` (extension): pass as `part_number_marker` for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_part_number_marker: Option<i64>,
}

/// One entry of [`ListMultipartOutput::object_parts`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectPart {
    /// `part_number` (from 0).
    pub part_number: i64,
    /// `size` in bytes.
    #[serde(default)]
    pub size: u64,
    /// `etag`, with quotes inside the string (`"\"…\""`).
    #[serde(default)]
    pub etag: String,
    /// `created`, ISO 8601.
    #[serde(default)]
    pub created: String,
}

/// Response of List Multipart Uploads (`GET /{b}?uploads`, 200).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMultipartUploadsOutput {
    /// `name`: the bucket.
    #[serde(default)]
    pub name: String,
    /// `uploads`.
    #[serde(default)]
    pub uploads: Vec<UploadSummary>,
    /// `prefix`.
    #[serde(default)]
    pub prefix: String,
    /// `delimiter`.
    #[serde(default)]
    pub delimiter: String,
    /// `limit`: the page size used.
    #[serde(default)]
    pub limit: u32,
    /// `marker`.
    #[serde(default)]
    pub marker: String,
    /// `next_key_marker`.
    #[serde(default)]
    pub next_key_marker: String,
    /// `next_upload_id_marker`.
    #[serde(default)]
    pub next_upload_id_marker: String,
    /// `has_more`.
    #[serde(default)]
    pub has_more: bool,
    /// `common_prefixes`.
    #[serde(default)]
    pub common_prefixes: Vec<String>,
}

/// One entry of [`ListMultipartUploadsOutput::uploads`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadSummary {
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `upload_id`.
    #[serde(default)]
    pub upload_id: String,
    /// `created`, ISO 8601.
    #[serde(default)]
    pub created: String,
}

/// Request body of Complete Multipart Upload (`POST /{b}/{k}?upload_id=`):
/// `{"object_parts": [{"part_number": 0}, {"etag": "\"…\"", "part_number": 1}]}`.
///
/// Parts stay in document order; order, duplicates and existence are the service's checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteMultipartUploadInput {
    /// `object_parts` (required).
    pub object_parts: Vec<CompletePart>,
}

/// One entry of [`CompleteMultipartUploadInput::object_parts`]. Field order is the SDK's
/// (`json.dumps(..., sort_keys=True)`): `etag`, then `part_number`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletePart {
    /// `etag` (optional), as the client sends it (usually quoted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `part_number` (required, integer).
    pub part_number: i64,
}

/// Response of List Objects (`GET /{b}`, 200).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListObjectsOutput {
    /// `name`: the bucket.
    #[serde(default)]
    pub name: String,
    /// `keys`.
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
    /// `prefix`.
    #[serde(default)]
    pub prefix: String,
    /// `delimiter`.
    #[serde(default)]
    pub delimiter: String,
    /// `limit`.
    #[serde(default)]
    pub limit: u32,
    /// `marker`.
    #[serde(default)]
    pub marker: String,
    /// `next_marker`.
    #[serde(default)]
    pub next_marker: String,
    /// `has_more`.
    #[serde(default)]
    pub has_more: bool,
    /// `common_prefixes`.
    #[serde(default)]
    pub common_prefixes: Vec<String>,
    /// `owner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerInfo>,
}

/// One entry of [`ListObjectsOutput::keys`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `mime_type`.
    #[serde(default)]
    pub mime_type: String,
    /// `etag`, quoted inside the string.
    #[serde(default)]
    pub etag: String,
    /// `size` in bytes.
    #[serde(default)]
    pub size: u64,
    /// `modified`: Unix seconds (see [`crate::wire::time::unix_seconds`]).
    #[serde(default)]
    pub modified: i64,
    /// `created`, ISO 8601.
    #[serde(default)]
    pub created: String,
    /// `encrypted`.
    #[serde(default)]
    pub encrypted: bool,
    /// `storage_class`, e.g. `STANDARD`.
    #[serde(default)]
    pub storage_class: String,
}

/// `owner` of [`ListObjectsOutput`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerInfo {
    /// `id`.
    #[serde(default)]
    pub id: String,
    /// `name`.
    #[serde(default)]
    pub name: String,
}

/// Response of List Buckets (`GET /`, 200): `{"count": 1, "buckets": [{…}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListBucketsOutput {
    /// `count`.
    #[serde(default)]
    pub count: u64,
    /// `buckets`.
    #[serde(default)]
    pub buckets: Vec<BucketEntry>,
}

/// One entry of [`ListBucketsOutput::buckets`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEntry {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `location`: the zone, e.g. `pek3b`.
    #[serde(default)]
    pub location: String,
    /// `url`: the bucket's URL.
    #[serde(default)]
    pub url: String,
    /// `created`, ISO 8601.
    #[serde(default)]
    pub created: String,
}

/// QingStor error body: `{"code": "upload_not_exists", "message": "…", "request_id": "…", "url": "…"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorOutput {
    /// `code`, e.g. `upload_not_exists`.
    #[serde(default)]
    pub code: String,
    /// `message`.
    #[serde(default)]
    pub message: String,
    /// `request_id` (same as the `X-QS-Request-ID` header).
    #[serde(default)]
    pub request_id: String,
    /// `url`: documentation link.
    #[serde(default)]
    pub url: String,
}

impl ErrorOutput {
    /// The documentation URL QingStor puts in every error.
    pub const DOC_URL: &'static str =
        "https://docs.qingcloud.com/qingstor/api/common/error_code.html";

    /// An error with [`Self::DOC_URL`].
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            request_id: request_id.into(),
            url: Self::DOC_URL.to_owned(),
        }
    }
}

/// Request body of Delete Multiple Objects (`POST /{b}?delete`):
/// `{"objects": [{"key": "a"}], "quiet": false}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMultipleInput {
    /// `objects` (required).
    pub objects: Vec<KeyRef>,
    /// `quiet`: report only errors.
    #[serde(default)]
    pub quiet: bool,
}

/// A `{"key": "…"}` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRef {
    /// `key` (required).
    pub key: String,
}

/// Response of Delete Multiple Objects (200): `{"deleted": [{"key": …}], "errors": [{…}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMultipleOutput {
    /// `deleted`.
    #[serde(default)]
    pub deleted: Vec<KeyRef>,
    /// `errors`.
    #[serde(default)]
    pub errors: Vec<DeleteMultipleError>,
}

/// One entry of [`DeleteMultipleOutput::errors`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMultipleError {
    /// `code`.
    #[serde(default)]
    pub code: String,
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `message`.
    #[serde(default)]
    pub message: String,
}

macro_rules! json_document {
    ($($ty:ident),* $(,)?) => {
        $(
            impl JsonDocument for $ty {
                const NAME: &'static str = stringify!($ty);
            }
        )*
    };
}

json_document!(
    InitiateMultipartUploadOutput,
    ListMultipartOutput,
    ListMultipartUploadsOutput,
    CompleteMultipartUploadInput,
    ListObjectsOutput,
    ListBucketsOutput,
    ErrorOutput,
    DeleteMultipleInput,
    DeleteMultipleOutput,
);

#[cfg(test)]
mod tests {
    //! Bodies copied verbatim from `shared/captures/qingstor-sdk_127.0.0.1_zone-empty.txt`
    //! (and the pek3b / quirks files where noted).

    use super::*;
    use crate::wire::json::{parse_json, JsonDocument};
    use crate::wire::WireError;

    const LIMIT: usize = 1 << 20;

    /// Renders `doc`, compares with the capture byte for byte, parses the capture back.
    fn assert_matches_capture<T: JsonDocument + PartialEq + std::fmt::Debug>(
        doc: &T,
        captured: &str,
    ) {
        assert_eq!(doc.to_json(), captured);
        assert_eq!(&T::from_json(captured.as_bytes(), LIMIT).unwrap(), doc);
    }

    #[test]
    fn initiate_output_matches_captures() {
        assert_matches_capture(
            &InitiateMultipartUploadOutput {
                bucket: "qs-bucket".into(),
                key: "big/object.bin".into(),
                upload_id: "afce2d3c75d345c382a27e6dfe0cb7d0".into(),
            },
            r#"{"bucket": "qs-bucket", "key": "big/object.bin", "upload_id": "afce2d3c75d345c382a27e6dfe0cb7d0"}"#,
        );
        // quirks_sdk-reactions.txt, line 164.
        assert_matches_capture(
            &InitiateMultipartUploadOutput {
                bucket: "qb".into(),
                key: "k".into(),
                upload_id: "678161060c344701bd3d5e8ae924da60".into(),
            },
            r#"{"bucket": "qb", "key": "k", "upload_id": "678161060c344701bd3d5e8ae924da60"}"#,
        );
        let err =
            InitiateMultipartUploadOutput::from_json(br#"{"bucket": "b"}"#, LIMIT).unwrap_err();
        assert!(
            err.to_string().contains("missing field `upload_id`"),
            "{err}"
        );
    }

    #[test]
    fn list_multipart_output_matches_capture() {
        let part = |n: i64, size: u64, etag: &str| ObjectPart {
            part_number: n,
            size,
            etag: format!("\"{etag}\""),
            created: "2026-11-21T04:29:25.000Z".into(),
        };
        assert_matches_capture(
            &ListMultipartOutput {
                count: 3,
                object_parts: vec![
                    part(0, 4_194_304, "edf5870b1e99d0bd580a271fcb7516c7"),
                    part(1, 1_048_583, "bde0443b0a6068be7acea4553a454e01"),
                    part(2, 100, "9209b68759c15753b98927dc3d2752a1"),
                ],
                has_more: None,
                next_part_number_marker: None,
            },
            r#"{"count": 3, "object_parts": [{"part_number": 0, "size": 4194304, "etag": "\"edf5870b1e99d0bd580a271fcb7516c7\"", "created": "2026-11-21T04:29:25.000Z"}, {"part_number": 1, "size": 1048583, "etag": "\"bde0443b0a6068be7acea4553a454e01\"", "created": "2026-11-21T04:29:25.000Z"}, {"part_number": 2, "size": 100, "etag": "\"9209b68759c15753b98927dc3d2752a1\"", "created": "2026-11-21T04:29:25.000Z"}]}"#,
        );
    }

    #[test]
    fn list_multipart_paging_extension_round_trips() {
        let doc = ListMultipartOutput {
            count: 0,
            object_parts: vec![],
            has_more: Some(true),
            next_part_number_marker: Some(1000),
        };
        let json = doc.to_json();
        assert_eq!(
            json,
            r#"{"count": 0, "object_parts": [], "has_more": true, "next_part_number_marker": 1000}"#
        );
        assert_eq!(
            ListMultipartOutput::from_json(json.as_bytes(), LIMIT).unwrap(),
            doc
        );
    }

    #[test]
    fn list_multipart_uploads_output_matches_capture() {
        assert_matches_capture(
            &ListMultipartUploadsOutput {
                name: "qs-bucket".into(),
                uploads: vec![UploadSummary {
                    key: "big/object.bin".into(),
                    upload_id: "afce2d3c75d345c382a27e6dfe0cb7d0".into(),
                    created: "2026-11-21T04:29:25.000Z".into(),
                }],
                prefix: "big/".into(),
                limit: 10,
                ..ListMultipartUploadsOutput::default()
            },
            r#"{"name": "qs-bucket", "uploads": [{"key": "big/object.bin", "upload_id": "afce2d3c75d345c382a27e6dfe0cb7d0", "created": "2026-11-21T04:29:25.000Z"}], "prefix": "big/", "delimiter": "", "limit": 10, "marker": "", "next_key_marker": "", "next_upload_id_marker": "", "has_more": false, "common_prefixes": []}"#,
        );
    }

    #[test]
    fn complete_input_matches_what_the_sdk_sends() {
        // Line 260 (zone-empty) and line 269 (pek3b via proxy).
        for (captured, etag) in [
            (
                r#"{"object_parts": [{"part_number": 0}, {"etag": "\"bde0443b0a6068be7acea4553a454e01\"", "part_number": 1}]}"#,
                "\"bde0443b0a6068be7acea4553a454e01\"",
            ),
            (
                r#"{"object_parts": [{"part_number": 0}, {"etag": "\"f5da3cc0442e05b3427ae959fd73398d\"", "part_number": 1}]}"#,
                "\"f5da3cc0442e05b3427ae959fd73398d\"",
            ),
        ] {
            assert_matches_capture(
                &CompleteMultipartUploadInput {
                    object_parts: vec![
                        CompletePart {
                            etag: None,
                            part_number: 0,
                        },
                        CompletePart {
                            etag: Some(etag.into()),
                            part_number: 1,
                        },
                    ],
                },
                captured,
            );
        }
    }

    #[test]
    fn complete_input_errors() {
        let cases: [(&[u8], &str); 6] = [
            (
                br#"{"object_parts": [{"part_number": "1"}]}"#,
                "invalid type: string \"1\", expected i64",
            ),
            (
                br#"{"object_parts": [{"part_number": 1.5}]}"#,
                "invalid type: floating point `1.5`, expected i64",
            ),
            (
                br#"{"object_parts": [{"etag": "x"}]}"#,
                "missing field `part_number`",
            ),
            (br#"{"parts": []}"#, "missing field `object_parts`"),
            (
                br#"{"object_parts": {}}"#,
                "invalid type: map, expected a sequence",
            ),
            (
                br#"[]"#,
                "invalid length 0, expected struct CompleteMultipartUploadInput",
            ),
        ];
        for (body, want) in cases {
            match CompleteMultipartUploadInput::from_json(body, LIMIT) {
                Err(WireError::Invalid { document, message }) => {
                    assert_eq!(document, "CompleteMultipartUploadInput");
                    assert!(
                        message.contains(want),
                        "{message:?} should contain {want:?}"
                    );
                }
                other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
        // Null etag is the same as no etag; unknown fields are ignored.
        let doc = CompleteMultipartUploadInput::from_json(
            br#"{"object_parts": [{"etag": null, "part_number": 3, "size": 1}], "x": [1]}"#,
            LIMIT,
        )
        .unwrap();
        assert_eq!(
            doc.object_parts,
            vec![CompletePart {
                etag: None,
                part_number: 3
            }]
        );
        // 10,001 parts parse; limits are the service's job.
        let many = CompleteMultipartUploadInput {
            object_parts: (0..=10_000)
                .map(|n| CompletePart {
                    etag: Some(format!("\"{n:032x}\"")),
                    part_number: n,
                })
                .collect(),
        };
        let json = many.to_json();
        assert_eq!(
            CompleteMultipartUploadInput::from_json(json.as_bytes(), LIMIT)
                .unwrap()
                .object_parts
                .len(),
            10_001
        );
    }

    #[test]
    fn list_objects_output_matches_capture() {
        assert_matches_capture(
            &ListObjectsOutput {
                name: "qs-bucket".into(),
                keys: vec![KeyEntry {
                    key: "big/object.bin".into(),
                    mime_type: "application/octet-stream".into(),
                    etag: "\"c23b1705d0626e84c97279a7bf221e6d-2\"".into(),
                    size: 5_242_887,
                    modified: 1_795_235_365,
                    created: "2026-11-21T04:29:25.000Z".into(),
                    encrypted: false,
                    storage_class: "STANDARD".into(),
                }],
                prefix: "big/".into(),
                limit: 200,
                owner: Some(OwnerInfo {
                    id: "usr-mock".into(),
                    name: "mock".into(),
                }),
                ..ListObjectsOutput::default()
            },
            r#"{"name": "qs-bucket", "keys": [{"key": "big/object.bin", "mime_type": "application/octet-stream", "etag": "\"c23b1705d0626e84c97279a7bf221e6d-2\"", "size": 5242887, "modified": 1795235365, "created": "2026-11-21T04:29:25.000Z", "encrypted": false, "storage_class": "STANDARD"}], "prefix": "big/", "delimiter": "", "limit": 200, "marker": "", "next_marker": "", "has_more": false, "common_prefixes": [], "owner": {"id": "usr-mock", "name": "mock"}}"#,
        );
    }

    #[test]
    fn errors_match_captures() {
        assert_matches_capture(
            &ErrorOutput::new(
                "upload_not_exists",
                "The upload_id you are accessing does not exist.",
                "mockreqid7c32ad43",
            ),
            r#"{"code": "upload_not_exists", "message": "The upload_id you are accessing does not exist.", "request_id": "mockreqid7c32ad43", "url": "https://docs.qingcloud.com/qingstor/api/common/error_code.html"}"#,
        );
        assert_matches_capture(
            &ErrorOutput::new(
                "object_not_exists",
                "The object you are accessing does not exist.",
                "mockreqid5fee8016",
            ),
            r#"{"code": "object_not_exists", "message": "The object you are accessing does not exist.", "request_id": "mockreqid5fee8016", "url": "https://docs.qingcloud.com/qingstor/api/common/error_code.html"}"#,
        );
        // The OBS SDK's JSON error variant has no url; missing fields default.
        let e = ErrorOutput::from_json(
            br#"{"code": "c", "message": "m", "request_id": "r"}"#,
            LIMIT,
        )
        .unwrap();
        assert_eq!((e.code.as_str(), e.url.as_str()), ("c", ""));
    }

    #[test]
    fn buckets_and_delete_multiple_round_trip() {
        let buckets = ListBucketsOutput {
            count: 1,
            buckets: vec![BucketEntry {
                name: "qs-bucket".into(),
                location: "pek3b".into(),
                url: "http://qs-bucket.pek3b.127.0.0.1:9000".into(),
                created: "2026-11-21T04:29:25.000Z".into(),
            }],
        };
        let json = buckets.to_json();
        assert_eq!(
            json,
            r#"{"count": 1, "buckets": [{"name": "qs-bucket", "location": "pek3b", "url": "http://qs-bucket.pek3b.127.0.0.1:9000", "created": "2026-11-21T04:29:25.000Z"}]}"#
        );
        assert_eq!(
            ListBucketsOutput::from_json(json.as_bytes(), LIMIT).unwrap(),
            buckets
        );

        let input = DeleteMultipleInput {
            objects: vec![KeyRef { key: "a b".into() }, KeyRef { key: "é\"".into() }],
            quiet: true,
        };
        let json = input.to_json();
        assert_eq!(
            json,
            r#"{"objects": [{"key": "a b"}, {"key": "\u00e9\""}], "quiet": true}"#
        );
        assert_eq!(
            DeleteMultipleInput::from_json(json.as_bytes(), LIMIT).unwrap(),
            input
        );

        let output = DeleteMultipleOutput {
            deleted: vec![KeyRef { key: "a".into() }],
            errors: vec![DeleteMultipleError {
                code: "permission_denied".into(),
                key: "b".into(),
                message: "no".into(),
            }],
        };
        let json = output.to_json();
        assert_eq!(
            DeleteMultipleOutput::from_json(json.as_bytes(), LIMIT).unwrap(),
            output
        );
    }

    mod hostile {
        use super::*;

        const CAPTURED_COMPLETE: &str = r#"{"object_parts": [{"part_number": 0}, {"etag": "\"bde0443b0a6068be7acea4553a454e01\"", "part_number": 1}]}"#;

        #[test]
        fn ten_mib_body_is_refused() {
            let body = format!(
                "{{\"object_parts\": [{}]}}",
                "{\"part_number\": 1}, ".repeat(600_000)
            );
            assert!(body.len() > 10 * 1024 * 1024);
            assert_eq!(
                CompleteMultipartUploadInput::from_json(body.as_bytes(), LIMIT).unwrap_err(),
                WireError::TooLarge {
                    limit: LIMIT,
                    actual: body.len()
                }
            );
        }

        #[test]
        fn ten_thousand_deep_nesting_is_refused() {
            let body = format!(
                "{{\"object_parts\": {}{}}}",
                "[".repeat(10_000),
                "]".repeat(10_000)
            );
            let err = CompleteMultipartUploadInput::from_json(body.as_bytes(), LIMIT).unwrap_err();
            assert_eq!(
                err,
                WireError::TooDeep {
                    limit: 16,
                    position: 32
                }
            );
            let unclosed = "{\"a\":".repeat(10_000);
            assert!(matches!(
                parse_json::<serde_json::Value>(unclosed.as_bytes(), LIMIT),
                Err(WireError::TooDeep { .. })
            ));
        }

        #[test]
        fn invalid_utf8_is_refused() {
            let mut body = CAPTURED_COMPLETE.as_bytes().to_vec();
            body[5] = 0xFF;
            assert_eq!(
                CompleteMultipartUploadInput::from_json(&body, LIMIT).unwrap_err(),
                WireError::NotUtf8 { valid_up_to: 5 }
            );
        }

        #[test]
        fn truncated_documents_are_refused_at_every_length() {
            for len in 0..CAPTURED_COMPLETE.len() {
                let result = CompleteMultipartUploadInput::from_json(
                    &CAPTURED_COMPLETE.as_bytes()[..len],
                    LIMIT,
                );
                assert!(result.is_err(), "prefix of {len} bytes parsed: {result:?}");
            }
            assert!(matches!(
                CompleteMultipartUploadInput::from_json(&CAPTURED_COMPLETE.as_bytes()[..50], LIMIT),
                Err(WireError::Truncated { .. })
            ));
        }

        #[test]
        fn mutated_capture_never_panics() {
            let replacements: [&[u8]; 6] = [b"{", b"]", b"\"", b"\\", b"\0", b"\xff"];
            let mut ok = 0usize;
            let mut attempts = 0usize;
            for pos in 0..CAPTURED_COMPLETE.len() {
                for r in replacements {
                    let mut mutated = CAPTURED_COMPLETE.as_bytes()[..pos].to_vec();
                    mutated.extend_from_slice(r);
                    mutated.extend_from_slice(&CAPTURED_COMPLETE.as_bytes()[pos + 1..]);
                    attempts += 1;
                    ok += usize::from(
                        CompleteMultipartUploadInput::from_json(&mutated, LIMIT).is_ok(),
                    );
                    let _ = ListObjectsOutput::from_json(&mutated, LIMIT);
                }
            }
            assert!(ok * 4 < attempts, "{ok} of {attempts}");
        }
    }
}
