//! gRPC-web's wire format, without I/O: framing a request, reading frames and trailers back
//! from body bytes however they are chunked, and what a response's head or trailers mean as
//! a library error. The fetch side ([`super::grpc_web`]) only moves bytes; every decision is
//! here, tested natively on recorded bodies.
//!
//! A body is a sequence of frames: one flag byte (`0x00` message, `0x80` trailers; bit 0 set
//! would mean compressed, which is never asked for), a big-endian `u32` length, then the
//! payload. Trailers are an HTTP/1-style header block (`name: value\r\n`). A server that fails
//! before any message may answer "trailers-only": `grpc-status` in the HTTP headers and no
//! body.

use crate::{Code, Error, Result};

/// The content type sent and expected (binary protobuf frames).
pub(crate) const CONTENT_TYPE: &str = "application/grpc-web+proto";

/// The largest frame accepted: a longer length prefix means the body is not gRPC-web (or
/// not one this library can hold), so it is refused before anything is buffered for it.
const MAX_FRAME: usize = 256 << 20;

/// The flag of a trailers frame.
const TRAILERS: u8 = 0x80;
/// The flag bit of a compressed frame.
const COMPRESSED: u8 = 0x01;

/// One request message as a gRPC-web body.
pub(crate) fn frame(message: &[u8]) -> Result<Vec<u8>> {
    let len = u32::try_from(message.len())
        .map_err(|_| Error::InvalidArgument("request message larger than 4 GiB".into()))?;
    let mut out = Vec::with_capacity(5 + message.len());
    out.push(0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    Ok(out)
}

/// A frame read from a response body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// One response message (protobuf bytes).
    Message(Vec<u8>),
    /// The trailers that end the response.
    Trailers(Headers),
}

/// Header or trailer fields, names lower-cased.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Headers(Vec<(String, String)>);

impl Headers {
    /// Fields from `(name, value)` pairs (e.g. a fetch response's headers).
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Headers(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        )
    }

    /// The first value of `name` (lower case).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A trailers frame's header block.
    pub(crate) fn parse(block: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(block)
            .map_err(|_| Error::Decode("gRPC-web trailers are not text".into()))?;
        let mut out = Vec::new();
        for line in text.split("\r\n").flat_map(|l| l.split('\n')) {
            if line.trim().is_empty() {
                continue;
            }
            let (name, value) = line.split_once(':').ok_or_else(|| {
                Error::Decode(format!("gRPC-web trailer without a colon: {line:?}"))
            })?;
            out.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        Ok(Headers(out))
    }
}

/// Reads frames out of body bytes as they arrive, in chunks of any size.
#[derive(Default)]
pub(crate) struct Deframer {
    buf: Vec<u8>,
    /// `buf[start..]` is not yet read.
    start: usize,
}

impl Deframer {
    /// The buffer to append the next chunk of the body to (a fetch chunk is copied straight
    /// in; what was read is dropped first).
    pub(crate) fn append_to(&mut self) -> &mut Vec<u8> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        &mut self.buf
    }

    /// Appends `bytes` to what is unread.
    #[cfg(test)]
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.append_to().extend_from_slice(bytes);
    }

    /// The next complete frame, or `None` until more bytes arrive.
    ///
    /// # Errors
    /// [`Error::Decode`] for a compressed frame, an unknown flag, an oversized length or
    /// trailers that do not parse: the body is not gRPC-web as this library asked for it.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Frame>> {
        let rest = &self.buf[self.start..];
        let Some(&[flag, a, b, c, d]) = rest.get(..5) else {
            return Ok(None);
        };
        let len = u32::from_be_bytes([a, b, c, d]) as usize;
        if len > MAX_FRAME {
            return Err(Error::Decode(format!(
                "gRPC-web frame of {len} bytes (more than {MAX_FRAME})"
            )));
        }
        if flag & COMPRESSED != 0 {
            return Err(Error::Decode(
                "gRPC-web frame is compressed, which was not asked for".into(),
            ));
        }
        if flag != 0 && flag != TRAILERS {
            return Err(Error::Decode(format!("gRPC-web frame flag {flag:#04x}")));
        }
        let Some(payload) = rest.get(5..5 + len) else {
            return Ok(None);
        };
        let frame = if flag == TRAILERS {
            Frame::Trailers(Headers::parse(payload)?)
        } else {
            Frame::Message(payload.to_vec())
        };
        self.start += 5 + len;
        Ok(Some(frame))
    }

    /// Whether bytes of an incomplete frame are left (at the end of the body: it was cut).
    pub(crate) fn has_partial(&self) -> bool {
        self.start < self.buf.len()
    }
}

