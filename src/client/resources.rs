//! [`Resources`]: one resource type in one namespace, with omnictl's verbs.

use std::rc::Rc;

use super::{not_found_to_none, with_current_version, OmniClient, STATE};
use crate::auth::Metadata;
use crate::proto::cosi::resource as cosi;
use crate::resource::{parse_selector, Registry, Resource, ResourceMetadata};
use crate::transport::{CallKind, CallOptions};
use crate::{Code, Error, Result};

/// Parameters of a list: omnictl's `-l/--selector` and `--id-match-regexp`.
#[derive(Clone, Debug, Default)]
pub struct ListParams {
    /// Label selectors (omnictl syntax); several selectors are ORed, terms within one ANDed.
    pub selectors: Vec<String>,
    /// RE2 regular expression matched (unanchored) against ids.
    pub id_regexp: Option<String>,
}

impl ListParams {
    /// Add a label selector, e.g. `omni.sidero.dev/cluster=prod,!omni.sidero.dev/locked`.
    #[must_use]
    pub fn selector(mut self, s: impl Into<String>) -> Self {
        self.selectors.push(s.into());
        self
    }

    /// Only ids matching `re`.
    #[must_use]
    pub fn id_regexp(mut self, re: impl Into<String>) -> Self {
        self.id_regexp = Some(re.into());
        self
    }

    pub(crate) fn label_queries(&self) -> Result<Vec<cosi::LabelQuery>> {
        self.selectors
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_selector(s))
            .collect()
    }

    pub(crate) fn id_query(&self) -> Option<cosi::IdQuery> {
        self.id_regexp
            .as_ref()
            .filter(|r| !r.is_empty())
            .map(|r| cosi::IdQuery { regexp: r.clone() })
    }

    /// Whether only `cosi.resource.State` can serve these parameters: an id regexp, or several
    /// (ORed) selectors — ResourceService takes selectors as `selectors` metadata, and over
    /// HTTP several values of one header arrive joined into one (`a, b`), which would both
    /// break the signature and AND the selectors' terms.
    pub(crate) fn needs_state(&self) -> bool {
        self.id_query().is_some()
            || self
                .selectors
                .iter()
                .filter(|s| !s.trim().is_empty())
                .count()
                > 1
    }
}

/// What `apply` did (or, with `dry_run`, would do) to one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyAction {
    /// The resource did not exist and was (would be) created.
    Create,
    /// The resource existed and was (would be) updated.
    Update,
    /// The resource existed with the same labels, annotations and spec; nothing written.
    Unchanged,
}

/// The outcome of applying one resource.
#[derive(Clone, Debug)]
pub struct ApplyOutcome {
    /// What happened.
    pub action: ApplyAction,
    /// The resource as stored after the write (with `dry_run`: as it would be sent).
    pub resource: Resource,
    /// Unified diff of the omnictl YAML before → after (empty when unchanged).
    pub diff: String,
}

/// The outcome of deleting one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The resource id.
    pub id: String,
    /// `false` when it did not exist (omnictl ignores that too).
    pub destroyed: bool,
}

/// A handle on one resource type in one namespace. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Resources {
    client: OmniClient,
    type_name: String,
    namespace: String,
    registry: Rc<Registry>,
}

impl Resources {
    pub(crate) fn new(
        client: OmniClient,
        type_name: String,
        namespace: String,
        registry: Rc<Registry>,
    ) -> Self {
        Resources {
            client,
            type_name,
            namespace,
            registry,
        }
    }

    /// The same type in another namespace.
    #[must_use]
    pub fn in_namespace(&self, namespace: &str) -> Self {
        let mut r = self.clone();
        r.namespace = namespace.to_string();
        r
    }

    /// The full type string, e.g. `Clusters.omni.sidero.dev`.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The registry used to decode specs.
    pub fn registry(&self) -> &Rc<Registry> {
        &self.registry
    }

    pub(crate) fn client(&self) -> &OmniClient {
        &self.client
    }

    fn method(name: &str) -> String {
        format!("{STATE}{name}")
    }

    fn decode(&self, r: cosi::Resource) -> Result<Resource> {
        Resource::from_proto(r, &self.registry)
    }

    /// Get one resource by id.
    ///
    /// # Errors
    /// [`Code::NotFound`] if it does not exist (see [`get_opt`](Self::get_opt)).
    pub async fn get(&self, id: &str, opts: &CallOptions) -> Result<Resource> {
        let req = cosi::GetRequest {
            namespace: self.namespace.clone(),
            r#type: self.type_name.clone(),
            id: id.to_string(),
            options: Some(cosi::GetOptions {}),
        };
        let resp: cosi::GetResponse = self
            .client
            .transport()
            .unary(
                &Self::method("Get"),
                Metadata::new(),
                &req,
                CallKind::Read,
                opts,
            )
            .await?;
        let r = resp
            .resource
            .ok_or_else(|| Error::Decode("Get answered without a resource".into()))?;
        self.decode(r)
    }

