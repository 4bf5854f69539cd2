//! Cluster templates against a server: diff, sync, delete, export (omnictl's
//! `cluster template diff|sync|delete|export`) and the cluster status tree. Rendering and
//! planning are the template engine's ([`TemplateEngine`]: [`crate::template::Engine`]
//! natively, the `omni-wasm/templates` module in the npm package); this module collects the
//! live state and applies plans.

use std::collections::BTreeMap;

use serde_json::Value;

use futures::StreamExt as _;

use super::resources::ListParams;
use super::status;
use super::watch::{WatchEventKind, WatchParams};
use super::OmniClient;
use crate::resource::Resource;
use crate::template::{types, Plan, Rendered, TemplateEngine};
use crate::transport::CallOptions;
use crate::{Code, Error, Result};

const LABEL_CLUSTER: &str = "omni.sidero.dev/cluster";

/// What a sync (or delete) did, or would do with `dry_run`.
#[derive(Clone, Debug, Default)]
pub struct SyncReport {
    /// omnictl's `diff` output of the plan.
    pub diff: String,
    /// omnictl's progress lines (`* creating Cluster(x)`, `* destroyed …`).
    pub actions: Vec<String>,
    /// Whether anything would change.
    pub changed: bool,
}

/// Template operations of one client.
#[derive(Clone, Debug)]
pub struct Templates {
    client: OmniClient,
}

impl OmniClient {
    /// Cluster-template operations against this server.
    pub fn templates(&self) -> Templates {
        Templates {
            client: self.clone(),
        }
    }
}

/// A plan's resource in the library's shape.
fn resource_of(v: &Value) -> Result<Resource> {
    serde_json::from_value(v.clone()).map_err(|e| Error::Decode(format!("template resource: {e}")))
}

fn json_of(r: &Resource) -> Result<Value> {
    serde_json::to_value(r).map_err(|e| Error::Decode(e.to_string()))
}

impl Templates {
    /// The resource, if it exists. Uses a List with an exact id query rather than a Get, so
    /// that "not there" is an empty answer and not an HTTP 404 (which browsers log as an
    /// error on every template diff).
    async fn get(&self, ty: &str, id: &str, opts: &CallOptions) -> Result<Option<Resource>> {
        let params = ListParams::default().id_regexp(format!("^{}$", regex_lite::escape(id)));
        let mut found = self
            .client
            .resources_in(ty, "default")
            .await?
            .list(&params, opts)
            .await?;
        Ok(found.pop())
    }

    /// The template's resources as they exist now (templates.md §9.1).
    async fn actual(
        &self,
        cluster: &str,
        desired: &[Value],
        opts: &CallOptions,
    ) -> Result<Vec<Value>> {
        let mut out: Vec<Value> = Vec::new();
        let mut seen: BTreeMap<(String, String), ()> = BTreeMap::new();
        let push =
            |r: &Resource, out: &mut Vec<Value>, seen: &mut BTreeMap<(String, String), ()>| {
                let key = (r.metadata.type_.clone(), r.metadata.id.clone());
                if seen.contains_key(&key) {
                    return;
                }
                if let Ok(x) = json_of(r) {
                    seen.insert(key, ());
                    out.push(x);
                }
            };
        if let Some(c) = self.get(types::CLUSTER, cluster, opts).await? {
            push(&c, &mut out, &mut seen);
        }
        let mut nodes = Vec::new();
        for ty in [
            types::MACHINE_SET,
            types::MACHINE_SET_NODE,
            types::CONFIG_PATCH,
            types::EXTENSIONS_CONFIGURATION,
            types::KUBERNETES_MANIFEST_GROUP,
            types::KUBERNETES_HEALTH_CHECK,
        ] {
            let handle = self.client.resources_in(ty, "default").await?;
            let params = ListParams::default().selector(format!("{LABEL_CLUSTER}={cluster}"));
            let mut items = match handle.list(&params, opts).await {
                Ok(items) => items,
                // a server without this type (older Omni) has nothing of it
                Err(e) if matches!(e.code(), Code::NotFound | Code::Unimplemented) => Vec::new(),
                Err(e) => return Err(e),
            };
            crate::order::sort_by_str(&mut items, |r| r.metadata.id.as_str());
            for r in items {
                if !r.metadata.owner.is_empty()
                    || r.metadata
                        .labels
                        .contains_key("omni.sidero.dev/managed-by-machine-set-node-controller")
                {
                    continue;
                }
                if ty == types::MACHINE_SET_NODE {
                    nodes.push(r.metadata.id.clone());
                }
                push(&r, &mut out, &mut seen);
            }
        }
        for node in &nodes {
            for ty in [types::KERNEL_ARGS, types::MACHINE_INSTALL_DISK_CONFIG] {
                if let Some(r) = self.get(ty, node, opts).await? {
                    push(&r, &mut out, &mut seen);
                }
            }
        }
        for d in desired {
            let text = |k: &str| d["metadata"][k].as_str().unwrap_or_default().to_string();
            let key = (text("type"), text("id"));
            if seen.contains_key(&key) {
                continue;
            }
            if let Some(r) = self.get(&key.0, &key.1, opts).await? {
                // owned ones are kept too: the planner reports them as conflicts
                push(&r, &mut out, &mut seen);
            }
        }
        Ok(out)
    }

