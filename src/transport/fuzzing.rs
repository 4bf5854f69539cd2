//! Entry points of the fuzz targets (`fuzz/`, `make fuzz`): the wire codecs fed arbitrary
//! bytes, as a server or a proxy could send them. Behind the `fuzzing` feature; not API.
//!
//! Each function must return — with an error or not — on any input: a panic, an abort or a
//! hang is a finding.

use prost::Message as _;

use super::gateway_codec::{error_from_body, line_error, line_result, LineBuffer};
use super::grpc_web_codec::{
    check_head, ended_without_status, status_of, Deframer, Frame, Headers,
};
use crate::proto::cosi::resource as cosi;
use crate::resource::{Registry, Resource};

/// Chunk sizes taken from the input's first byte, so that the fuzzer also explores how a body
/// is split across fetch chunks.
fn chunks(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((c, rest)) => (usize::from(*c % 64) + 1, rest),
        None => (1, data),
    }
}

/// A gRPC-web response body: frames read as they arrive; messages decoded as COSI watch
/// events (resources through their spec codecs), trailers read for their status.
pub fn grpc_web_body(data: &[u8]) {
    let (size, body) = chunks(data);
    let registry = Registry::builtin_ref();
    let mut d = Deframer::default();
    for chunk in body.chunks(size) {
        d.append_to().extend_from_slice(chunk);
        loop {
            match d.next_frame() {
                Ok(Some(Frame::Message(m))) => {
                    if let Ok(ev) = cosi::WatchResponse::decode(m.as_slice()) {
                        for r in ev.event.into_iter().filter_map(|e| e.resource) {
                            let _ = Resource::from_proto(r.clone(), registry);
                            let _ = Resource::write_json_from_proto(r, registry, &mut Vec::new());
                        }
                    }
                }
                Ok(Some(Frame::Trailers(t))) => {
                    let _ = status_of(&t);
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = e.to_string();
                    return;
                }
            }
        }
    }
    let _ = ended_without_status(d.has_partial());
}

/// The head of a gRPC-web answer: the HTTP status from the first two bytes, header lines from
/// the rest.
pub fn grpc_web_head(data: &[u8]) {
    let status = data
        .get(..2)
        .map_or(200, |s| u16::from_be_bytes([s[0], s[1]]) % 600);
    if let Ok(headers) = Headers::parse(data.get(2..).unwrap_or_default()) {
        let _ = check_head(status, headers).map_err(|e| e.to_string());
    }
}

/// A gateway streaming body (NDJSON): lines split as chunks arrive; each read as a result line
/// (protojson value), as an error line, and as a COSI resource stream line.
pub fn gateway_body(data: &[u8]) {
    let (size, body) = chunks(data);
    let mut lines = LineBuffer::default();
    let each = |lines: &mut LineBuffer, done: bool| {
        while let Some(range) = lines.next_line(done) {
            let line = lines.get(range);
            let _ = line_error(line);
            if let Ok(v) = line_result::<serde_json::Value>("/fuzz.Service/Method", line) {
                let _ = crate::proto::json::decode_answer::<cosi::ListResponse>(
                    "/cosi.resource.State/List",
                    &v,
                );
            }
            let _ = line_result::<cosi::ListResponse>("/cosi.resource.State/List", line);
        }
    };
    for chunk in body.chunks(size) {
        lines.append_to().extend_from_slice(chunk);
        each(&mut lines, false);
    }
    each(&mut lines, true);
}

/// A gateway error answer: the HTTP status from the first two bytes, the body from the rest.
pub fn gateway_error(data: &[u8]) {
    let status = data
        .get(..2)
        .map_or(500, |s| u16::from_be_bytes([s[0], s[1]]) % 600);
    let body = String::from_utf8_lossy(data.get(2..).unwrap_or_default());
    let e = error_from_body(status, &body);
    let _ = (e.to_string(), e.code());
}
