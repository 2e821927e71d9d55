//! Tests against the real SDK traffic in `shared/captures/` (bodies copied verbatim), plus
//! round trips of every document and hostile input.

use super::*;
use crate::wire::xml::{
    parse_xml, root_element, XmlDocument, S3_NAMESPACE, SUGGESTED_MAX_REQUEST_BYTES,
    XML_DECLARATION,
};
use crate::wire::WireError;

const LIMIT: usize = SUGGESTED_MAX_REQUEST_BYTES;

/// A captured response body: declaration, newline, document.
fn body(doc: &str) -> String {
    format!("{XML_DECLARATION}\n{doc}")
}

/// Renders `doc`, checks it equals the captured body byte for byte, and parses the capture
/// back into an equal value.
fn assert_matches_capture<T: XmlDocument + PartialEq + std::fmt::Debug>(doc: &T, captured: &str) {
    let expected = body(captured);
    assert_eq!(doc.to_xml(), expected);
    let parsed = T::from_xml(expected.as_bytes(), LIMIT).unwrap();
    assert_eq!(&parsed, doc);
}

fn mock_owner() -> Option<Owner> {
    Some(Owner {
        id: "mockowner".into(),
        display_name: Some("mock".into()),
    })
}

// ---------------------------------------------------------------------------------------------
// Requests, verbatim from the captures

/// boto3 upload_file (boto3_127.0.0.1_http_upload_file-transferconfig.txt, line 188):
/// ETag before PartNumber, ChecksumCRC32 per part.
const BOTO3_TRANSFER_COMPLETE: &str = r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"4e149686fd0ef87719db1f7b77463802"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>Wq4mTw==</ChecksumCRC32></Part><Part><ETag>"05a797e89ca1084e91205850daf7c450"</ETag><PartNumber>2</PartNumber><ChecksumCRC32>DVpKgA==</ChecksumCRC32></Part><Part><ETag>"c4eb7ab112f4c0f83401f77d50fb9133"</ETag><PartNumber>3</PartNumber><ChecksumCRC32>LhfxDA==</ChecksumCRC32></Part></CompleteMultipartUpload>"#;

/// boto3 low-level, parts out of order (boto3_127.0.0.1_http_multipart-lowlevel.txt, line 345).
const BOTO3_COMPLETE_OUT_OF_ORDER: &str = r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>2</PartNumber><ETag>"c53cf8bc1172bc32fdc7f811c790d2c2"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>"aa37909a500fc2ab31b5e7c4c587b978"</ETag></Part></CompleteMultipartUpload>"#;

/// boto3 low-level, in order (same file, line 377).
const BOTO3_COMPLETE_OK: &str = r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"aa37909a500fc2ab31b5e7c4c587b978"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"c53cf8bc1172bc32fdc7f811c790d2c2"</ETag></Part></CompleteMultipartUpload>"#;

/// boto3 over TLS with aws-chunked parts (boto3_127.0.0.1_https_aws-chunked-trailer.txt, line 176).
const BOTO3_TLS_COMPLETE: &str = r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"2819dd1d2f6e7764247da2a593c8afef"</ETag></Part></CompleteMultipartUpload>"#;

/// ObsClient, SigV2 mode, wrong ETag (obs-sdk_127.0.0.1_s3compat-v2-mode.txt, line 305):
/// no namespace, no declaration, PartNumber first.
const OBS_COMPLETE_BAD_ETAG: &str = r#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"003d752a8cb4b9b3d4279aef033f3c1f"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"00000000000000000000000000000000"</ETag></Part></CompleteMultipartUpload>"#;

/// ObsClient, SigV2 mode (same file, line 336).
const OBS_COMPLETE_OK: &str = r#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"003d752a8cb4b9b3d4279aef033f3c1f"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"157b207a61e35b659283ee23091e2795"</ETag></Part></CompleteMultipartUpload>"#;

/// ObsClient, native OBS mode (obs-sdk_localhost_negotiated-obs-mode.txt, line 385).
const OBS_NATIVE_COMPLETE: &str = r#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"3553f41a96411dbf8455f2dd86feca54"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"9f7ebecaab9f502da8f097b0a643280b"</ETag></Part></CompleteMultipartUpload>"#;

/// ObsClient with signature="v4" (obs-sdk_127.0.0.1_signature-v4.txt, line 111).
const OBS_V4_COMPLETE: &str = r#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"900150983cd24fb0d6963f7d28e17f72"</ETag></Part></CompleteMultipartUpload>"#;

#[test]
fn parses_boto3_upload_file_complete_with_checksums() {
    let doc = CompleteMultipartUpload::from_xml(BOTO3_TRANSFER_COMPLETE.as_bytes(), LIMIT).unwrap();
    let got: Vec<(i64, &str, Option<&str>)> = doc
        .parts
        .iter()
        .map(|p| (p.part_number, p.etag.as_str(), p.checksum_crc32.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "\"4e149686fd0ef87719db1f7b77463802\"", Some("Wq4mTw==")),
            (2, "\"05a797e89ca1084e91205850daf7c450\"", Some("DVpKgA==")),
            (3, "\"c4eb7ab112f4c0f83401f77d50fb9133\"", Some("LhfxDA==")),
        ]
    );
    assert_eq!(
        doc.parts[0].checksums(),
        vec![("ChecksumCRC32", "Wq4mTw==")]
    );
    assert_eq!(doc.parts[0].checksum_sha256, None);
}

#[test]
fn parses_boto3_low_level_complete_keeping_document_order() {
    let doc =
        CompleteMultipartUpload::from_xml(BOTO3_COMPLETE_OUT_OF_ORDER.as_bytes(), LIMIT).unwrap();
    assert_eq!(
        doc.parts,
        vec![
            CompletedPart::new(2, "\"c53cf8bc1172bc32fdc7f811c790d2c2\""),
            CompletedPart::new(1, "\"aa37909a500fc2ab31b5e7c4c587b978\""),
        ],
        "order is the service's business, the parser must not sort"
    );
    let doc = CompleteMultipartUpload::from_xml(BOTO3_TLS_COMPLETE.as_bytes(), LIMIT).unwrap();
    assert_eq!(
        doc.parts,
        vec![CompletedPart::new(
            1,
            "\"2819dd1d2f6e7764247da2a593c8afef\""
        )]
    );
}

#[test]
fn parses_obs_complete_without_namespace() {
    for (body, second_etag) in [
        (
            OBS_COMPLETE_BAD_ETAG,
            "\"00000000000000000000000000000000\"",
        ),
        (OBS_COMPLETE_OK, "\"157b207a61e35b659283ee23091e2795\""),
        (OBS_NATIVE_COMPLETE, "\"9f7ebecaab9f502da8f097b0a643280b\""),
    ] {
        let doc = CompleteMultipartUpload::from_xml(body.as_bytes(), LIMIT).unwrap();
        assert_eq!(doc.parts.len(), 2);
        assert_eq!(doc.parts[0].part_number, 1);
        assert_eq!(doc.parts[1].part_number, 2);
        assert_eq!(doc.parts[1].etag, second_etag);
    }
    let doc = CompleteMultipartUpload::from_xml(OBS_V4_COMPLETE.as_bytes(), LIMIT).unwrap();
    assert_eq!(
        doc.parts,
        vec![CompletedPart::new(
            1,
            "\"900150983cd24fb0d6963f7d28e17f72\""
        )]
    );
}

