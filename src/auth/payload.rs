//! The `x-sidero-payload` JSON: what a `siderov1` gRPC signature covers.
//!
//! Built like the Go signer (go-api-signature `message.BuildGRPCPayload` + `json.Marshal`):
//! all ten signed names, sorted, absent ones as `null`, compact, with Go's HTML escaping of
//! `<`, `>`, `&`. In addition every non-ASCII character (and DEL) is written as `\uXXXX` so
//! that the header value is printable ASCII, as gRPC metadata requires. The server keeps the
//! original bytes for verification, so this escaping is safe.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

use super::metadata::Metadata;
use crate::{Error, Result};

/// Metadata key carrying the Unix timestamp (seconds) of the signature.
pub const TIMESTAMP_HEADER: &str = "x-sidero-timestamp";
/// Metadata key carrying the signed payload JSON.
pub const PAYLOAD_HEADER: &str = "x-sidero-payload";
/// Metadata key carrying `siderov1 <identity> <key-id> <base64 signature>`.
pub const SIGNATURE_HEADER: &str = "x-sidero-signature";
/// The signature scheme tag.
pub const SIGNATURE_VERSION: &str = "siderov1";

/// The metadata names the payload signs, in go-api-signature's order.
///
/// `fieldSelectors` is spelled with a capital `S` upstream; since metadata keys are lower-case
/// the server never finds values for it, so the payload always carries it as `null`.
pub const SIGNED_HEADERS: [&str; 10] = [
    TIMESTAMP_HEADER,
    "nodes",
    "selectors",
    "fieldSelectors",
    "runtime",
    "context",
    "cluster",
    "namespace",
    "uid",
    "authorization",
];

#[derive(Serialize)]
struct Payload<'a> {
    headers: BTreeMap<&'static str, Option<&'a [String]>>,
    method: &'a str,
}

/// The exact payload bytes for `method` with the signed entries of `metadata`.
///
/// `metadata` must already contain `x-sidero-timestamp`.
pub fn grpc_payload(method: &str, metadata: &Metadata) -> Result<Vec<u8>> {
    let headers = crate::order::map_of(SIGNED_HEADERS.iter().map(|&name| {
        let values = if name == "fieldSelectors" {
            None
        } else {
            metadata.get(name)
        };
        (name, values)
    }));
    let payload = Payload { headers, method };
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiGoFormatter);
    payload
        .serialize(&mut ser)
        .map_err(|e| Error::InvalidArgument(format!("cannot encode signature payload: {e}")))?;
    Ok(out)
}

/// Compact JSON formatter that escapes like Go's `encoding/json` (HTML-safe) and, beyond Go,
/// writes every non-ASCII character as a `\uXXXX` escape.
struct AsciiGoFormatter;

impl Formatter for AsciiGoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let plain = c.is_ascii() && !matches!(c, '<' | '>' | '&' | '\u{7f}');
            if plain {
                continue;
            }
            writer.write_all(fragment.get(start..i).unwrap_or_default().as_bytes())?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(fragment.get(start..).unwrap_or_default().as_bytes())
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        let s: &[u8] = match char_escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => {
                return write!(writer, "\\u{byte:04x}");
            }
        };
        writer.write_all(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn md(pairs: &[(&str, &str)]) -> Metadata {
        pairs.iter().copied().collect()
    }

    #[test]
    fn auth_payload_matches_go_signer_golden() {
        let m = md(&[(TIMESTAMP_HEADER, "1767225600")]);
        let p = grpc_payload("/cosi.resource.State/List", &m).unwrap();
        assert_eq!(
            String::from_utf8(p).unwrap(),
            r#"{"headers":{"authorization":null,"cluster":null,"context":null,"fieldSelectors":null,"namespace":null,"nodes":null,"runtime":null,"selectors":null,"uid":null,"x-sidero-timestamp":["1767225600"]},"method":"/cosi.resource.State/List"}"#
        );
    }

    #[test]
    fn auth_payload_keeps_multiple_values_and_ignores_unsigned_and_field_selectors() {
        let m = md(&[
            ("runtime", "Talos"),
            ("nodes", "10.0.0.1"),
            ("nodes", "10.0.0.2"),
            ("fieldselectors", "x=y"),
            ("x-custom", "ignored"),
            (TIMESTAMP_HEADER, "5"),
        ]);
        let p = String::from_utf8(grpc_payload("/m", &m).unwrap()).unwrap();
        assert!(p.contains(r#""nodes":["10.0.0.1","10.0.0.2"]"#), "{p}");
        assert!(p.contains(r#""fieldSelectors":null"#), "{p}");
        assert!(p.contains(r#""runtime":["Talos"]"#), "{p}");
        assert!(!p.contains("x-custom"));
    }

    #[test]
    fn auth_payload_escapes_html_controls_and_non_ascii() {
        let m = md(&[
            (TIMESTAMP_HEADER, "1"),
            ("selectors", "a<b>&\"\\\n\u{1}é😀\u{2028}\u{7f}/"),
        ]);
        let p = String::from_utf8(grpc_payload("/m", &m).unwrap()).unwrap();
        assert!(p.is_ascii());
        assert!(
            p.contains(
                r#""selectors":["a\u003cb\u003e\u0026\"\\\n\u0001\u00e9\ud83d\ude00\u2028\u007f/"]"#
            ),
            "{p}"
        );
        let back: serde_json::Value = serde_json::from_str(&p).unwrap();
        assert_eq!(
            back["headers"]["selectors"][0],
            "a<b>&\"\\\n\u{1}é😀\u{2028}\u{7f}/"
        );
    }
}
