//! `encoding-type=url` for listings.
//!
//! boto3 adds `encoding-type=url` to every ListObjects(V2) request (and may to
//! ListObjectVersions and ListMultipartUploads). If the answer carries
//! `<EncodingType>url</EncodingType>`, botocore URL-decodes (`unquote_plus`) the key-like
//! fields, so the server must then encode them — which is also the only way to return keys
//! with characters XML 1.0 cannot carry (see [`crate::wire::xml`]).
//!
//! The server calls `url_encode()` on the result when the request asked for it; the uploader
//! calls `url_decode()` on every parsed listing (a no-op unless `EncodingType` is `url`).
//! Fields encoded, as S3 does: keys, `Prefix` (also inside `CommonPrefixes`), `Delimiter`,
//! `Marker`, `NextMarker`, `StartAfter`, `KeyMarker`, `NextKeyMarker`. Continuation tokens and
//! upload/version ids are opaque and left alone.
//!
//! ```
//! use mock_server::wire::s3::{ListBucketResult, Object};
//!
//! let mut list = ListBucketResult {
//!     name: "b".into(),
//!     prefix: Some("dir/".into()),
//!     contents: vec![Object { key: "dir/a b+c\u{1}é".into(), ..Object::default() }],
//!     ..ListBucketResult::default()
//! };
//! list.url_encode();
//! assert_eq!(list.contents[0].key, "dir/a%20b%2Bc%01%C3%A9");
//! assert_eq!(list.encoding_type.as_deref(), Some("url"));
//! list.url_decode().unwrap();
//! assert_eq!(list.contents[0].key, "dir/a b+c\u{1}é");
//! assert_eq!(list.encoding_type, None);
//! ```

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::listing::{ListBucketResult, ListVersionsResult};
use super::multipart::ListMultipartUploadsResult;
use crate::wire::error::WireError;

/// Characters left as they are: RFC 3986 unreserved characters and `/`.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The value of `EncodingType` this module writes and understands.
pub const URL_ENCODING: &str = "url";

/// Percent-encodes everything but `A-Z a-z 0-9 - _ . ~ /` (UTF-8 bytes; space becomes `%20`,
/// `+` becomes `%2B`).
pub fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, KEEP).to_string()
}

/// Decodes like botocore's `unquote_plus`: `+` is a space, `%XX` a byte; the result must be
/// UTF-8. `field` names the element in the error.
pub fn url_decode(s: &str, field: &'static str) -> Result<String, WireError> {
    let plus_decoded = s.replace('+', " ");
    percent_decode_str(&plus_decoded)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| WireError::InvalidUrlEncoding {
            field,
            found: s.to_owned(),
        })
}

fn is_url(encoding_type: &Option<String>) -> bool {
    encoding_type
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(URL_ENCODING))
}

fn encode_in_place(s: &mut String) {
    let encoded = url_encode(s);
    *s = encoded;
}

fn encode_opt(s: &mut Option<String>) {
    if let Some(s) = s {
        encode_in_place(s);
    }
}

fn decode_in_place(s: &mut String, field: &'static str) -> Result<(), WireError> {
    *s = url_decode(s, field)?;
    Ok(())
}

fn decode_opt(s: &mut Option<String>, field: &'static str) -> Result<(), WireError> {
    match s {
        Some(s) => decode_in_place(s, field),
        None => Ok(()),
    }
}

impl ListBucketResult {
    /// Encodes the key-like fields and sets `EncodingType` to `url`; a no-op if it is already set.
    pub fn url_encode(&mut self) {
        if is_url(&self.encoding_type) {
            return;
        }
        encode_opt(&mut self.prefix);
        encode_opt(&mut self.delimiter);
        encode_opt(&mut self.marker);
        encode_opt(&mut self.next_marker);
        encode_opt(&mut self.start_after);
        for o in &mut self.contents {
            encode_in_place(&mut o.key);
        }
        for p in &mut self.common_prefixes {
            encode_in_place(&mut p.prefix);
        }
        self.encoding_type = Some(URL_ENCODING.to_owned());
    }

    /// If `EncodingType` is `url`, decodes the key-like fields and clears it.
    pub fn url_decode(&mut self) -> Result<(), WireError> {
        if !is_url(&self.encoding_type) {
            return Ok(());
        }
        decode_opt(&mut self.prefix, "Prefix")?;
        decode_opt(&mut self.delimiter, "Delimiter")?;
        decode_opt(&mut self.marker, "Marker")?;
        decode_opt(&mut self.next_marker, "NextMarker")?;
        decode_opt(&mut self.start_after, "StartAfter")?;
        for o in &mut self.contents {
            decode_in_place(&mut o.key, "Key")?;
        }
        for p in &mut self.common_prefixes {
            decode_in_place(&mut p.prefix, "Prefix")?;
        }
        self.encoding_type = None;
        Ok(())
    }
}