#[test]
fn renders_complete_exactly_as_boto3_low_level_sends_it() {
    let doc = CompleteMultipartUpload {
        parts: vec![
            CompletedPart::new(1, "\"aa37909a500fc2ab31b5e7c4c587b978\""),
            CompletedPart::new(2, "\"c53cf8bc1172bc32fdc7f811c790d2c2\""),
        ],
    };
    assert_eq!(doc.to_xml(), body(BOTO3_COMPLETE_OK));
}

#[test]
fn complete_with_checksums_round_trips() {
    let mut part = CompletedPart::new(7, "\"e\"");
    part.checksum_crc32 = Some("Wq4mTw==".into());
    part.checksum_crc64nvme = Some("AAAAAAAAAAA=".into());
    part.checksum_sha256 = Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into());
    let doc = CompleteMultipartUpload {
        parts: vec![part, CompletedPart::new(8, "unquoted")],
    };
    let xml = doc.to_xml();
    assert!(xml.contains(
        "<Part><PartNumber>7</PartNumber><ETag>\"e\"</ETag><ChecksumCRC32>Wq4mTw==</ChecksumCRC32>\
         <ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME>"
    ));
    assert_eq!(
        CompleteMultipartUpload::from_xml(xml.as_bytes(), LIMIT).unwrap(),
        doc
    );
}

#[test]
fn complete_parser_is_tolerant_like_s3() {
    // Pretty-printed, namespace prefix, unknown elements and attributes, comments, CDATA,
    // escaped quotes, whitespace around the number.
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<!-- hand written -->
<s3:CompleteMultipartUpload xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/" foo="bar">
  <s3:Part>
    <s3:PartNumber> 1 </s3:PartNumber>
    <s3:ETag>&quot;abc&quot;</s3:ETag>
    <s3:Unknown><Deeper>x</Deeper></s3:Unknown>
  </s3:Part>
  <s3:Part><s3:ETag><![CDATA["def"]]></s3:ETag><s3:PartNumber>2</s3:PartNumber></s3:Part>
</s3:CompleteMultipartUpload>
"#;
    let doc = CompleteMultipartUpload::from_xml(body.as_bytes(), LIMIT).unwrap();
    assert_eq!(
        doc.parts,
        vec![
            CompletedPart::new(1, "\"abc\""),
            CompletedPart::new(2, "\"def\"")
        ]
    );
}

#[test]
fn complete_part_number_errors_are_precise() {
    let part = |n: &str| {
        format!("<CompleteMultipartUpload><Part><PartNumber>{n}</PartNumber><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>")
    };
    for bad in ["abc", "1.5", "", "99999999999999999999", "0x10"] {
        let err = CompleteMultipartUpload::from_xml(part(bad).as_bytes(), LIMIT).unwrap_err();
        match &err {
            WireError::Invalid { document, message } => {
                assert_eq!(document, "CompleteMultipartUpload");
                assert!(message.contains("PartNumber"), "{message}");
                assert!(message.contains(&format!("{bad:?}")), "{message}");
            }
            other => panic!("{bad:?}: expected Invalid, got {other:?}"),
        }
    }
    // Out-of-range numbers are the service's job (InvalidArgument / InvalidPart).
    for (text, n) in [("0", 0), ("-1", -1), ("10001", 10001), ("+3", 3)] {
        let doc = CompleteMultipartUpload::from_xml(part(text).as_bytes(), LIMIT).unwrap();
        assert_eq!(doc.parts[0].part_number, n);
    }
}

#[test]
fn complete_missing_elements_are_reported() {
    let err = CompleteMultipartUpload::from_xml(
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
        LIMIT,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid CompleteMultipartUpload document: missing field `ETag`"
    );
    let err = CompleteMultipartUpload::from_xml(
        b"<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
        LIMIT,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("missing field `PartNumber`"),
        "{err}"
    );
    // No parts at all is well-formed; S3 answers MalformedXML, which the service decides.
    let doc = CompleteMultipartUpload::from_xml(b"<CompleteMultipartUpload/>", LIMIT).unwrap();
    assert!(doc.parts.is_empty());
}

#[test]
fn complete_with_split_part_list_is_rejected() {
    let body = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>\
                <Junk/><Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>";
    let err = CompleteMultipartUpload::from_xml(body.as_bytes(), LIMIT).unwrap_err();
    assert!(err.to_string().contains("duplicate field `Part`"), "{err}");
}

#[test]
fn ten_thousand_and_one_parts_parse() {
    let doc = CompleteMultipartUpload {
        parts: (1..=10_001)
            .map(|n| CompletedPart::new(n, format!("\"{n:032x}\"")))
            .collect(),
    };
    let xml = doc.to_xml();
    assert!(xml.len() < LIMIT);
    let back = CompleteMultipartUpload::from_xml(xml.as_bytes(), LIMIT).unwrap();
    assert_eq!(back.parts.len(), 10_001);
    assert_eq!(back, doc);
}