    /// The plan (with its omnictl diff) for a rendered template against the server.
    ///
    /// # Errors
    /// Ownership conflicts, server errors.
    pub async fn plan(
        &self,
        engine: &dyn TemplateEngine,
        template: &Rendered,
        opts: &CallOptions,
    ) -> Result<Plan> {
        let actual = self
            .actual(&template.cluster, &template.resources, opts)
            .await?;
        engine.plan(&template.cluster, &template.resources, &actual)
    }

    /// `omnictl cluster template diff`.
    ///
    /// # Errors
    /// As [`plan`](Self::plan).
    pub async fn diff(
        &self,
        engine: &dyn TemplateEngine,
        template: &Rendered,
        opts: &CallOptions,
    ) -> Result<String> {
        Ok(self.plan(engine, template, opts).await?.diff)
    }

    /// `omnictl cluster template sync`: creates, then updates, then each destroy phase
    /// (teardown, wait for finalizers, destroy). A template that does not render never gets
    /// here (see [`TemplateEngine::render`]); `dry_run` writes nothing at all.
    ///
    /// # Errors
    /// As [`plan`](Self::plan), plus write errors (changes already made stay).
    pub async fn sync(
        &self,
        engine: &dyn TemplateEngine,
        template: &Rendered,
        dry_run: bool,
        opts: &CallOptions,
    ) -> Result<SyncReport> {
        let plan = self.plan(engine, template, opts).await?;
        self.apply_plan(plan, dry_run, opts).await
    }