impl ListVersionsResult {
    /// Encodes the key-like fields and sets `EncodingType` to `url`; a no-op if it is already set.
    pub fn url_encode(&mut self) {
        if is_url(&self.encoding_type) {
            return;
        }
        encode_opt(&mut self.prefix);
        encode_opt(&mut self.delimiter);
        encode_in_place(&mut self.key_marker);
        encode_opt(&mut self.next_key_marker);
        for e in &mut self.entries {
            encode_in_place(e.key_mut());
        }
        for p in &mut self.common_prefixes {
            encode_in_place(&mut p.prefix);
        }
        self.encoding_type = Some(URL_ENCODING.to_owned());
    }

    /// If `EncodingType` is `url`, decodes the key-like fields and clears it.
    pub fn url_decode(&mut self) -> Result<(), WireError> {
        if !is_url(&self.encoding_type) {
            return Ok(());
        }
        decode_opt(&mut self.prefix, "Prefix")?;
        decode_opt(&mut self.delimiter, "Delimiter")?;
        decode_in_place(&mut self.key_marker, "KeyMarker")?;
        decode_opt(&mut self.next_key_marker, "NextKeyMarker")?;
        for e in &mut self.entries {
            decode_in_place(e.key_mut(), "Key")?;
        }
        for p in &mut self.common_prefixes {
            decode_in_place(&mut p.prefix, "Prefix")?;
        }
        self.encoding_type = None;
        Ok(())
    }
}

impl ListMultipartUploadsResult {
    /// Encodes the key-like fields and sets `EncodingType` to `url`; a no-op if it is already set.
    pub fn url_encode(&mut self) {
        if is_url(&self.encoding_type) {
            return;
        }
        encode_opt(&mut self.prefix);
        encode_opt(&mut self.delimiter);
        encode_in_place(&mut self.key_marker);
        encode_in_place(&mut self.next_key_marker);
        for u in &mut self.uploads {
            encode_in_place(&mut u.key);
        }
        for p in &mut self.common_prefixes {
            encode_in_place(&mut p.prefix);
        }
        self.encoding_type = Some(URL_ENCODING.to_owned());
    }

    /// If `EncodingType` is `url`, decodes the key-like fields and clears it.
    pub fn url_decode(&mut self) -> Result<(), WireError> {
        if !is_url(&self.encoding_type) {
            return Ok(());
        }
        decode_opt(&mut self.prefix, "Prefix")?;
        decode_opt(&mut self.delimiter, "Delimiter")?;
        decode_in_place(&mut self.key_marker, "KeyMarker")?;
        decode_in_place(&mut self.next_key_marker, "NextKeyMarker")?;
        for u in &mut self.uploads {
            decode_in_place(&mut u.key, "Key")?;
        }
        for p in &mut self.common_prefixes {
            decode_in_place(&mut p.prefix, "Prefix")?;
        }
        self.encoding_type = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_matches_unquote_plus_expectations() {
        assert_eq!(url_encode("a/b c+d&e=f?g"), "a/b%20c%2Bd%26e%3Df%3Fg");
        assert_eq!(url_encode("\u{0}\u{1f}\u{7f}"), "%00%1F%7F");
        assert_eq!(url_encode("é"), "%C3%A9");
        assert_eq!(url_encode("-_.~"), "-_.~");
    }

    #[test]
    fn decode_treats_plus_as_space_like_s3() {
        assert_eq!(url_decode("a+b%2Bc", "Key").unwrap(), "a b+c");
        assert_eq!(
            url_decode("big%2Fobject.bin", "Key").unwrap(),
            "big/object.bin"
        );
        let err = url_decode("%FF%FE", "Key").unwrap_err();
        assert_eq!(
            err,
            WireError::InvalidUrlEncoding {
                field: "Key",
                found: "%FF%FE".into()
            }
        );
    }

    #[test]
    fn every_string_round_trips() {
        let samples = [
            "",
            " lead and trail ",
            "a+b",
            "100%",
            "%41",
            "\r\n\t",
            "日本/語",
        ];
        for s in samples {
            assert_eq!(url_decode(&url_encode(s), "Key").unwrap(), s, "{s:?}");
        }
    }
}