/// What the HTTP head of a response says before its body is read: `Ok(None)` to read frames,
/// `Ok(Some(headers))` for a trailers-only success (no message follows), or the error.
///
/// # Errors
/// The status of a trailers-only failure; for any other answer that is not gRPC-web, the
/// status its HTTP code maps to (gRPC's HTTP-to-gRPC mapping: a proxy's 502/503/504 is
/// `UNAVAILABLE`, worth a retry) or a transport error that names the likely cause.
pub(crate) fn check_head(http_status: u16, headers: Headers) -> Result<Option<Headers>> {
    if headers.get("grpc-status").is_some() {
        status_of(&headers)?;
        return Ok(Some(headers));
    }
    if http_status != 200 {
        return Err(Error::status(
            code_of_http_status(http_status),
            format!("HTTP {http_status} from the gRPC-web endpoint"),
        ));
    }
    let ct = headers.get("content-type").unwrap_or_default();
    let binary =
        ct.starts_with("application/grpc-web") && !ct.starts_with("application/grpc-web-text");
    if !binary {
        return Err(Error::Transport(format!(
            "the server did not answer gRPC-web (content-type {ct:?}); is a gRPC-web proxy in front of Omni?"
        )));
    }
    Ok(None)
}

/// The outcome trailers carry: `Ok` for status 0, otherwise the status error with its
/// (percent-decoded) message.
///
/// # Errors
/// The server's status; [`Error::Decode`] when `grpc-status` is missing or not a number.
pub(crate) fn status_of(trailers: &Headers) -> Result<()> {
    let code = trailers
        .get("grpc-status")
        .ok_or_else(|| Error::Decode("gRPC-web trailers without grpc-status".into()))?;
    let code: i32 = code
        .parse()
        .map_err(|_| Error::Decode(format!("gRPC-web grpc-status {code:?}")))?;
    if code == 0 {
        return Ok(());
    }
    let message = percent_decode(trailers.get("grpc-message").unwrap_or_default());
    Err(Error::status(Code::from_i32(code), message))
}

/// The end of a body that stopped without trailers: a cut connection (the watcher resumes,
/// reads retry).
pub(crate) fn ended_without_status(partial: bool) -> Error {
    Error::Transport(if partial {
        "gRPC-web response cut inside a frame".into()
    } else {
        "gRPC-web response ended without a status (connection cut?)".into()
    })
}

/// gRPC's mapping of an HTTP status that carries no gRPC status
/// (`doc/http-grpc-status-mapping.md` of grpc/grpc).
fn code_of_http_status(status: u16) -> Code {
    match status {
        400 => Code::Internal,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::Unimplemented,
        429 | 502 | 503 | 504 => Code::Unavailable,
        _ => Code::Unknown,
    }
}