    /// `omnictl cluster delete <cluster>`: tear down and destroy everything the cluster's
    /// template owns, as a template delete with only the cluster name. With
    /// `destroy_disconnected_machines`, first the cluster's ExtensionsConfigurations, then the
    /// Links of its disconnected machines, then those machines' ConfigPatches (omnictl's
    /// `--destroy-disconnected-machines`).
    ///
    /// # Errors
    /// Ownership conflicts, server errors.
    pub async fn delete_cluster(
        &self,
        engine: &dyn TemplateEngine,
        cluster: &str,
        dry_run: bool,
        destroy_disconnected_machines: bool,
        opts: &CallOptions,
    ) -> Result<SyncReport> {
        if cluster.is_empty() {
            return Err(Error::InvalidArgument("a cluster name is required".into()));
        }
        let actual = self.actual(cluster, &[], opts).await?;
        let plan = engine.delete_plan(cluster, &actual)?;
        let mut extra: Vec<Vec<Target>> = Vec::new();
        if destroy_disconnected_machines {
            let by_label = |ty: &'static str, selector: String| async move {
                let h = self.client.resources_in(ty, "default").await?;
                let items = h
                    .list(&ListParams::default().selector(selector), opts)
                    .await?;
                Ok::<_, Error>(items.iter().map(Target::of).collect::<Vec<_>>())
            };
            let exts = by_label(
                types::EXTENSIONS_CONFIGURATION,
                format!("{LABEL_CLUSTER}={cluster}"),
            )
            .await?;
            let machines = by_label(
                "MachineStatuses.omni.sidero.dev",
                format!("omni.sidero.dev/disconnected,{LABEL_CLUSTER}={cluster}"),
            )
            .await?;
            let mut patches = Vec::new();
            for m in &machines {
                patches.extend(
                    by_label(
                        types::CONFIG_PATCH,
                        format!("omni.sidero.dev/machine={}", m.id),
                    )
                    .await?,
                );
            }
            let links = machines
                .iter()
                .map(|m| Target {
                    ty: "Links.omni.sidero.dev".into(),
                    ns: "default".into(),
                    id: m.id.clone(),
                })
                .collect();
            extra = vec![exts, links, patches];
        }
        let mut report = SyncReport {
            changed: !plan.is_empty() || extra.iter().any(|p| !p.is_empty()),
            diff: plan.diff.clone(),
            actions: Vec::new(),
        };
        for phase in &extra {
            if dry_run {
                for t in phase {
                    report
                        .actions
                        .push(format!("* tearing down (dry run) {}", t.label()));
                }
            } else {
                self.destroy_phase(phase, &mut report, opts).await?;
            }
        }
        let rest = self.apply_plan(plan, dry_run, opts).await?;
        report.actions.extend(rest.actions);
        Ok(report)
    }

    /// One snapshot of `omnictl cluster status`: the status tree of `cluster` and whether it
    /// is healthy; `None` while the cluster has no ClusterStatus yet. Callers that wait
    /// re-ask (omnictl re-renders at most once a second).
    ///
    /// # Errors
    /// Server errors.
    pub async fn cluster_status(
        &self,
        cluster: &str,
        opts: &CallOptions,
    ) -> Result<Option<(String, bool)>> {
        let mut all = Vec::new();
        if let Some(c) = self.get(status::CLUSTER_STATUS_TYPE, cluster, opts).await? {
            all.push(serde_json::to_value(&c).map_err(|e| Error::Decode(e.to_string()))?);
        }
        for ty in status::STATUS_TYPES {
            let handle = self.client.resources_in(ty, "default").await?;
            let params = ListParams::default().selector(format!("{LABEL_CLUSTER}={cluster}"));
            for r in handle.list(&params, opts).await? {
                all.push(serde_json::to_value(&r).map_err(|e| Error::Decode(e.to_string()))?);
            }
        }
        Ok(status::status_tree(&all))
    }

    /// `omnictl cluster status --wait` as a stream: the status tree (see
    /// [`cluster_status`](Self::cluster_status)) whenever it changes, asked again every
    /// `interval` (omnictl re-renders at most once a second); with `until_healthy` it ends after
    /// the first healthy snapshot, otherwise when the caller stops reading. `opts.timeout` bounds
    /// the whole wait (`DEADLINE_EXCEEDED`); `opts.cancel` ends it.
    pub fn status_updates(
        &self,
        cluster: &str,
        interval: std::time::Duration,
        until_healthy: bool,
        opts: CallOptions,
    ) -> futures::stream::LocalBoxStream<'static, Result<Option<(String, bool)>>> {
        struct State {
            templates: Templates,
            cluster: String,
            last: Option<Option<(String, bool)>>,
            deadline: Option<f64>,
            done: bool,
        }
        let clock = self.client.transport().clock();
        let deadline = opts
            .timeout
            .map(|t| clock.now_millis() + t.as_secs_f64() * 1000.0);
        let state = State {
            templates: self.clone(),
            cluster: cluster.to_string(),
            last: None,
            deadline,
            done: false,
        };
        futures::stream::unfold(state, move |mut st| {
            let opts = opts.clone();
            let clock = clock.clone();
            async move {
                if st.done {
                    return None;
                }
                loop {
                    if st.last.is_some() {
                        if let Err(e) = clock.sleep(interval, &opts).await {
                            st.done = true;
                            return Some((Err(e), st));
                        }
                    }
                    let mut call = opts.clone();
                    if let Some(d) = st.deadline {
                        let left = d - clock.now_millis();
                        if left <= 0.0 {
                            st.done = true;
                            let e = Error::status(
                                Code::DeadlineExceeded,
                                format!("cluster {:?} did not become ready in time", st.cluster),
                            );
                            return Some((Err(e), st));
                        }
                        call.timeout = Some(std::time::Duration::from_secs_f64(left / 1000.0));
                    }
                    let snapshot = match st.templates.cluster_status(&st.cluster, &call).await {
                        Ok(s) => s,
                        Err(e) => {
                            st.done = true;
                            return Some((Err(e), st));
                        }
                    };
                    if st.last.as_ref() == Some(&snapshot) {
                        continue;
                    }
                    st.done = until_healthy && snapshot.as_ref().is_some_and(|(_, h)| *h);
                    st.last = Some(snapshot.clone());
                    return Some((Ok(snapshot), st));
                }
            }
        })
        .boxed_local()
    }

    /// `omnictl cluster template export`: the cluster's resources as a template; with
    /// `include_kernel_args` (`--include-kernel-args`), each listed machine's kernel arguments
    /// from its `KernelArgs` resource (an empty list when it has none), as upstream exports them.
    ///
    /// # Errors
    /// [`Code::NotFound`] for an unknown cluster; export errors.
    pub async fn export(
        &self,
        engine: &dyn TemplateEngine,
        cluster: &str,
        include_kernel_args: bool,
        opts: &CallOptions,
    ) -> Result<String> {
        if self.get(types::CLUSTER, cluster, opts).await?.is_none() {
            return Err(Error::status(
                Code::NotFound,
                format!("cluster {cluster:?} not found"),
            ));
        }
        let actual = self.actual(cluster, &[], opts).await?;
        let initial = self
            .get("ClusterStatuses.omni.sidero.dev", cluster, opts)
            .await
            .ok()
            .flatten()
            .and_then(|s| {
                s.spec
                    .get("initial_talos_version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            });
        engine.export(cluster, &actual, initial.as_deref(), include_kernel_args)
    }

    async fn apply_plan(
        &self,
        plan: Plan,
        dry_run: bool,
        opts: &CallOptions,
    ) -> Result<SyncReport> {
        let mut report = SyncReport {
            changed: !plan.is_empty(),
            diff: plan.diff,
            actions: Vec::new(),
        };
        let dr = if dry_run { " (dry run)" } else { "" };
        for c in &plan.create {
            let c = resource_of(c)?;
            report
                .actions
                .push(format!("* creating{dr} {}", Target::of(&c).label()));
            if !dry_run {
                let h = self
                    .client
                    .resources_in(&c.metadata.type_, &c.metadata.namespace)
                    .await?;
                h.create(&c, opts).await?;
            }
        }
        for u in &plan.update {
            let u = resource_of(u)?;
            report
                .actions
                .push(format!("* updating{dr} {}", Target::of(&u).label()));
            if !dry_run {
                let h = self
                    .client
                    .resources_in(&u.metadata.type_, &u.metadata.namespace)
                    .await?;
                h.update(&u, opts).await?;
            }
        }
        for phase in &plan.destroy {
            if phase.is_empty() {
                continue;
            }
            let targets = phase
                .iter()
                .map(|r| resource_of(r).map(|r| Target::of(&r)))
                .collect::<Result<Vec<Target>>>()?;
            if dry_run {
                for t in &targets {
                    report
                        .actions
                        .push(format!("* tearing down (dry run) {}", t.label()));
                }
                continue;
            }
            self.destroy_phase(&targets, &mut report, opts).await?;
        }
        Ok(report)
    }

    /// Tear down every resource of a phase, destroy each once its finalizers are gone, and
    /// return when all are gone.
    async fn destroy_phase(
        &self,
        phase: &[Target],
        report: &mut SyncReport,
        opts: &CallOptions,
    ) -> Result<()> {
        for r in phase {
            report.actions.push(format!("* tearing down {}", r.label()));
            let h = self.client.resources_in(&r.ty, &r.ns).await?;
            match h.teardown(&r.id, opts).await {
                Ok(_) => {}
                Err(e) if e.code() == Code::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        for r in phase {
            let h = self.client.resources_in(&r.ty, &r.ns).await?;
            // single-resource watch: the current state first, then changes
            let mut w = h.watch(
                WatchParams {
                    id: Some(r.id.clone()),
                    ..WatchParams::default()
                },
                opts.clone(),
            );
            loop {
                let Some(ev) = w.next().await else {
                    return Err(Error::Transport("watch ended during teardown".into()));
                };
                let ev = ev?;
                match ev.kind {
                    WatchEventKind::Destroyed => {
                        report.actions.push(format!("* destroyed {}", r.label()));
                        break;
                    }
                    WatchEventKind::Created | WatchEventKind::Updated => {
                        let ready = ev.resource.as_ref().is_some_and(|x| {
                            x.metadata.phase == "tearingDown" && x.metadata.finalizers.is_empty()
                        });
                        if ready {
                            match h.destroy(&r.id, opts).await {
                                Ok(()) => {}
                                Err(e) if e.code() == Code::NotFound => {}
                                // finalizers came back between event and destroy: keep waiting
                                Err(e) if e.code() == Code::FailedPrecondition => {}
                                Err(e) => return Err(e),
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// A resource to destroy: type, namespace, id.
struct Target {
    ty: String,
    ns: String,
    id: String,
}

impl Target {
    fn of(r: &Resource) -> Target {
        Target {
            ty: r.metadata.type_.clone(),
            ns: r.metadata.namespace.clone(),
            id: r.metadata.id.clone(),
        }
    }

    /// `<Type>(<id>)` as omnictl names it.
    fn label(&self) -> String {
        format!("{}({})", self.ty, self.id)
    }
}
