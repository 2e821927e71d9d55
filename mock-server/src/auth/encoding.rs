//! Percent-encoding, raw query splitting and header-value helpers shared by all signature schemes.

use http::HeaderMap;
use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay as they are; everything else is `%XX` (upper-case hex).
const URI_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// As [`URI_UNRESERVED`] but `/` is kept too (object keys in paths).
const URI_PATH: &AsciiSet = &URI_UNRESERVED.remove(b'/');

/// Percent-encodes `input` the way SigV4 canonicalisation wants it: only `A-Z a-z 0-9 - _ . ~`
/// unescaped (plus `/` when `keep_slash`), upper-case hex.
///
/// Clients use it with `keep_slash = true` to build the raw path of an object key:
/// ```
/// use mock_server::auth::encoding::uri_encode;
/// assert_eq!(uri_encode("big/a b+c.bin".as_bytes(), true), "big/a%20b%2Bc.bin");
/// assert_eq!(uri_encode(b"big/", false), "big%2F");
/// ```
pub fn uri_encode(input: &[u8], keep_slash: bool) -> String {
    let set = if keep_slash { URI_PATH } else { URI_UNRESERVED };
    percent_encode(input, set).to_string()
}

/// Decodes `%XX` sequences (invalid sequences are kept literally; `+` stays `+`).
pub fn percent_decode(input: &str) -> Vec<u8> {
    percent_decode_str(input).collect()
}

/// Decodes `%XX` sequences into a string, replacing invalid UTF-8 with U+FFFD.
pub fn percent_decode_lossy(input: &str) -> String {
    percent_decode_str(input).decode_utf8_lossy().into_owned()
}

/// One `&`-separated item of a raw query string, exactly as it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryItem<'a> {
    /// The whole item (`"partNumber=1"`, `"uploads"`).
    pub raw: &'a str,
    /// The name, still percent-encoded.
    pub name: &'a str,
    /// The value after the first `=`, still percent-encoded; `None` when there is no `=`.
    pub value: Option<&'a str>,
}

/// Splits a raw query (without the leading `?`) into items; empty items (`a&&b`) are skipped.
pub fn query_items(raw_query: &str) -> impl Iterator<Item = QueryItem<'_>> {
    raw_query
        .split('&')
        .filter(|item| !item.is_empty())
        .map(|raw| match raw.split_once('=') {
            Some((name, value)) => QueryItem {
                raw,
                name,
                value: Some(value),
            },
            None => QueryItem {
                raw,
                name: raw,
                value: None,
            },
        })
}

/// The percent-decoded value of the first query item whose decoded name is exactly `name`
/// (`Some("")` for a flag without `=`).
pub fn query_param(raw_query: &str, name: &str) -> Option<String> {
    query_items(raw_query)
        .find(|item| percent_decode(item.name) == name.as_bytes())
        .map(|item| percent_decode_lossy(item.value.unwrap_or("")))
}

/// Whether the query contains an item whose decoded name is exactly `name`.
pub fn has_query_param(raw_query: &str, name: &str) -> bool {
    query_items(raw_query).any(|item| percent_decode(item.name) == name.as_bytes())
}

/// First value of header `name` as text (invalid UTF-8 replaced), or `None` if absent.
pub fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// All values of header `name`, each trimmed, joined with `,` (the SigV2/OBS/QS rule for
/// repeated headers); `None` if absent.
pub fn header_joined_trimmed(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let joined = values
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        .collect::<Vec<_>>()
        .join(",");
    Some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_rfc3986() {
        assert_eq!(uri_encode(b"AZaz09-_.~", false), "AZaz09-_.~");
        assert_eq!(
            uri_encode(b"a b/c+d=e&f%", false),
            "a%20b%2Fc%2Bd%3De%26f%25"
        );
        assert_eq!(uri_encode("ü".as_bytes(), true), "%C3%BC");
        assert_eq!(uri_encode(b"/k/$x", true), "/k/%24x");
    }

    #[test]
    fn decode_keeps_invalid_sequences_and_plus() {
        assert_eq!(percent_decode("big%2F"), b"big/");
        assert_eq!(percent_decode("a+b"), b"a+b");
        assert_eq!(percent_decode("%zz%4"), b"%zz%4");
        assert_eq!(percent_decode_lossy("%C3%BC"), "ü");
    }

    #[test]
    fn query_splitting() {
        let items: Vec<_> = query_items("uploads&prefix=big%2F&&x=a=b&flag=").collect();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].name, "uploads");
        assert_eq!(items[0].value, None);
        assert_eq!(items[1].value, Some("big%2F"));
        assert_eq!(items[2].name, "x");
        assert_eq!(items[2].value, Some("a=b"));
        assert_eq!(items[3].value, Some(""));
        assert_eq!(
            query_param("a=1&prefix=big%2F", "prefix").as_deref(),
            Some("big/")
        );
        assert_eq!(query_param("uploads", "uploads").as_deref(), Some(""));
        assert_eq!(query_param("uploads", "upload"), None);
        assert!(has_query_param("X%2DAmz%2DSignature=1", "X-Amz-Signature"));
        assert_eq!(query_items("").count(), 0);
    }

    #[test]
    fn header_helpers() {
        let mut h = HeaderMap::new();
        h.append("x-amz-meta-a", " one ".parse().unwrap());
        h.append("x-amz-meta-a", "two".parse().unwrap());
        assert_eq!(
            header_joined_trimmed(&h, "x-amz-meta-a").as_deref(),
            Some("one,two")
        );
        assert_eq!(header_joined_trimmed(&h, "x-amz-meta-b"), None);
        assert_eq!(header_str(&h, "X-Amz-Meta-A").as_deref(), Some(" one "));
    }
}
