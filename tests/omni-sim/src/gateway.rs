//! The grpc-gateway JSON API under `/api/` (§2), implemented generically:
//! JSON → dynamic message (strict, via the descriptor pool) → an in-process
//! gRPC call to the same tonic services → JSON / NDJSON.

use std::sync::Arc;

use axum::body::Body;
use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt;
use prost::Message as _;
use prost_reflect::DynamicMessage;
use tonic::Status;
use tower::ServiceExt;

use crate::{yaml, Core};

/// Services Omni registers on the gateway.
const GATEWAY_SERVICES: [&str; 6] = [
    "omni.resources.ResourceService",
    "oidc.OIDCService",
    "management.ManagementService",
    "auth.AuthService",
    "cosi.resource.State",
    "machine.MachineService",
];

/// grpc-gateway's `HTTPStatusFromCode`.
pub fn http_status(code: tonic::Code) -> StatusCode {
    use tonic::Code::*;
    let n = match code {
        Ok => 200,
        Cancelled => 499,
        Unknown => 500,
        InvalidArgument => 400,
        DeadlineExceeded => 504,
        NotFound => 404,
        AlreadyExists => 409,
        PermissionDenied => 403,
        ResourceExhausted => 429,
        FailedPrecondition => 400,
        Aborted => 409,
        OutOfRange => 400,
        Unimplemented => 501,
        Internal => 500,
        Unavailable => 503,
        DataLoss => 500,
        Unauthenticated => 401,
    };
    StatusCode::from_u16(n).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn status_json(s: &Status) -> serde_json::Value {
    serde_json::json!({"code": s.code() as i32, "message": s.message()})
}

/// A unary-style error response (also used for streams that fail before headers).
pub fn error_response(s: &Status) -> Response<Body> {
    let mut resp = Response::new(Body::from(status_json(s).to_string()));
    *resp.status_mut() = http_status(s.code());
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if s.code() == tonic::Code::Unauthenticated {
        if let Ok(v) = HeaderValue::from_str(s.message()) {
            resp.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
        }
    }
    resp
}

/// Builds the gRPC metadata the gateway would pass (§2.3).
fn metadata_headers(h: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in h.iter() {
        let n = name.as_str();
        // Values that are not printable ASCII are dropped, like the gateway does.
        if !value.as_bytes().iter().all(|b| (0x20..0x7f).contains(b)) {
            continue;
        }
        if let Some(key) = n.strip_prefix("grpc-metadata-") {
            if key.ends_with("-bin") || key.is_empty() {
                continue;
            }
            if let Ok(k) = HeaderName::from_bytes(key.as_bytes()) {
                out.append(k, value.clone());
            }
        } else if n == "authorization" {
            out.append(http::header::AUTHORIZATION, value.clone());
        }
    }
    if let Some(v) = h.get(http::header::HOST) {
        out.insert(HeaderName::from_static("x-forwarded-host"), v.clone());
    }
    out
}

fn frame(msg: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(msg.len() + 5);
    b.extend_from_slice(&[0]);
    b.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    b.extend_from_slice(msg);
    b.freeze()
}

/// Reads gRPC frames and the final status from a response body.
struct GrpcReader {
    body: tonic::body::Body,
    buf: BytesMut,
    done: Option<Status>,
}

enum Item {
    Msg(Bytes),
    End(Status),
}

impl GrpcReader {
    async fn next(&mut self) -> Item {
        loop {
            if self.buf.len() >= 5 {
                let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]])
                    as usize;
                if self.buf.len() >= 5 + len {
                    self.buf.advance(5);
                    return Item::Msg(self.buf.split_to(len).freeze());
                }
            }
            if let Some(s) = self.done.take() {
                return Item::End(s);
            }
            match self.body.frame().await {
                Some(Ok(f)) => {
                    if f.is_data() {
                        if let Ok(d) = f.into_data() {
                            self.buf.extend_from_slice(&d);
                        }
                    } else if let Ok(t) = f.into_trailers() {
                        self.done = Some(
                            Status::from_header_map(&t)
                                .unwrap_or_else(|| Status::unknown("missing grpc-status")),
                        );
                    }
                }
                Some(Err(e)) => return Item::End(e),
                None => {
                    return Item::End(Status::internal("stream ended without status"));
                }
            }
        }
    }
}