    /// Like [`get`](Self::get), but `Ok(None)` when the resource does not exist.
    ///
    /// # Errors
    /// As [`get`](Self::get), except `NotFound`.
    pub async fn get_opt(&self, id: &str, opts: &CallOptions) -> Result<Option<Resource>> {
        not_found_to_none(self.get(id, opts).await)
    }

    /// List resources, filtered by label selectors and an id regexp (both server-side).
    ///
    /// # Errors
    /// [`Code::InvalidArgument`] for a bad selector (checked before anything is sent).
    pub async fn list(&self, params: &ListParams, opts: &CallOptions) -> Result<Vec<Resource>> {
        let options = cosi::ListOptions {
            label_query: params.label_queries()?,
            id_query: params.id_query(),
        };
        let raw = self
            .client
            .list_raw(&self.namespace, &self.type_name, options, opts)
            .await?;
        raw.into_iter().map(|r| self.decode(r)).collect()
    }

    /// Create `resource` (its type and namespace are this handle's unless set).
    ///
    /// # Errors
    /// [`Code::AlreadyExists`] when the id exists.
    pub async fn create(&self, resource: &Resource, opts: &CallOptions) -> Result<Resource> {
        let mut r = resource.clone();
        self.fill(&mut r);
        r.metadata.version = String::new();
        let req = cosi::CreateRequest {
            resource: Some(r.to_proto(&self.registry)?),
            options: Some(cosi::CreateOptions::default()),
        };
        let resp: cosi::CreateResponse = self
            .client
            .transport()
            .unary(
                &Self::method("Create"),
                Metadata::new(),
                &req,
                CallKind::Write,
                opts,
            )
            .await?;
        match resp.resource {
            Some(r) => self.decode(r),
            None => Ok(r),
        }
    }

    /// Update `resource` if its `metadata.version` is still the current one (COSI optimistic
    /// concurrency).
    ///
    /// # Errors
    /// [`Code::FailedPrecondition`] on a version conflict; the error carries the current
    /// version ([`Error::Status::current_version`]) so the caller can re-read and retry.
    pub async fn update(&self, resource: &Resource, opts: &CallOptions) -> Result<Resource> {
        let mut r = resource.clone();
        self.fill(&mut r);
        if r.metadata.version.is_empty() || r.metadata.version == "undefined" {
            return Err(Error::InvalidArgument(format!(
                "update of {}/{} needs metadata.version (the version you read)",
                r.metadata.type_, r.metadata.id
            )));
        }
        let req = cosi::UpdateRequest {
            new_resource: Some(r.to_proto(&self.registry)?),
            options: Some(cosi::UpdateOptions::default()),
        };
        let result: Result<cosi::UpdateResponse> = self
            .client
            .transport()
            .unary(
                &Self::method("Update"),
                Metadata::new(),
                &req,
                CallKind::Write,
                opts,
            )
            .await;
        match result {
            Ok(resp) => match resp.resource {
                Some(r) => self.decode(r),
                None => Ok(r),
            },
            Err(e) if e.code() == Code::FailedPrecondition => {
                let current = self
                    .get_opt(&r.metadata.id, opts)
                    .await
                    .ok()
                    .flatten()
                    .map(|c| c.metadata.version);
                Err(with_current_version(e, current))
            }
            Err(e) => Err(e),
        }
    }

    /// Create if absent, update (with the fetched version) if present — `omnictl apply`.
    /// With `dry_run`, nothing is written and the outcome says what would happen.
    ///
    /// # Errors
    /// Server errors of the Get/Create/Update; a denied Get leads to a blind Create, as
    /// omnictl does.
    pub async fn apply(
        &self,
        resource: &Resource,
        dry_run: bool,
        opts: &CallOptions,
    ) -> Result<ApplyOutcome> {
        let mut desired = resource.clone();
        self.fill(&mut desired);
        // validate the spec encodes before anything is written
        desired.to_proto(&self.registry)?;
        let current = match self.get_opt(&desired.metadata.id, opts).await {
            Ok(c) => c,
            Err(e) if matches!(e.code(), Code::PermissionDenied | Code::Unauthenticated) => None,
            Err(e) => return Err(e),
        };
        match current {
            None => {
                let diff = crate::goyaml::diff::unified_diff(
                    "/dev/null",
                    &desired.metadata.id,
                    "",
                    &comparable_yaml(&desired)?,
                );
                if dry_run {
                    return Ok(ApplyOutcome {
                        action: ApplyAction::Create,
                        resource: desired,
                        diff,
                    });
                }
                let created = self.create(&desired, opts).await?;
                Ok(ApplyOutcome {
                    action: ApplyAction::Create,
                    resource: created,
                    diff,
                })
            }
            Some(cur) => {
                desired.metadata.version = cur.metadata.version.clone();
                let before = comparable_yaml(&cur)?;
                let after = comparable_yaml(&desired)?;
                if before == after {
                    return Ok(ApplyOutcome {
                        action: ApplyAction::Unchanged,
                        resource: cur,
                        diff: String::new(),
                    });
                }
                let diff = crate::goyaml::diff::unified_diff(
                    &desired.metadata.id,
                    &desired.metadata.id,
                    &before,
                    &after,
                );
                if dry_run {
                    return Ok(ApplyOutcome {
                        action: ApplyAction::Update,
                        resource: desired,
                        diff,
                    });
                }
                let updated = self.update(&desired, opts).await?;
                Ok(ApplyOutcome {
                    action: ApplyAction::Update,
                    resource: updated,
                    diff,
                })
            }
        }
    }

