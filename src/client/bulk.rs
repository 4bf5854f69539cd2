//! Lists as JSON text, for callers that hand a whole list to a JSON parser (the JS API: the
//! engine's `JSON.parse` builds objects far faster than wasm can, one property at a time).
//!
//! On the gateway a list is `omni.resources.ResourceService/List`, what Omni's own UI reads:
//! every resource arrives as JSON already (specs rendered by the server), so nothing is decoded
//! here and, in wasm, the body never enters linear memory. Over gRPC-web the same service is read
//! in pages of [`PAGE`] items whose JSON strings are joined into arrays without being parsed
//! (a page is decoded and released before the next, so memory does not grow with the list).
//! Elsewhere (the in-memory test transport, an id regexp, which only `cosi.resource.State/List`
//! can filter by, or a list that keeps changing under the pages) resources are decoded one
//! message at a time and written out as JSON arrays of bounded size.

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

/// Items per ResourceService page of a whole-list read over gRPC-web.
pub const PAGE: i32 = 1000;

/// Paged reads of a list that keeps changing are retried this often, then the list is read as
/// one `State/List` stream.
const PAGED_ATTEMPTS: usize = 3;

/// The id of a ResourceService item (`{"metadata": {"id": …}, …}`).
fn item_id(item: &str) -> Result<String> {
    #[derive(serde::Deserialize)]
    struct Item {
        metadata: Meta,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        id: String,
    }
    serde_json::from_str::<Item>(item)
        .map(|i| i.metadata.id)
        .map_err(|e| Error::Decode(format!("ResourceService item: {e}")))
}

impl Resources {
    /// Like [`list`](Self::list), as JSON text (see [`ListText`]).
    ///
    /// # Errors
    /// As [`list`](Self::list).
    pub async fn list_text(&self, params: &ListParams, opts: &CallOptions) -> Result<ListText> {
        let transport = self.client().transport();
        if transport.protocol() == Protocol::GrpcWeb && !params.needs_state() {
            for _ in 0..PAGED_ATTEMPTS {
                if let Some(arrays) = self.paged_arrays(params, PAGE, opts).await? {
                    return Ok(ListText::Arrays(arrays));
                }
            }
            // the list kept changing under the pages: read one consistent stream instead
        }
        if transport.protocol() == Protocol::Gateway && !params.needs_state() {
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

    /// The whole list through ResourceService pages of [`PAGE`] items (specs arrive as JSON,
    /// rendered by the server; each page is decoded and released before the next, so linear
    /// memory holds one page, not the list), as JSON arrays. Consecutive pages overlap by one
    /// item: if that item is not the same resource, the list shifted under the paging (a
    /// create or delete before the page boundary) and `None` says so; a changed `total` too.
    ///
    /// # Errors
    /// As [`list`](Self::list).
    #[doc(hidden)] // public for the tests of small pages
    pub async fn paged_arrays(
        &self,
        params: &ListParams,
        page_size: i32,
        opts: &CallOptions,
    ) -> Result<Option<Vec<Text>>> {
        let transport = self.client().transport();
        let mut arrays = Vec::new();
        let mut buf: Vec<u8> = Vec::new();
        let mut next = 0i32; // index of the first item not delivered yet
        let mut last_id: Option<String> = None;
        let mut total: Option<i32> = None;
        loop {
            let overlap = i32::from(last_id.is_some());
            let page = PageParams {
                selectors: params.selectors.clone(),
                offset: next - overlap,
                limit: page_size.max(1) + overlap,
                ..PageParams::default()
            };
            let (md, req) = self.page_request(&page)?;
            let resp: pb::ListResponse = transport
                .unary(RS_LIST, md, &req, CallKind::Read, opts)
                .await?;
            if total.is_some_and(|t| t != resp.total) {
                return Ok(None);
            }
            total = Some(resp.total);
            let mut items = resp.items.into_iter();
            if let Some(prev) = &last_id {
                match items.next() {
                    Some(first) if item_id(&first)? == *prev => {}
                    _ => return Ok(None),
                }
            }
            let mut last = None;
            for item in items {
                buf.push(if buf.is_empty() { b'[' } else { b',' });
                buf.extend_from_slice(item.as_bytes());
                if buf.len() >= CHUNK {
                    arrays.push(close_array(&mut buf)?);
                }
                next += 1;
                last = Some(item);
            }
            match last {
                Some(item) if next < resp.total => last_id = Some(item_id(&item)?),
                _ => break,
            }
        }
        if !buf.is_empty() || arrays.is_empty() {
            arrays.push(close_array(&mut buf)?);
        }
        Ok(Some(arrays))
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
