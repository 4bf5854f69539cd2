//! Lists as JSON text, for callers that hand a whole list to a JSON parser (the JS API: the
//! engine's `JSON.parse` builds objects far faster than wasm can, one property at a time).
//!
//! On the gateway a list is `omni.resources.ResourceService/List`, what Omni's own UI reads:
//! every resource arrives as JSON already (specs rendered by the server), so nothing is decoded
//! here and, in wasm, the body never enters linear memory. Elsewhere (gRPC-web, or an id regexp,
//! which only `cosi.resource.State/List` can filter by) resources are decoded one message at a
//! time and written out as JSON arrays of bounded size, so memory does not grow with the list.

use futures::StreamExt as _;

use super::paging::{PageParams, RS_LIST};
use super::resources::{ListParams, Resources};
use crate::proto::cosi::resource as cosi;
use crate::proto::omni::resources as pb;
use crate::resource::Resource;
use crate::transport::{CallKind, CallOptions, Protocol, Text};
use crate::{Error, Result};

/// A list as JSON text.
#[derive(Debug)]
pub enum ListText {
    /// ResourceService's answer as received: `{"items": ["<resource JSON>", …], "total": n}`
    /// (in each item `metadata.version` is a number).
    Items(Text),
    /// JSON arrays of resources (`[{"metadata": …, "spec": …}, …]`) of about [`CHUNK`] bytes.
    Arrays(Vec<Text>),
}

/// Target size of one JSON array of [`ListText::Arrays`].
pub const CHUNK: usize = 256 * 1024;

impl Resources {
    /// Like [`list`](Self::list), as JSON text (see [`ListText`]).
    ///
    /// # Errors
    /// As [`list`](Self::list).
    pub async fn list_text(&self, params: &ListParams, opts: &CallOptions) -> Result<ListText> {
        let transport = self.client().transport();
        if transport.protocol() == Protocol::Gateway && params.id_query().is_none() {
            let page = PageParams {
                selectors: params.selectors.clone(),
                ..PageParams::default()
            };
            let (md, req) = self.page_request(&page)?;
            let text = transport
                .unary_text(RS_LIST, md, &req, CallKind::Read, opts)
                .await?;
            return Ok(ListText::Items(text));
        }
        let options = cosi::ListOptions {
            label_query: params.label_queries()?,
            id_query: params.id_query(),
        };
        let mut stream =
            self.client()
                .list_stream(self.namespace(), self.type_name(), options, opts);
        let mut arrays = Vec::new();
        let mut buf: Vec<u8> = Vec::new();
        while let Some(item) = stream.next().await {
            let Some(r) = item?.resource else {
                continue;
            };
            buf.push(if buf.is_empty() { b'[' } else { b',' });
            Resource::write_json_from_proto(r, self.registry(), &mut buf)?;
            if buf.len() >= CHUNK {
                arrays.push(close_array(&mut buf)?);
            }
        }
        if !buf.is_empty() || arrays.is_empty() {
            arrays.push(close_array(&mut buf)?);
        }
        Ok(ListText::Arrays(arrays))
    }

    /// Like [`list_page`](Self::list_page), as ResourceService's JSON answer
    /// (`{"items": ["<resource JSON>", …], "total": n}`).
    ///
    /// # Errors
    /// As [`list_page`](Self::list_page).
    pub async fn list_page_text(&self, p: &PageParams, opts: &CallOptions) -> Result<Text> {
        let (md, req) = self.page_request(p)?;
        let transport = self.client().transport();
        if transport.protocol() == Protocol::GrpcWeb {
            let resp: pb::ListResponse = transport
                .unary(RS_LIST, md, &req, CallKind::Read, opts)
                .await?;
            let text = serde_json::to_string(&resp)
                .map_err(|e| Error::Decode(format!("page to JSON: {e}")))?;
            return Ok(Text::from(text));
        }
        transport
            .unary_text(RS_LIST, md, &req, CallKind::Read, opts)
            .await
    }
}

/// Ends the array in `buf`, hands it over as text and empties `buf` (keeping its capacity).
fn close_array(buf: &mut Vec<u8>) -> Result<Text> {
    if buf.is_empty() {
        buf.push(b'[');
    }
    buf.push(b']');
    let text = std::str::from_utf8(buf)
        .map(Text::from)
        .map_err(|e| Error::Decode(format!("resource JSON: {e}")));
    buf.clear();
    text
}