#[test]
fn wrong_root_is_reported() {
    let err = CompleteMultipartUpload::from_xml(b"<Delete/>", LIMIT).unwrap_err();
    assert_eq!(
        err,
        WireError::UnexpectedRoot {
            expected: "CompleteMultipartUpload",
            found: "Delete".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "expected root element <CompleteMultipartUpload>, got <Delete>"
    );
}

#[test]
fn delete_request_as_botocore_sends_it() {
    let sent = r#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a b</Key></Object><Object><Key> x&amp;y&lt;z </Key><VersionId>null</VersionId></Object><Quiet>true</Quiet></Delete>"#;
    let doc = Delete::from_xml(sent.as_bytes(), LIMIT).unwrap();
    assert!(doc.quiet);
    assert_eq!(
        doc.objects,
        vec![
            ObjectIdentifier::new("a b"),
            ObjectIdentifier {
                key: " x&y<z ".into(),
                version_id: Some("null".into())
            }
        ]
    );
    assert_eq!(doc.to_xml(), body(sent));

    // Quiet first, absent or "false".
    let doc = Delete::from_xml(
        b"<Delete><Quiet>false</Quiet><Object><Key>k</Key></Object></Delete>",
        LIMIT,
    )
    .unwrap();
    assert!(!doc.quiet);
    let doc = Delete::from_xml(b"<Delete><Object><Key>k</Key></Object></Delete>", LIMIT).unwrap();
    assert!(!doc.quiet);
    assert_eq!(doc.objects.len(), 1);
    let err = Delete::from_xml(b"<Delete><Object></Object></Delete>", LIMIT).unwrap_err();
    assert!(err.to_string().contains("missing field `Key`"), "{err}");
}

#[test]
fn create_bucket_configuration() {
    let captured = r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#;
    let doc = CreateBucketConfiguration {
        location_constraint: Some("eu-west-1".into()),
    };
    assert_matches_capture(&doc, captured);
    // boto3 sends it without declaration.
    let parsed = CreateBucketConfiguration::from_xml(captured.as_bytes(), LIMIT).unwrap();
    assert_eq!(parsed, doc);
}

// ---------------------------------------------------------------------------------------------
// Responses: rendered byte for byte as captured, and parsed back

#[test]
fn initiate_result_matches_capture() {
    assert_matches_capture(
        &InitiateMultipartUploadResult {
            bucket: "s3-bucket".into(),
            key: "big/object.bin".into(),
            upload_id: "1E982323956640EF87E163E209E3CEC0".into(),
        },
        r#"<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>s3-bucket</Bucket><Key>big/object.bin</Key><UploadId>1E982323956640EF87E163E209E3CEC0</UploadId></InitiateMultipartUploadResult>"#,
    );
    let err = InitiateMultipartUploadResult::from_xml(
        b"<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>",
        LIMIT,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("missing field `UploadId`"),
        "{err}"
    );
}

#[test]
fn copy_part_result_matches_capture() {
    assert_matches_capture(
        &CopyPartResult {
            last_modified: "2026-11-21T04:30:22.000Z".into(),
            etag: "\"9209b68759c15753b98927dc3d2752a1\"".into(),
            ..CopyPartResult::default()
        },
        r#"<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-11-21T04:30:22.000Z</LastModified><ETag>"9209b68759c15753b98927dc3d2752a1"</ETag></CopyPartResult>"#,
    );
}

#[test]
fn copy_object_result_round_trips() {
    let doc = CopyObjectResult {
        last_modified: "2026-11-21T04:30:22.000Z".into(),
        etag: "\"9209b68759c15753b98927dc3d2752a1\"".into(),
        checksum_crc32: Some("AAAAAA==".into()),
        ..CopyObjectResult::default()
    };
    let xml = doc.to_xml();
    assert!(xml.contains(
        "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LastModified>"
    ));
    assert_eq!(
        CopyObjectResult::from_xml(xml.as_bytes(), LIMIT).unwrap(),
        doc
    );
}

fn captured_list_parts() -> ListPartsResult {
    let part = |n: i64, etag: &str, size: u64| Part {
        part_number: n,
        last_modified: "2026-11-21T04:30:22.000Z".into(),
        etag: format!("\"{etag}\""),
        size,
        ..Part::default()
    };
    ListPartsResult {
        bucket: "s3-bucket".into(),
        key: "big/object.bin".into(),
        upload_id: "1E982323956640EF87E163E209E3CEC0".into(),
        initiator: mock_owner(),
        owner: mock_owner(),
        storage_class: Some("STANDARD".into()),
        part_number_marker: 0,
        next_part_number_marker: Some(3),
        max_parts: 100,
        is_truncated: false,
        parts: vec![
            part(1, "aa37909a500fc2ab31b5e7c4c587b978", 5_242_880),
            part(2, "c53cf8bc1172bc32fdc7f811c790d2c2", 1_048_579),
            part(3, "9209b68759c15753b98927dc3d2752a1", 100),
        ],
        checksum_algorithm: None,
        checksum_type: None,
    }
}

#[test]
fn list_parts_result_matches_capture() {
    assert_matches_capture(
        &captured_list_parts(),
        r#"<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>s3-bucket</Bucket><Key>big/object.bin</Key><UploadId>1E982323956640EF87E163E209E3CEC0</UploadId><Initiator><ID>mockowner</ID><DisplayName>mock</DisplayName></Initiator><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>100</MaxParts><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><LastModified>2026-11-21T04:30:22.000Z</LastModified><ETag>"aa37909a500fc2ab31b5e7c4c587b978"</ETag><Size>5242880</Size></Part><Part><PartNumber>2</PartNumber><LastModified>2026-11-21T04:30:22.000Z</LastModified><ETag>"c53cf8bc1172bc32fdc7f811c790d2c2"</ETag><Size>1048579</Size></Part><Part><PartNumber>3</PartNumber><LastModified>2026-11-21T04:30:22.000Z</LastModified><ETag>"9209b68759c15753b98927dc3d2752a1"</ETag><Size>100</Size></Part></ListPartsResult>"#,
    );
}

#[test]
fn list_parts_with_checksums_round_trips() {
    let mut doc = captured_list_parts();
    doc.checksum_algorithm = Some("CRC32".into());
    doc.checksum_type = Some("COMPOSITE".into());
    doc.is_truncated = true;
    doc.parts[0].checksum_crc32 = Some("Wq4mTw==".into());
    let xml = doc.to_xml();
    assert!(
        xml.contains("<Size>5242880</Size><ChecksumCRC32>Wq4mTw==</ChecksumCRC32></Part>"),
        "{xml}"
    );
    assert!(xml.contains("<IsTruncated>true</IsTruncated>"));
    assert!(xml.ends_with("<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType></ListPartsResult>"));
    assert_eq!(
        ListPartsResult::from_xml(xml.as_bytes(), LIMIT).unwrap(),
        doc
    );
}

#[test]
fn list_parts_in_obs_native_namespace_parses() {
    // obs-sdk_localhost_negotiated-obs-mode.txt, line 304.
    let captured = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://obs.myhwclouds.com/doc/2015-06-30/"><Bucket>obs-bucket</Bucket><Key>big/object.bin</Key><UploadId>964D08FD1EF74A56A0A4AB3693C80B84</UploadId><Initiator><ID>mockowner</ID><DisplayName>mock</DisplayName></Initiator><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>4</NextPartNumberMarker><MaxParts>100</MaxParts><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><LastModified>2026-11-21T04:29:10.000Z</LastModified><ETag>"3553f41a96411dbf8455f2dd86feca54"</ETag><Size>204800</Size></Part><Part><PartNumber>2</PartNumber><LastModified>2026-11-21T04:29:10.000Z</LastModified><ETag>"9f7ebecaab9f502da8f097b0a643280b"</ETag><Size>61440</Size></Part><Part><PartNumber>3</PartNumber><LastModified>2026-11-21T04:29:10.000Z</LastModified><ETag>"0d10f78664eff26d5a968f0994e6dade"</ETag><Size>20</Size></Part><Part><PartNumber>4</PartNumber><LastModified>2026-11-21T04:29:10.000Z</LastModified><ETag>"9209b68759c15753b98927dc3d2752a1"</ETag><Size>100</Size></Part></ListPartsResult>"#;
    let doc = ListPartsResult::from_xml(captured.as_bytes(), LIMIT).unwrap();
    assert_eq!(doc.next_part_number_marker, Some(4));
    let sizes: Vec<u64> = doc.parts.iter().map(|p| p.size).collect();
    assert_eq!(sizes, vec![204_800, 61_440, 20, 100]);
    assert_eq!(doc.parts[3].etag, "\"9209b68759c15753b98927dc3d2752a1\"");
}

#[test]
fn list_parts_from_other_servers_parses() {
    // Empty markers, pretty printing, missing optional elements.
    let body = "<ListPartsResult>\n  <Bucket>b</Bucket>\n  <PartNumberMarker/>\n  <IsTruncated>true</IsTruncated>\n\
                <Part><ETag>\"x\"</ETag><PartNumber>9</PartNumber></Part>\n</ListPartsResult>";
    let doc = ListPartsResult::from_xml(body.as_bytes(), LIMIT).unwrap();
    assert_eq!(doc.part_number_marker, 0);
    assert_eq!(doc.next_part_number_marker, None);
    assert!(doc.is_truncated);
    assert_eq!(doc.parts[0].part_number, 9);
    assert_eq!(doc.parts[0].size, 0);
}

#[test]
fn list_multipart_uploads_result_matches_capture() {
    let doc = ListMultipartUploadsResult {
        bucket: "s3-bucket".into(),
        prefix: Some("big/".into()),
        max_uploads: 1000,
        uploads: vec![Upload {
            key: "big/object.bin".into(),
            upload_id: "1E982323956640EF87E163E209E3CEC0".into(),
            initiator: mock_owner(),
            owner: mock_owner(),
            storage_class: Some("STANDARD".into()),
            initiated: "2026-11-21T04:30:22.000Z".into(),
            checksum_algorithm: None,
        }],
        ..ListMultipartUploadsResult::default()
    };
    assert_matches_capture(
        &doc,
        r#"<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>s3-bucket</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker><Prefix>big/</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated><Upload><Key>big/object.bin</Key><UploadId>1E982323956640EF87E163E209E3CEC0</UploadId><Initiator><ID>mockowner</ID><DisplayName>mock</DisplayName></Initiator><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>2026-11-21T04:30:22.000Z</Initiated></Upload></ListMultipartUploadsResult>"#,
    );
}

#[test]
fn list_multipart_uploads_with_prefixes_and_url_encoding() {
    let mut doc = ListMultipartUploadsResult {
        bucket: "b".into(),
        key_marker: "a b".into(),
        next_key_marker: "c+d".into(),
        prefix: Some("dir one/".into()),
        delimiter: Some("/".into()),
        max_uploads: 2,
        is_truncated: true,
        uploads: vec![Upload {
            key: "dir one/é".into(),
            upload_id: "U1".into(),
            initiated: "2026-11-21T04:30:22.000Z".into(),
            ..Upload::default()
        }],
        common_prefixes: vec![CommonPrefix::new("dir one/sub/")],
        ..ListMultipartUploadsResult::default()
    };
    let original = doc.clone();
    doc.url_encode();
    let xml = doc.to_xml();
    assert!(xml.contains("<Key>dir%20one/%C3%A9</Key>"), "{xml}");
    assert!(
        xml.contains("<NextKeyMarker>c%2Bd</NextKeyMarker>"),
        "{xml}"
    );
    assert!(xml.contains("<CommonPrefixes><Prefix>dir%20one/sub/</Prefix></CommonPrefixes>"));
    assert!(xml.ends_with("<EncodingType>url</EncodingType></ListMultipartUploadsResult>"));
    let mut parsed = ListMultipartUploadsResult::from_xml(xml.as_bytes(), LIMIT).unwrap();
    assert_eq!(parsed, doc);
    parsed.url_decode().unwrap();
    assert_eq!(parsed, original);
}

#[test]
fn complete_result_matches_captures() {
    assert_matches_capture(
        &CompleteMultipartUploadResult {
            location: "http://127.0.0.1:PORT/s3-bucket/big/object.bin".into(),
            bucket: "s3-bucket".into(),
            key: "big/object.bin".into(),
            etag: "\"fd3a045b93a15db69bf0e6ad91e191bb-2\"".into(),
            ..CompleteMultipartUploadResult::default()
        },
        r#"<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://127.0.0.1:PORT/s3-bucket/big/object.bin</Location><Bucket>s3-bucket</Bucket><Key>big/object.bin</Key><ETag>"fd3a045b93a15db69bf0e6ad91e191bb-2"</ETag></CompleteMultipartUploadResult>"#,
    );
    // boto3_127.0.0.1_http_upload_file-transferconfig.txt, line 200.
    assert_matches_capture(
        &CompleteMultipartUploadResult {
            location: "http://127.0.0.1:PORT/s3-bucket/big/object.bin".into(),
            bucket: "s3-bucket".into(),
            key: "big/object.bin".into(),
            etag: "\"f469920daa7cc678ad1fbde3550d25a6-3\"".into(),
            checksum_crc32: Some("E+qRkg==-3".into()),
            checksum_type: Some("COMPOSITE".into()),
            ..CompleteMultipartUploadResult::default()
        },
        r#"<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://127.0.0.1:PORT/s3-bucket/big/object.bin</Location><Bucket>s3-bucket</Bucket><Key>big/object.bin</Key><ETag>"f469920daa7cc678ad1fbde3550d25a6-3"</ETag><ChecksumCRC32>E+qRkg==-3</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType></CompleteMultipartUploadResult>"#,
    );
}

#[test]
fn error_inside_200_is_detected_by_root() {
    // boto3_127.0.0.1_http_multipart-lowlevel.txt lines 913-915: note the empty line.
    let captured = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>MOCKREQID</RequestId><HostId>mockhostid</HostId></Error>";
    assert_eq!(captured.len(), 210, "Content-Length of the capture");
    let err = CompleteMultipartUploadResult::from_xml(captured.as_bytes(), LIMIT).unwrap_err();
    assert_eq!(
        err,
        WireError::UnexpectedRoot {
            expected: "CompleteMultipartUploadResult",
            found: "Error".into()
        }
    );
    assert_eq!(root_element(captured.as_bytes(), LIMIT).unwrap(), "Error");
    let answer =
        parse_result_or_error::<CompleteMultipartUploadResult>(captured.as_bytes(), LIMIT).unwrap();
    assert_eq!(answer.unwrap_err().code, "InternalError");
    let ok_body = body(
        r#"<CompleteMultipartUploadResult><ETag>"e-1"</ETag></CompleteMultipartUploadResult>"#,
    );
    let answer =
        parse_result_or_error::<CompleteMultipartUploadResult>(ok_body.as_bytes(), LIMIT).unwrap();
    assert_eq!(answer.unwrap().etag, "\"e-1\"");
    assert!(matches!(
        parse_result_or_error::<CompleteMultipartUploadResult>(b"<Other/>", LIMIT),
        Err(WireError::UnexpectedRoot { .. })
    ));
    assert!(matches!(
        parse_result_or_error::<CompleteMultipartUploadResult>(b"<Error><Code>", LIMIT),
        Err(WireError::Truncated { .. })
    ));
    let doc = ErrorDocument::from_xml(captured.as_bytes(), LIMIT).unwrap();
    assert_eq!(
        doc,
        ErrorDocument::new(
            "InternalError",
            "We encountered an internal error. Please try again."
        )
        .with_request_id("MOCKREQID")
        .with_host_id("mockhostid")
    );
}

#[test]
fn error_documents_match_captures() {
    let std = |d: ErrorDocument, resource: &str| {
        d.with_resource(resource)
            .with_request_id("MOCKREQID")
            .with_host_id("mockhostid")
    };
    let cases = [
        (
            std(
                ErrorDocument::new(
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
                ),
                "/s3-bucket/big/object.bin",
            ),
            r#"<Error><Code>InvalidPartOrder</Code><Message>The list of parts was not in ascending order. The parts list must be specified in order by part number.</Message><Resource>/s3-bucket/big/object.bin</Resource><RequestId>MOCKREQID</RequestId><HostId>mockhostid</HostId></Error>"#,
        ),
        (
            std(
                ErrorDocument::new(
                    "NoSuchUpload",
                    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
                )
                .with_extra("UploadId", "nonexistent"),
                "/s3-bucket/big/object.bin",
            ),
            r#"<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.</Message><UploadId>nonexistent</UploadId><Resource>/s3-bucket/big/object.bin</Resource><RequestId>MOCKREQID</RequestId><HostId>mockhostid</HostId></Error>"#,
        ),
        (
            std(
                ErrorDocument::new(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                )
                .with_extra("ProposedSize", "10")
                .with_extra("MinSizeAllowed", "5242880")
                .with_extra("PartNumber", "1")
                .with_extra("ETag", "\"e09c80c42fda55f9d992e59ca6b3307d\""),
                "/s3-bucket/small.bin",
            ),
            r#"<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is smaller than the minimum allowed object size.</Message><ProposedSize>10</ProposedSize><MinSizeAllowed>5242880</MinSizeAllowed><PartNumber>1</PartNumber><ETag>"e09c80c42fda55f9d992e59ca6b3307d"</ETag><Resource>/s3-bucket/small.bin</Resource><RequestId>MOCKREQID</RequestId><HostId>mockhostid</HostId></Error>"#,
        ),
        (
            std(
                ErrorDocument::new("NoSuchKey", "The specified key does not exist.")
                    .with_extra("Key", "missing"),
                "/s3-bucket/missing",
            ),
            r#"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>missing</Key><Resource>/s3-bucket/missing</Resource><RequestId>MOCKREQID</RequestId><HostId>mockhostid</HostId></Error>"#,
        ),
        (
            std(
                ErrorDocument::new("NoSuchBucket", "The specified bucket does not exist")
                    .with_extra("BucketName", "nobucket"),
                "/nobucket/x",
            ),
            r#"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>nobucket</BucketName><Resource>/nobucket/x</Resource><RequestId>MOCKREQID</RequestId><HostId>mockhostid</HostId></Error>"#,
        ),
        (
            // obs-sdk_127.0.0.1_s3compat-v2-mode.txt, line 317.
            std(
                ErrorDocument::new(
                    "InvalidPart",
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                )
                .with_extra("UploadId", "A2488E75346940FE983E8002C437D6AC")
                .with_extra("PartNumber", "2")
                .with_extra("ETag", "\"00000000000000000000000000000000\""),
                "/obs-bucket/big/object.bin",
            ),
            r#"<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.</Message><UploadId>A2488E75346940FE983E8002C437D6AC</UploadId><PartNumber>2</PartNumber><ETag>"00000000000000000000000000000000"</ETag><Resource>/obs-bucket/big/object.bin</Resource><RequestId>MOCKREQID</RequestId><HostId>mockhostid</HostId></Error>"#,
        ),
    ];
    for (doc, captured) in cases {
        assert_matches_capture(&doc, captured);
    }
}

#[test]
fn error_document_extras() {
    let doc = ErrorDocument::new("SignatureDoesNotMatch", "m")
        .with_extra("StringToSign", "PUT\n\n\nSat, 21 Nov 2026 04:29:10 GMT\n/b")
        .with_extra("ArgumentName", "partNumber")
        .with_extra("bad name", "skipped")
        .with_extra("Code", "would duplicate")
        .with_extra("a<b", "skipped")
        .with_extra("xmlFoo", "reserved prefix")
        .with_extra("ArgumentValue", "");
    let xml = doc.to_xml();
    assert!(
        xml.ends_with(
            "<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message>\
             <StringToSign>PUT\n\n\nSat, 21 Nov 2026 04:29:10 GMT\n/b</StringToSign>\
             <ArgumentName>partNumber</ArgumentName><ArgumentValue></ArgumentValue></Error>"
        ),
        "{xml}"
    );
    let back = ErrorDocument::from_xml(xml.as_bytes(), LIMIT).unwrap();
    assert_eq!(
        back.extra,
        vec![
            (
                "StringToSign".to_owned(),
                "PUT\n\n\nSat, 21 Nov 2026 04:29:10 GMT\n/b".to_owned()
            ),
            ("ArgumentName".to_owned(), "partNumber".to_owned()),
            ("ArgumentValue".to_owned(), String::new()),
        ]
    );
    assert_eq!(back.extra("ArgumentName"), Some("partNumber"));
    assert_eq!(back.extra("Nope"), None);
}

#[test]
fn error_document_parser_is_tolerant() {
    let body = r#"<Error xmlns="urn:x" a="b"><Message>m</Message><Nested><Inner>1</Inner></Nested><Code>C</Code><Empty/><Resource>/r</Resource></Error>"#;
    let doc = ErrorDocument::from_xml(body.as_bytes(), LIMIT).unwrap();
    assert_eq!(doc.code, "C");
    assert_eq!(doc.message, "m");
    assert_eq!(doc.resource.as_deref(), Some("/r"));
    assert_eq!(doc.extra, vec![("Empty".to_owned(), String::new())]);
    // A root other than Error is not an error document.
    assert!(matches!(
        ErrorDocument::from_xml(b"<ErrorX/>", LIMIT),
        Err(WireError::UnexpectedRoot { .. })
    ));
}

fn captured_object(etag: &str, size: u64) -> Object {
    Object {
        key: "big/object.bin".into(),
        last_modified: "2026-11-21T04:30:22.000Z".into(),
        etag: etag.into(),
        size,
        owner: mock_owner(),
        storage_class: Some("STANDARD".into()),
        checksum_algorithm: None,
    }
}

#[test]
fn list_bucket_result_v2_matches_capture() {
    assert_matches_capture(
        &ListBucketResult {
            name: "s3-bucket".into(),
            prefix: Some("big/".into()),
            key_count: Some(1),
            max_keys: 1000,
            contents: vec![captured_object(
                "\"fd3a045b93a15db69bf0e6ad91e191bb-2\"",
                6_291_459,
            )],
            ..ListBucketResult::default()
        },
        r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>s3-bucket</Name><Prefix>big/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>big/object.bin</Key><LastModified>2026-11-21T04:30:22.000Z</LastModified><ETag>"fd3a045b93a15db69bf0e6ad91e191bb-2"</ETag><Size>6291459</Size><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"#,
    );
    // boto3_localhost_addressing-styles.txt, line 211: empty prefix written as <Prefix></Prefix>.
    let mut object = captured_object("\"9dd4e461268c8034f5c8564e155c67a6\"", 1);
    object.key = "k.txt".into();
    object.last_modified = "2026-11-21T04:30:35.000Z".into();
    assert_matches_capture(
        &ListBucketResult {
            name: "s3-bucket".into(),
            prefix: Some(String::new()),
            key_count: Some(1),
            max_keys: 1000,
            contents: vec![object],
            ..ListBucketResult::default()
        },
        r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>s3-bucket</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>k.txt</Key><LastModified>2026-11-21T04:30:35.000Z</LastModified><ETag>"9dd4e461268c8034f5c8564e155c67a6"</ETag><Size>1</Size><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"#,
    );
}

#[test]
fn list_bucket_result_v1_matches_capture() {
    assert_matches_capture(
        &ListBucketResult {
            name: "s3-bucket".into(),
            prefix: Some("big/".into()),
            marker: Some(String::new()),
            max_keys: 1000,
            contents: vec![captured_object(
                "\"fd3a045b93a15db69bf0e6ad91e191bb-2\"",
                6_291_459,
            )],
            ..ListBucketResult::default()
        },
        r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>s3-bucket</Name><Prefix>big/</Prefix><Marker></Marker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>big/object.bin</Key><LastModified>2026-11-21T04:30:22.000Z</LastModified><ETag>"fd3a045b93a15db69bf0e6ad91e191bb-2"</ETag><Size>6291459</Size><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"#,
    );
}

#[test]
fn list_bucket_result_paging_fields_round_trip() {
    let doc = ListBucketResult {
        name: "b".into(),
        prefix: Some(String::new()),
        continuation_token: Some("tok/+=".into()),
        next_continuation_token: Some("next".into()),
        start_after: Some("a".into()),
        key_count: Some(2),
        max_keys: 1,
        delimiter: Some("/".into()),
        is_truncated: true,
        contents: vec![Object {
            key: "b".into(),
            ..Object::default()
        }],
        common_prefixes: vec![CommonPrefix::new("c/")],
        ..ListBucketResult::default()
    };
    let xml = doc.to_xml();
    assert!(xml.contains("<Name>b</Name><Prefix></Prefix><ContinuationToken>tok/+=</ContinuationToken><NextContinuationToken>next</NextContinuationToken><StartAfter>a</StartAfter><KeyCount>2</KeyCount><MaxKeys>1</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents>"), "{xml}");
    assert!(xml.ends_with(
        "</Contents><CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes></ListBucketResult>"
    ));
    assert_eq!(
        ListBucketResult::from_xml(xml.as_bytes(), LIMIT).unwrap(),
        doc
    );
}

#[test]
fn keys_with_hostile_characters_survive_both_paths() {
    let key = "a&b<c>\"d'e \u{1}\u{7}\r\n\tz ";
    let doc = ListBucketResult {
        name: "b".into(),
        prefix: Some(String::new()),
        contents: vec![Object {
            key: key.into(),
            ..Object::default()
        }],
        ..ListBucketResult::default()
    };
    // Without encoding-type: escapes and character references, readable by this parser.
    let xml = doc.to_xml();
    assert!(
        xml.contains("<Key>a&amp;b&lt;c&gt;\"d'e &#x1;&#x7;&#xD;\n\tz </Key>"),
        "{xml:?}"
    );
    let back = ListBucketResult::from_xml(xml.as_bytes(), LIMIT).unwrap();
    assert_eq!(back.contents[0].key, key);
    // With encoding-type=url: nothing but ASCII, no references.
    let mut encoded = doc.clone();
    encoded.url_encode();
    let xml = encoded.to_xml();
    assert!(!xml.contains("&#x"), "{xml}");
    assert!(
        xml.contains("<Key>a%26b%3Cc%3E%22d%27e%20%01%07%0D%0A%09z%20</Key>"),
        "{xml}"
    );
    let mut back = ListBucketResult::from_xml(xml.as_bytes(), LIMIT).unwrap();
    back.url_decode().unwrap();
    assert_eq!(back, doc);
}

#[test]
fn list_bucket_result_from_real_s3_style_output_parses() {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <KeyCount>2</KeyCount>
    <MaxKeys>1000</MaxKeys>
    <Delimiter>/</Delimiter>
    <EncodingType>url</EncodingType>
    <IsTruncated>false</IsTruncated>
    <Contents>
        <Key>my+image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
        <ChecksumAlgorithm>CRC32</ChecksumAlgorithm>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
        <RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress></RestoreStatus>
    </Contents>
    <CommonPrefixes><Prefix>photos%2F</Prefix></CommonPrefixes>
</ListBucketResult>"#;
    let mut doc = ListBucketResult::from_xml(body.as_bytes(), LIMIT).unwrap();
    doc.url_decode().unwrap();
    assert_eq!(doc.prefix.as_deref(), Some(""));
    assert_eq!(doc.contents[0].key, "my image.jpg");
    assert_eq!(doc.contents[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
    assert_eq!(doc.contents[0].checksum_algorithm.as_deref(), Some("CRC32"));
    assert_eq!(doc.common_prefixes, vec![CommonPrefix::new("photos/")]);
}

fn sample_versions() -> ListVersionsResult {
    let version = |key: &str| {
        VersionEntry::Version(ObjectVersion {
            key: key.into(),
            version_id: "null".into(),
            is_latest: true,
            last_modified: "2026-11-21T04:30:22.000Z".into(),
            etag: "\"9dd4e461268c8034f5c8564e155c67a6\"".into(),
            size: 1,
            storage_class: Some("STANDARD".into()),
            owner: mock_owner(),
        })
    };
    ListVersionsResult {
        name: "b".into(),
        prefix: Some(String::new()),
        key_marker: String::new(),
        version_id_marker: String::new(),
        next_key_marker: None,
        next_version_id_marker: None,
        max_keys: 1000,
        delimiter: None,
        is_truncated: false,
        entries: vec![
            version("a"),
            VersionEntry::DeleteMarker(DeleteMarkerEntry {
                key: "b".into(),
                version_id: "v2".into(),
                is_latest: true,
                last_modified: "2026-11-21T04:30:22.000Z".into(),
                owner: mock_owner(),
            }),
            version("c"),
        ],
        common_prefixes: vec![CommonPrefix::new("d/")],
        encoding_type: None,
    }
}

#[test]
fn list_versions_result_renders_in_s3_shape() {
    let xml = sample_versions().to_xml();
    assert_eq!(
        xml,
        body(
            r#"<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Version><Key>a</Key><VersionId>null</VersionId><IsLatest>true</IsLatest><LastModified>2026-11-21T04:30:22.000Z</LastModified><ETag>"9dd4e461268c8034f5c8564e155c67a6"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner></Version><DeleteMarker><Key>b</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest><LastModified>2026-11-21T04:30:22.000Z</LastModified><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner></DeleteMarker><Version><Key>c</Key><VersionId>null</VersionId><IsLatest>true</IsLatest><LastModified>2026-11-21T04:30:22.000Z</LastModified><ETag>"9dd4e461268c8034f5c8564e155c67a6"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner></Version><CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes></ListVersionsResult>"#
        )
    );
    assert_eq!(
        ListVersionsResult::from_xml(xml.as_bytes(), LIMIT).unwrap(),
        sample_versions()
    );
}

#[test]
fn list_versions_parser_accepts_any_interleaving() {
    let body = "<ListVersionsResult><Version><Key>a</Key></Version><Name>b</Name><Unknown><X/></Unknown>\
                <DeleteMarker><Key>b</Key></DeleteMarker><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>\
                <Version><Key>c</Key><VersionId>null</VersionId></Version><IsTruncated>true</IsTruncated>\
                <NextKeyMarker>c</NextKeyMarker><EncodingType>url</EncodingType></ListVersionsResult>";
    let doc = ListVersionsResult::from_xml(body.as_bytes(), LIMIT).unwrap();
    let keys: Vec<&str> = doc.entries.iter().map(VersionEntry::key).collect();
    assert_eq!(keys, vec!["a", "b", "c"]);
    assert!(matches!(doc.entries[1], VersionEntry::DeleteMarker(_)));
    assert_eq!(doc.name, "b");
    assert!(doc.is_truncated);
    assert_eq!(doc.next_key_marker.as_deref(), Some("c"));
    assert_eq!(doc.common_prefixes.len(), 1);
    let err = ListVersionsResult::from_xml(
        b"<ListVersionsResult><Version/></ListVersionsResult>",
        LIMIT,
    )
    .unwrap_err();
    assert!(err.to_string().contains("missing field `Key`"), "{err}");
}

#[test]
fn list_versions_url_encoding_round_trips() {
    let mut doc = sample_versions();
    doc.key_marker = "k m".into();
    doc.next_key_marker = Some("n+m".into());
    doc.entries[0] = match doc.entries[0].clone() {
        VersionEntry::Version(mut v) => {
            v.key = "ä b".into();
            VersionEntry::Version(v)
        }
        other => other,
    };
    let original = doc.clone();
    doc.url_encode();
    assert_eq!(doc.entries[0].key(), "%C3%A4%20b");
    assert_eq!(doc.key_marker, "k%20m");
    doc.url_encode(); // idempotent: already encoded
    assert_eq!(doc.entries[0].key(), "%C3%A4%20b");
    let mut parsed = ListVersionsResult::from_xml(doc.to_xml().as_bytes(), LIMIT).unwrap();
    parsed.url_decode().unwrap();
    assert_eq!(parsed, original);
}

#[test]
fn list_all_my_buckets_result_round_trips() {
    let doc = ListAllMyBucketsResult {
        owner: mock_owner(),
        buckets: Buckets {
            buckets: vec![
                Bucket {
                    name: "a".into(),
                    creation_date: "2026-11-21T04:30:22.000Z".into(),
                    bucket_region: None,
                },
                Bucket {
                    name: "b".into(),
                    creation_date: "2026-11-21T04:30:23.000Z".into(),
                    bucket_region: Some("us-east-1".into()),
                },
            ],
        },
        ..ListAllMyBucketsResult::default()
    };
    let xml = doc.to_xml();
    assert_eq!(
        xml,
        body(
            r#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>mockowner</ID><DisplayName>mock</DisplayName></Owner><Buckets><Bucket><Name>a</Name><CreationDate>2026-11-21T04:30:22.000Z</CreationDate></Bucket><Bucket><Name>b</Name><CreationDate>2026-11-21T04:30:23.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets></ListAllMyBucketsResult>"#
        )
    );
    assert_eq!(
        ListAllMyBucketsResult::from_xml(xml.as_bytes(), LIMIT).unwrap(),
        doc
    );
    let empty = ListAllMyBucketsResult::default();
    assert!(empty
        .to_xml()
        .ends_with("<Buckets></Buckets></ListAllMyBucketsResult>"));
    assert_eq!(
        ListAllMyBucketsResult::from_xml(empty.to_xml().as_bytes(), LIMIT).unwrap(),
        empty
    );
}

#[test]
fn location_constraint_is_the_root_text() {
    let us = LocationConstraint::default();
    assert_eq!(
        us.to_xml(),
        body(
            r#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>"#
        )
    );
    assert_eq!(
        LocationConstraint::from_xml(us.to_xml().as_bytes(), LIMIT).unwrap(),
        us
    );
    let eu = LocationConstraint {
        region: "eu-west-1".into(),
    };
    assert_matches_capture(
        &eu,
        r#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#,
    );
    let self_closing = LocationConstraint::from_xml(
        br#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#,
        LIMIT,
    )
    .unwrap();
    assert_eq!(self_closing.region, "");
}

#[test]
fn versioning_configuration() {
    let unversioned = VersioningConfiguration::default();
    assert_eq!(
        unversioned.to_xml(),
        body(
            r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></VersioningConfiguration>"#
        )
    );
    // PutBucketVersioning as boto3 sends it.
    let put = VersioningConfiguration::from_xml(
        br#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#,
        LIMIT,
    )
    .unwrap();
    assert_eq!(put.status.as_deref(), Some("Enabled"));
    assert_eq!(
        VersioningConfiguration::from_xml(put.to_xml().as_bytes(), LIMIT).unwrap(),
        put
    );
}

#[test]
fn delete_result_round_trips_and_accepts_interleaving() {
    let doc = DeleteResult {
        deleted: vec![
            DeletedObject {
                key: "a".into(),
                ..DeletedObject::default()
            },
            DeletedObject {
                key: "b".into(),
                version_id: Some("null".into()),
                delete_marker: Some(true),
                delete_marker_version_id: Some("v".into()),
            },
        ],
        errors: vec![DeleteError {
            key: "c".into(),
            version_id: None,
            code: "AccessDenied".into(),
            message: "Access Denied".into(),
        }],
    };
    let xml = doc.to_xml();
    assert_eq!(
        xml,
        body(
            r#"<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>a</Key></Deleted><Deleted><Key>b</Key><VersionId>null</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>v</DeleteMarkerVersionId></Deleted><Error><Key>c</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>"#
        )
    );
    assert_eq!(DeleteResult::from_xml(xml.as_bytes(), LIMIT).unwrap(), doc);
    let mixed =
        "<DeleteResult><Error><Key>c</Key><Code>X</Code></Error><Deleted><Key>a</Key></Deleted>\
                 <Error><Key>d</Key></Error><Deleted><Key>b</Key></Deleted></DeleteResult>";
    let parsed = DeleteResult::from_xml(mixed.as_bytes(), LIMIT).unwrap();
    assert_eq!(parsed.deleted.len(), 2);
    assert_eq!(parsed.errors.len(), 2);
    assert_eq!(parsed.errors[1].key, "d");
    let quiet = DeleteResult::default();
    assert!(quiet.to_xml().ends_with(
        "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>"
    ));
}

#[test]
fn every_document_renders_through_the_fallible_path() {
    use crate::wire::xml::render_xml;
    fn check<T: XmlDocument>(doc: &T) {
        let rendered = render_xml(T::ROOT, T::NAMESPACE, doc).unwrap();
        assert_eq!(rendered, doc.to_xml());
        let has_ns = rendered.contains(&format!("<{} xmlns=\"{S3_NAMESPACE}\"", T::ROOT));
        assert_eq!(has_ns, T::NAMESPACE.is_some(), "{}", T::ROOT);
        T::from_xml(rendered.as_bytes(), LIMIT).unwrap();
    }
    check(&CompleteMultipartUpload::default());
    check(&Delete::default());
    check(&CreateBucketConfiguration::default());
    check(&VersioningConfiguration::default());
    check(&LocationConstraint::default());
    check(&InitiateMultipartUploadResult::default());
    check(&CopyPartResult::default());
    check(&CopyObjectResult::default());
    check(&captured_list_parts());
    check(&ListMultipartUploadsResult::default());
    check(&CompleteMultipartUploadResult::default());
    check(&ListBucketResult::default());
    check(&sample_versions());
    check(&ListAllMyBucketsResult::default());
    check(&DeleteResult::default());
    check(&ErrorDocument::new("C", "M"));
}

// ---------------------------------------------------------------------------------------------
// Hostile input

mod hostile {
    use super::*;

    #[test]
    fn ten_mib_body_is_refused_before_parsing() {
        let mut big = String::from("<CompleteMultipartUpload>");
        while big.len() < 10 * 1024 * 1024 {
            big.push_str("<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>");
        }
        big.push_str("</CompleteMultipartUpload>");
        let err = CompleteMultipartUpload::from_xml(big.as_bytes(), LIMIT).unwrap_err();
        assert_eq!(
            err,
            WireError::TooLarge {
                limit: LIMIT,
                actual: big.len()
            }
        );
        assert!(err.to_string().contains("at most 4194304 bytes"), "{err}");
    }

    #[test]
    fn billion_laughs_is_refused() {
        let body = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol9;</ETag></Part></CompleteMultipartUpload>"#;
        let err = CompleteMultipartUpload::from_xml(body.as_bytes(), LIMIT).unwrap_err();
        assert!(
            matches!(err, WireError::DoctypeForbidden { position: 22 }),
            "{err:?}"
        );
        assert!(err.to_string().contains("DOCTYPE"));
    }

    #[test]
    fn external_entity_is_refused() {
        let body = r#"<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&x;</Key></Object></Delete>"#;
        assert!(matches!(
            Delete::from_xml(body.as_bytes(), LIMIT),
            Err(WireError::DoctypeForbidden { position: 0 })
        ));
        // Without a DOCTYPE an undeclared entity is refused by name.
        let body = "<Delete><Object><Key>&x;</Key></Object></Delete>";
        assert_eq!(
            Delete::from_xml(body.as_bytes(), LIMIT).unwrap_err(),
            WireError::UnknownEntity {
                name: "x".into(),
                position: 21
            }
        );
    }

    #[test]
    fn ten_thousand_deep_nesting_is_refused() {
        let depth = 10_000;
        let body = format!(
            "<CompleteMultipartUpload>{}{}</CompleteMultipartUpload>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        let err = CompleteMultipartUpload::from_xml(body.as_bytes(), LIMIT).unwrap_err();
        assert!(
            matches!(err, WireError::TooDeep { limit: 16, .. }),
            "{err:?}"
        );
        // Also when the nesting never closes.
        let body = "<a>".repeat(depth);
        assert!(matches!(
            parse_xml::<CompleteMultipartUpload>(body.as_bytes(), LIMIT),
            Err(WireError::TooDeep { .. })
        ));
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let mut body = OBS_COMPLETE_OK.as_bytes().to_vec();
        let at = body.iter().position(|&b| b == b'"').unwrap();
        body[at] = 0xC3; // lead byte without continuation
        assert_eq!(
            CompleteMultipartUpload::from_xml(&body, LIMIT).unwrap_err(),
            WireError::NotUtf8 { valid_up_to: at }
        );
        assert!(matches!(
            CompleteMultipartUpload::from_xml(b"\xff\xfe<\0a\0/\0>\0", LIMIT),
            Err(WireError::NotUtf8 { valid_up_to: 0 })
        ));
    }

    #[test]
    fn declared_utf16_is_refused() {
        let body = r#"<?xml version="1.0" encoding="UTF-16"?><CompleteMultipartUpload/>"#;
        assert_eq!(
            CompleteMultipartUpload::from_xml(body.as_bytes(), LIMIT).unwrap_err(),
            WireError::UnsupportedEncoding {
                declared: "UTF-16".into()
            }
        );
    }

    #[test]
    fn truncated_documents_are_refused_at_every_length() {
        let full = body(BOTO3_TRANSFER_COMPLETE);
        for len in 0..full.len() {
            let prefix = &full.as_bytes()[..len];
            let result = CompleteMultipartUpload::from_xml(prefix, LIMIT);
            assert!(result.is_err(), "prefix of {len} bytes parsed: {result:?}");
        }
        let cut = &full[..full.len() - "</CompleteMultipartUpload>".len()];
        assert_eq!(
            CompleteMultipartUpload::from_xml(cut.as_bytes(), LIMIT).unwrap_err(),
            WireError::Truncated {
                expected: "</CompleteMultipartUpload>".into()
            }
        );
        assert_eq!(
            CompleteMultipartUpload::from_xml(b"", LIMIT)
                .unwrap_err()
                .to_string(),
            "expected an XML <CompleteMultipartUpload> document, got an empty body"
        );
    }

    #[test]
    fn mutated_captures_never_panic() {
        let bodies = [
            body(BOTO3_TRANSFER_COMPLETE),
            body(OBS_COMPLETE_OK),
            body(
                r#"<ListPartsResult xmlns="x"><Part><PartNumber>1</PartNumber><ETag>"a"</ETag><Size>5</Size></Part><IsTruncated>true</IsTruncated></ListPartsResult>"#,
            ),
            body(r#"<Error><Code>C</Code><X><Y>1</Y></X></Error>"#),
        ];
        let replacements: [&[u8]; 7] = [b"<", b">", b"&", b"\0", b"\xff", b"]]>", b"</x>"];
        let mut parsed_ok = 0usize;
        let mut attempts = 0usize;
        for original in &bodies {
            for pos in 0..original.len() {
                for r in replacements {
                    let mut mutated = original.as_bytes()[..pos].to_vec();
                    mutated.extend_from_slice(r);
                    mutated.extend_from_slice(&original.as_bytes()[pos + 1..]);
                    attempts += 1;
                    parsed_ok +=
                        usize::from(CompleteMultipartUpload::from_xml(&mutated, LIMIT).is_ok());
                    let _ = ListPartsResult::from_xml(&mutated, LIMIT);
                    let _ = ErrorDocument::from_xml(&mutated, LIMIT);
                    let _ = ListVersionsResult::from_xml(&mutated, LIMIT);
                }
            }
        }
        // Some mutations land in text where they are harmless ('>' in an ETag, anything in
        // the other documents is a wrong root for CompleteMultipartUpload); most must fail.
        assert!(
            parsed_ok > 0 && parsed_ok * 4 < attempts,
            "{parsed_ok} of {attempts}"
        );
    }
}
