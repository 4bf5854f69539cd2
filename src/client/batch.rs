//! Many writes at once: apply a set of resources (all validated before anything is written)
//! and delete many, a bounded number at a time, with each item's own outcome.

use futures::StreamExt as _;

use super::resources::{ApplyOutcome, DeleteOutcome, ListParams, Resources};
use super::OmniClient;
use crate::resource::Resource;
use crate::transport::CallOptions;
use crate::Result;

/// How many writes of one batch are in flight at once by default (omnictl destroys 8 at a
/// time).
pub const WRITE_CONCURRENCY: usize = 8;

impl OmniClient {
    /// `omnictl apply` of many resources: every one is resolved and encoded first (nothing is
    /// written when one is invalid), then each is created or updated, `concurrency` at a time
    /// (1: one after the other in input order, as omnictl does — use that when resources
    /// depend on each other). The outcomes are in input order, one per resource.
    ///
    /// # Errors
    /// The first resource that does not resolve or encode (nothing written then).
    pub async fn apply_each(
        &self,
        resources: &[Resource],
        dry_run: bool,
        concurrency: usize,
        opts: &CallOptions,
    ) -> Result<Vec<Result<ApplyOutcome>>> {
        let resolved = self.resolve_each(resources).await?;
        Ok(futures::stream::iter(resolved)
            .map(|(r, h)| async move { h.apply(&r, dry_run, opts).await })
            .buffered(concurrency.max(1))
            .collect()
            .await)
    }

    /// Like [`apply_each`](Self::apply_each), but the first failure is the result, as in
    /// `omnictl apply`: no write starts after it (with `concurrency` > 1, the writes already
    /// in flight finish). The outcomes of the writes before it are lost with the error, so use
    /// `apply_each` to learn which ones were made.
    ///
    /// # Errors
    /// As [`apply_each`](Self::apply_each), and the first write that fails.
    pub async fn apply_all(
        &self,
        resources: &[Resource],
        dry_run: bool,
        concurrency: usize,
        opts: &CallOptions,
    ) -> Result<Vec<ApplyOutcome>> {
        let resolved = self.resolve_each(resources).await?;
        let mut writes = futures::stream::iter(resolved)
            .map(|(r, h)| async move { h.apply(&r, dry_run, opts).await })
            .buffered(concurrency.max(1));
        let mut out = Vec::with_capacity(resources.len());
        while let Some(outcome) = writes.next().await {
            out.push(outcome?);
        }
        Ok(out)
    }

    /// Every resource with the handle of its type (an alias resolved, the resolved type set on
    /// the resource) and its spec checked to encode: nothing is written when one fails here.
    async fn resolve_each(&self, resources: &[Resource]) -> Result<Vec<(Resource, Resources)>> {
        let mut resolved = Vec::with_capacity(resources.len());
        for r in resources {
            let h = self.resources(&r.metadata.type_).await?;
            let h = if r.metadata.namespace.is_empty() {
                h
            } else {
                h.in_namespace(&r.metadata.namespace)
            };
            // an alias (`clusters`) is sent as the type it resolved to
            let mut r = r.clone();
            r.metadata.type_ = h.type_name().to_string();
            r.to_proto(h.registry())?;
            resolved.push((r, h));
        }
        Ok(resolved)
    }
}

impl Resources {
    /// Delete each of `ids` like `omnictl delete TYPE ID…`, `concurrency` at a time; the
    /// outcomes in the order of `ids` (a failure does not stop the others).
    pub async fn delete_each(
        &self,
        ids: &[String],
        concurrency: usize,
        opts: &CallOptions,
    ) -> Vec<Result<DeleteOutcome>> {
        futures::stream::iter(ids)
            .map(|id| self.delete(id, opts))
            .buffered(concurrency.max(1))
            .collect()
            .await
    }

    /// Delete every resource matching `params` (omnictl `delete --all` / `-l`), eight at a
    /// time as omnictl does ([`delete_each`](Self::delete_each)).
    ///
    /// # Errors
    /// The first failure in list order; the other deletes have run.
    pub async fn delete_all(
        &self,
        params: &ListParams,
        opts: &CallOptions,
    ) -> Result<Vec<DeleteOutcome>> {
        let ids: Vec<String> = self
            .list(params, opts)
            .await?
            .into_iter()
            .map(|r| r.metadata.id)
            .collect();
        self.delete_each(&ids, WRITE_CONCURRENCY, opts)
            .await
            .into_iter()
            .collect()
    }
}
