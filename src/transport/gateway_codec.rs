//! Omni's grpc-gateway JSON API without I/O: the request's URL and headers, the error a
//! non-200 answer stands for, stream lines and their errors, and a line splitter for bodies
//! that arrive in chunks. The fetch side ([`super::gateway`]) only moves bytes; these are
//! tested natively on recorded bodies.

use std::ops::Range;

use serde::Deserialize;

use crate::auth::Metadata;
use crate::{Code, Error, Result};

#[derive(Deserialize)]
struct StatusJson {
    #[serde(default)]
    code: i32,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: Option<StatusJson>,
    #[serde(default)]
    code: Option<i32>,
    #[serde(default)]
    message: Option<String>,
}

/// One stream line: the message (`M`: a generated type read in one pass, or the protojson
/// value) or an error.
#[derive(Deserialize)]
#[serde(bound = "M: serde::de::DeserializeOwned")]
struct Line<M> {
    result: Option<M>,
    error: Option<StatusJson>,
}

/// Only the error of a stream line (the result is skipped without being built).
#[derive(Deserialize)]
struct LineError {
    error: Option<StatusJson>,
}

/// `POST {base}/api/<pkg.Service>/<Method>`.
pub(crate) fn url(base: &str, method: &str) -> String {
    format!("{base}/api{method}")
}

/// The request headers: JSON both ways, metadata as `Grpc-Metadata-<key>`.
pub(crate) fn request_headers(md: &Metadata) -> Vec<(String, String)> {
    let mut out = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("accept".to_string(), "application/json".to_string()),
    ];
    for (k, v) in md.pairs() {
        out.push((format!("grpc-metadata-{k}"), v.to_string()));
    }
    out
}

/// The error of a `google.rpc.Status` (code and message).
pub(crate) fn status_error(code: i32, message: String) -> Error {
    Error::status(Code::from_i32(code), message)
}

/// The error a non-200 response stands for: the `google.rpc.Status` its body carries (bare or
/// as an `{"error": …}` line), otherwise (a proxy's page) the code of its HTTP status.
pub(crate) fn error_from_body(http_status: u16, body: &str) -> Error {
    let first_line = body.lines().next().unwrap_or_default();
    if let Ok(env) = serde_json::from_str::<ErrorEnvelope>(first_line) {
        if let Some(s) = env.error {
            return status_error(s.code, s.message);
        }
        if let Some(code) = env.code {
            return status_error(code, env.message.unwrap_or_default());
        }
    }
    let text: String = body.chars().take(200).collect();
    Error::status(
        Code::from_http_status(http_status),
        format!("HTTP {http_status}: {}", text.trim()),
    )
}

/// The `result` of one stream line (or the error it carries): a protojson value for the
/// descriptors, or a generated type decoded in one pass (COSI's resource streams, where speed
/// matters).
pub(crate) fn line_result<M: serde::de::DeserializeOwned>(method: &str, line: &[u8]) -> Result<M> {
    match serde_json::from_slice::<Line<M>>(line) {
        Ok(Line { error: Some(s), .. }) => Err(status_error(s.code, s.message)),
        Ok(Line {
            result: Some(r), ..
        }) => Ok(r),
        Ok(_) => Err(Error::Decode(format!(
            "{method}: stream line has neither result nor error"
        ))),
        Err(e) => Err(Error::Decode(format!("{method} stream message: {e}"))),
    }
}

/// The error a stream line carries, if it is an `{"error": …}` line.
pub(crate) fn line_error(line: &[u8]) -> Option<Error> {
    match serde_json::from_slice(line) {
        Ok(LineError { error: Some(s) }) => Some(status_error(s.code, s.message)),
        _ => None,
    }
}

/// Splits a body that arrives in chunks into its non-blank lines. Lines are handed out as
/// ranges of one buffer, which is compacted only when a chunk is appended (a chunk of many
/// lines is not copied once per line).
#[derive(Default)]
pub(crate) struct LineBuffer {
    buf: Vec<u8>,
    /// `buf[start..]` is not yet handed out.
    start: usize,
}

impl LineBuffer {
    /// The next complete non-blank line (without `\n`); at the end of the body (`done`) also
    /// the unterminated rest. `None`: wait for more (or, when `done`, the end).
    pub(crate) fn next_line(&mut self, done: bool) -> Option<Range<usize>> {
        let blank = |b: &[u8]| b.iter().all(u8::is_ascii_whitespace);
        while let Some(pos) = self.buf[self.start..].iter().position(|b| *b == b'\n') {
            let line = self.start..self.start + pos;
            self.start += pos + 1;
            if !blank(&self.buf[line.clone()]) {
                return Some(line);
            }
        }
        if !done {
            return None;
        }
        let rest = self.start..self.buf.len();
        self.start = self.buf.len();
        (!blank(&self.buf[rest.clone()])).then_some(rest)
    }