pub async fn handle(
    core: Arc<Core>,
    routes: tonic::service::Routes,
    req: Request<Body>,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    let rest = path.strip_prefix("/api/").unwrap_or("");
    let mut parts = rest.splitn(2, '/');
    let (svc, meth) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let method = core
        .pool
        .get_service_by_name(svc)
        .filter(|_| GATEWAY_SERVICES.contains(&svc))
        .and_then(|s| s.methods().find(|m| m.name() == meth));
    let Some(method) = method else {
        return error_response(&Status::not_found("Not Found"));
    };
    if req.method() != http::Method::POST {
        return error_response(&Status::unimplemented("Method Not Allowed"));
    }
    let md = metadata_headers(req.headers());
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return error_response(&Status::invalid_argument(e.to_string())),
    };
    let input = if body.iter().all(|b| b.is_ascii_whitespace()) {
        DynamicMessage::new(method.input())
    } else {
        let mut de = serde_json::Deserializer::from_slice(&body);
        match DynamicMessage::deserialize(method.input(), &mut de).and_then(|m| de.end().map(|_| m))
        {
            Ok(m) => m,
            Err(e) => return error_response(&Status::invalid_argument(e.to_string())),
        }
    };
    let mut greq = Request::new(tonic::body::Body::new(http_body_util::Full::new(frame(
        &input.encode_to_vec(),
    ))));
    *greq.method_mut() = http::Method::POST;
    *greq.uri_mut() = match format!("/{svc}/{meth}").parse() {
        Ok(u) => u,
        Err(_) => return error_response(&Status::not_found("Not Found")),
    };
    *greq.version_mut() = http::Version::HTTP_2;
    let h = greq.headers_mut();
    h.extend(md);
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    h.insert(http::header::TE, HeaderValue::from_static("trailers"));
    let resp = match routes.oneshot(greq).await {
        Ok(r) => r,
        Err(_) => return error_response(&Status::internal("dispatch failed")),
    };
    if let Some(s) = Status::from_header_map(resp.headers()) {
        if s.code() != tonic::Code::Ok {
            return error_response(&s);
        }
    }
    // cookies a handler set (Omni's grpc/cookies): Set-Cookie on the gateway's answer (the sim
    // carries each cookie as its header text where Omni carries JSON of an http.Cookie)
    let cookies: Vec<HeaderValue> = resp
        .headers()
        .get_all("grpc-gateway-cookies")
        .iter()
        .cloned()
        .collect();
    let output = method.output();
    let to_json = move |b: &[u8]| -> Result<String, Status> {
        let m = DynamicMessage::decode(output.clone(), b)
            .map_err(|e| Status::internal(e.to_string()))?;
        yaml::dyn_to_json(&m)
            .map(|v| v.to_string())
            .map_err(Status::internal)
    };
    let mut reader = GrpcReader {
        body: resp.into_body(),
        buf: BytesMut::new(),
        done: None,
    };
    if !method.is_server_streaming() {
        let msg = match reader.next().await {
            Item::Msg(m) => m,
            Item::End(s) => return error_response(&s),
        };
        match reader.next().await {
            Item::End(s) if s.code() == tonic::Code::Ok => {}
            Item::End(s) => return error_response(&s),
            Item::Msg(_) => return error_response(&Status::internal("unexpected second message")),
        }
        return match to_json(&msg) {
            Ok(j) => {
                let mut r = json_response(StatusCode::OK, Body::from(j));
                for c in cookies {
                    r.headers_mut().append(http::header::SET_COOKIE, c);
                }
                r
            }
            Err(s) => error_response(&s),
        };
    }
    // Streams: NDJSON. Decide the status with the first item.
    let first = reader.next().await;
    let (status, first_line, ended) = match first {
        Item::Msg(m) => match to_json(&m) {
            Ok(j) => (StatusCode::OK, format!("{{\"result\":{j}}}\n"), false),
            Err(s) => (http_status(s.code()), error_line(&s), true),
        },
        Item::End(s) if s.code() == tonic::Code::Ok => (StatusCode::OK, String::new(), true),
        Item::End(s) => (http_status(s.code()), error_line(&s), true),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        if !first_line.is_empty() && tx.send(Ok(Bytes::from(first_line))).await.is_err() {
            return;
        }
        if ended {
            return;
        }
        loop {
            let line = match reader.next().await {
                Item::Msg(m) => match to_json(&m) {
                    Ok(j) => format!("{{\"result\":{j}}}\n"),
                    Err(s) => {
                        let _ = tx.send(Ok(Bytes::from(error_line(&s)))).await;
                        return;
                    }
                },
                Item::End(s) if s.code() == tonic::Code::Ok => return,
                Item::End(s) => {
                    let _ = tx.send(Ok(Bytes::from(error_line(&s)))).await;
                    return;
                }
            };
            if tx.send(Ok(Bytes::from(line))).await.is_err() {
                return;
            }
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    json_response(status, body)
}

fn error_line(s: &Status) -> String {
    format!("{}\n", serde_json::json!({"error": status_json(s)}))
}

fn json_response(status: StatusCode, body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