/// `grpc-message` is percent-encoded UTF-8; a malformed escape is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or_default() * 16 + hex(l).unwrap_or_default();
                out.push(v as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trailers(block: &str) -> Vec<u8> {
        let mut out = vec![TRAILERS];
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(block.as_bytes());
        out
    }

    fn head(pairs: &[(&str, &str)]) -> Headers {
        Headers::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    /// Frames of `body` when it arrives `chunk` bytes at a time.
    fn read(body: &[u8], chunk: usize) -> Result<Vec<Frame>> {
        let mut d = Deframer::default();
        let mut out = Vec::new();
        for c in body.chunks(chunk) {
            d.push(c);
            while let Some(f) = d.next_frame()? {
                out.push(f);
            }
        }
        assert!(!d.has_partial());
        Ok(out)
    }

    #[test]
    fn requests_are_one_uncompressed_frame() {
        assert_eq!(frame(b"ab").unwrap(), [0, 0, 0, 0, 2, b'a', b'b']);
        assert_eq!(frame(b"").unwrap(), [0, 0, 0, 0, 0]);
    }

    #[test]
    fn frames_are_read_however_the_body_is_chunked() {
        let mut body = frame(b"first").unwrap();
        body.extend(frame(&[0xff; 300]).unwrap());
        body.extend(frame(b"").unwrap());
        body.extend(trailers("grpc-status: 0\r\ngrpc-message: \r\n"));
        for chunk in [1, 2, 5, 7, 64, body.len()] {
            let frames = read(&body, chunk).unwrap();
            assert_eq!(frames.len(), 4, "chunk {chunk}");
            assert_eq!(frames[0], Frame::Message(b"first".to_vec()));
            assert_eq!(frames[1], Frame::Message(vec![0xff; 300]));
            assert_eq!(frames[2], Frame::Message(Vec::new()));
            let Frame::Trailers(t) = &frames[3] else {
                unreachable!("{:?}", frames[3])
            };
            assert_eq!(t.get("grpc-status"), Some("0"));
            assert!(status_of(t).is_ok());
        }
    }

    #[test]
    fn a_cut_body_leaves_a_partial_frame() {
        let body = frame(b"message").unwrap();
        let mut d = Deframer::default();
        d.push(&body[..6]);
        assert_eq!(d.next_frame().unwrap(), None);
        assert!(d.has_partial());
        assert!(ended_without_status(true).is_retryable());
        assert!(ended_without_status(false).is_retryable());
    }

    #[test]
    fn trailers_carry_the_status_with_a_percent_encoded_message() {
        // as grpc-go writes them (tonic-web writes the same block, names in any case)
        let body = trailers(
            "Grpc-Status: 9\r\ngrpc-message: resource%20is%20%E2%80%9Cbusy%E2%80%9D: 100%\r\n",
        );
        let frames = read(&body, 3).unwrap();
        let [Frame::Trailers(t)] = frames.as_slice() else {
            unreachable!("{frames:?}")
        };
        let e = status_of(t).unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition);
        assert_eq!(
            e.to_string(),
            "FAILED_PRECONDITION: resource is “busy”: 100%"
        );
    }

    #[test]
    fn bodies_that_are_not_grpc_web_are_refused_as_decode_errors() {
        let mut compressed = frame(b"x").unwrap();
        compressed[0] = 1;
        let mut odd_flag = frame(b"x").unwrap();
        odd_flag[0] = 0x40;
        let huge = [0, 0xff, 0xff, 0xff, 0xff];
        for body in [
            &compressed[..],
            &odd_flag,
            &huge,
            &trailers("no colon here"),
        ] {
            let e = read(body, 2).unwrap_err();
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
            assert!(!e.is_retryable(), "{e:?}");
        }
        let missing = Headers::parse(b"grpc-message: x\r\n").unwrap();
        assert!(matches!(status_of(&missing), Err(Error::Decode(_))));
    }

    #[test]
    fn heads_say_whether_to_read_the_body() {
        let ok = head(&[("Content-Type", "application/grpc-web+proto")]);
        assert_eq!(check_head(200, ok).unwrap(), None);
        // trailers-only failure: the status is in the head, whatever the HTTP code
        let denied = head(&[
            ("content-type", "application/grpc-web+proto"),
            ("grpc-status", "7"),
            ("grpc-message", "no%20access"),
        ]);
        let e = check_head(200, denied).unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
        assert!(e.to_string().ends_with("no access"), "{e}");
        // trailers-only success (e.g. an empty server stream)
        let empty = head(&[("grpc-status", "0")]);
        assert!(check_head(200, empty).unwrap().is_some());
    }

    #[test]
    fn proxy_answers_map_like_grpc_and_say_what_to_check() {
        for (status, code) in [
            (502, Code::Unavailable),
            (503, Code::Unavailable),
            (504, Code::Unavailable),
            (404, Code::Unimplemented),
            (401, Code::Unauthenticated),
            (500, Code::Unknown),
        ] {
            let e = check_head(status, head(&[("content-type", "text/html")])).unwrap_err();
            assert_eq!(e.code(), code, "HTTP {status}");
        }
        let e = check_head(200, head(&[("content-type", "text/html")])).unwrap_err();
        assert!(e.to_string().contains("gRPC-web proxy"), "{e}");
        let text = head(&[("content-type", "application/grpc-web-text")]);
        assert!(check_head(200, text).is_err());
    }

    #[test]
    fn malformed_escapes_are_kept() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a%2Fb"), "a/b");
    }
}