    /// A line handed out by [`next_line`](Self::next_line) (empty if out of range).
    pub(crate) fn get(&self, line: Range<usize>) -> &[u8] {
        self.buf.get(line).unwrap_or_default()
    }

    /// The buffer to append the next chunk to (what was handed out is dropped first).
    pub(crate) fn append_to(&mut self) -> &mut Vec<u8> {
        self.buf.drain(..self.start);
        self.start = 0;
        &mut self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of `body` arriving `chunk` bytes at a time.
    fn lines(body: &[u8], chunk: usize) -> Vec<String> {
        let mut b = LineBuffer::default();
        let mut out = Vec::new();
        let mut chunks = body.chunks(chunk);
        loop {
            let next = chunks.next();
            let done = next.is_none();
            if let Some(c) = next {
                b.append_to().extend_from_slice(c);
            }
            while let Some(r) = b.next_line(done) {
                out.push(String::from_utf8_lossy(b.get(r)).into_owned());
            }
            if done {
                return out;
            }
        }
    }

    #[test]
    fn lines_are_split_however_the_body_is_chunked() {
        // as grpc-gateway writes a stream: one JSON object per line; blank lines and a last
        // line without its newline happen behind proxies
        let body = b"{\"result\":{\"a\":1}}\n\n  \n{\"result\":{\"b\":\"x\\ny\"}}\r\n{\"error\":{\"code\":14}}";
        let want = vec![
            "{\"result\":{\"a\":1}}".to_string(),
            "{\"result\":{\"b\":\"x\\ny\"}}\r".to_string(),
            "{\"error\":{\"code\":14}}".to_string(),
        ];
        for chunk in [1, 2, 3, 7, 16, body.len()] {
            assert_eq!(lines(body, chunk), want, "chunk {chunk}");
        }
        assert!(lines(b"", 4).is_empty());
        assert!(lines(b"\n \n", 1).is_empty());
    }

    #[test]
    fn stream_lines_carry_a_result_or_an_error() {
        let v: serde_json::Value = line_result("/m", br#"{"result":{"id":"a"}}"#).unwrap();
        assert_eq!(v["id"], "a");
        let e = line_result::<serde_json::Value>(
            "/m",
            br#"{"error":{"code":7,"message":"denied","details":[]}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            (Code::PermissionDenied, "PERMISSION_DENIED: denied")
        );
        let e = line_result::<serde_json::Value>("/m", b"{}").unwrap_err();
        assert!(matches!(e, Error::Decode(_)), "{e:?}");
        let e = line_result::<serde_json::Value>("/m", b"<html>").unwrap_err();
        assert!(matches!(e, Error::Decode(_)) && !e.is_retryable(), "{e:?}");
        assert_eq!(
            line_error(br#"{"error":{"code":14,"message":"x"}}"#).map(|e| e.code()),
            Some(Code::Unavailable)
        );
        assert!(line_error(br#"{"result":{}}"#).is_none());
        assert!(line_error(b"not json").is_none());
    }

    #[test]
    fn error_bodies_map_to_their_status() {
        // grpc-gateway's error body (google.rpc.Status)
        let e = error_from_body(
            404,
            r#"{"code":5,"message":"resource doesn't exist","details":[]}"#,
        );
        assert_eq!(e.code(), Code::NotFound);
        assert!(e.to_string().ends_with("resource doesn't exist"), "{e}");
        // a stream's error line as the whole body
        let e = error_from_body(200, "{\"error\":{\"code\":9,\"message\":\"phase\"}}\n");
        assert_eq!(e.code(), Code::FailedPrecondition);
        // a proxy's page: the HTTP status decides, and the text says what it was
        let e = error_from_body(503, "<html><body>Service Unavailable</body></html>");
        assert_eq!(e.code(), Code::Unavailable);
        assert!(e.is_retryable());
        assert!(e.to_string().contains("HTTP 503"), "{e}");
        let e = error_from_body(401, "");
        assert_eq!(e.code(), Code::Unauthenticated);
        // long pages are cut
        let e = error_from_body(500, &"x".repeat(10_000));
        assert!(e.to_string().len() < 300);
    }

    #[test]
    fn requests_carry_metadata_as_gateway_headers() {
        let mut md = Metadata::new();
        md.append("x-sidero-signature", "siderov1 a b c");
        md.append("runtime", "Omni");
        let h = request_headers(&md);
        assert!(h.contains(&("content-type".into(), "application/json".into())));
        assert!(h.contains(&(
            "grpc-metadata-x-sidero-signature".into(),
            "siderov1 a b c".into()
        )));
        assert!(h.contains(&("grpc-metadata-runtime".into(), "Omni".into())));
        assert_eq!(
            url("https://omni.example.org", "/cosi.resource.State/List"),
            "https://omni.example.org/api/cosi.resource.State/List"
        );
    }
}