    /// Mark a resource as being torn down; `true` when it has no finalizers left.
    ///
    /// # Errors
    /// [`Code::NotFound`], or a permission/owner error.
    pub async fn teardown(&self, id: &str, opts: &CallOptions) -> Result<bool> {
        let req = cosi::TeardownRequest {
            namespace: self.namespace.clone(),
            r#type: self.type_name.clone(),
            id: id.to_string(),
            options: Some(cosi::TeardownOptions::default()),
        };
        let resp: cosi::TeardownResponse = self
            .client
            .transport()
            .unary(
                &Self::method("Teardown"),
                Metadata::new(),
                &req,
                CallKind::Write,
                opts,
            )
            .await?;
        Ok(resp.destroy_ready)
    }

    /// Destroy a resource that has no finalizers (no teardown, no waiting).
    ///
    /// # Errors
    /// [`Code::FailedPrecondition`] while finalizers remain; [`Code::NotFound`].
    pub async fn destroy(&self, id: &str, opts: &CallOptions) -> Result<()> {
        let req = cosi::DestroyRequest {
            namespace: self.namespace.clone(),
            r#type: self.type_name.clone(),
            id: id.to_string(),
            options: Some(cosi::DestroyOptions::default()),
        };
        let _: cosi::DestroyResponse = self
            .client
            .transport()
            .unary(
                &Self::method("Destroy"),
                Metadata::new(),
                &req,
                CallKind::Write,
                opts,
            )
            .await?;
        Ok(())
    }

    /// Delete like `omnictl delete`: tear down, wait for the finalizers to clear, destroy
    /// (server-side `TeardownAndDestroy`). A missing resource is not an error.
    ///
    /// # Errors
    /// Permission errors, or the call's timeout/abort while waiting for finalizers.
    pub async fn delete(&self, id: &str, opts: &CallOptions) -> Result<DeleteOutcome> {
        let req = cosi::TeardownAndDestroyRequest {
            namespace: self.namespace.clone(),
            r#type: self.type_name.clone(),
            id: id.to_string(),
            options: Some(cosi::TeardownAndDestroyOptions::default()),
        };
        let result: Result<cosi::TeardownAndDestroyResponse> = self
            .client
            .transport()
            .unary(
                &Self::method("TeardownAndDestroy"),
                Metadata::new(),
                &req,
                CallKind::Write,
                opts,
            )
            .await;
        match result {
            Ok(_) => Ok(DeleteOutcome {
                id: id.to_string(),
                destroyed: true,
            }),
            Err(e) if e.code() == Code::NotFound => Ok(DeleteOutcome {
                id: id.to_string(),
                destroyed: false,
            }),
            Err(e) => Err(e),
        }
    }

    fn fill(&self, r: &mut Resource) {
        if r.metadata.type_.is_empty() {
            r.metadata.type_ = self.type_name.clone();
        }
        if r.metadata.namespace.is_empty() {
            r.metadata.namespace = self.namespace.clone();
        }
    }
}

/// The parts of a resource `apply` writes (labels, annotations, spec), as stable YAML for
/// comparing and diffing.
fn comparable_yaml(r: &Resource) -> Result<String> {
    // omnictl's YAML of what `apply` sets (id, labels, annotations, spec); the fields the server
    // owns (version, owner, phase, times, finalizers) are the same on both sides of a diff
    let mut md = ResourceMetadata::new(&r.metadata.namespace, &r.metadata.type_, &r.metadata.id);
    md.labels = r.metadata.labels.clone();
    md.annotations = r.metadata.annotations.clone();
    md.version = String::new();
    md.phase = "running".into();
    crate::resource::to_omnictl_yaml(&[Resource::new(md, r.spec.clone())])
}
