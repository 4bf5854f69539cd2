//! The engine behind the client's template operations ([`crate::template::TemplateEngine`]):
//! resources cross as JSON in the library's resource shape.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{diff, export, ExportOptions, RenderedResource, Template};
use crate::template::{Plan, Rendered, TemplateEngine};
use crate::{Error, Result};

/// This crate's template engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct Engine;

fn load(text: &str, files: &BTreeMap<String, String>) -> Result<Template> {
    Template::load(text, files).map_err(Error::Template)
}

fn cluster_of(t: &Template) -> Result<String> {
    t.cluster_name()
        .map(str::to_string)
        .ok_or_else(|| Error::InvalidArgument("template has no Cluster document".into()))
}

/// The resources templates manage, of `values` (others are skipped).
fn rendered(values: &[Value]) -> Vec<RenderedResource> {
    values
        .iter()
        .filter_map(RenderedResource::from_json)
        .collect()
}

fn plan_of(p: &diff::SyncPlan) -> Plan {
    Plan {
        diff: diff::diff(p),
        create: p.create.iter().map(RenderedResource::to_json).collect(),
        update: p.update.iter().map(|u| u.new.to_json()).collect(),
        destroy: p
            .destroy
            .iter()
            .map(|phase| phase.iter().map(RenderedResource::to_json).collect())
            .collect(),
    }
}

impl TemplateEngine for Engine {
    fn render(&self, text: &str, files: &BTreeMap<String, String>) -> Result<Rendered> {
        let t = load(text, files)?;
        let resources = t.render().map_err(Error::Template)?;
        Ok(Rendered {
            cluster: cluster_of(&t)?,
            resources: resources.iter().map(RenderedResource::to_json).collect(),
        })
    }

    fn validate(&self, text: &str, files: &BTreeMap<String, String>) -> Result<String> {
        let t = load(text, files)?;
        t.validate().map_err(Error::Template)?;
        cluster_of(&t)
    }

    fn plan(&self, cluster: &str, desired: &[Value], actual: &[Value]) -> Result<Plan> {
        let p =
            diff::plan(cluster, &rendered(desired), &rendered(actual)).map_err(Error::Template)?;
        Ok(plan_of(&p))
    }

    fn delete_plan(&self, cluster: &str, actual: &[Value]) -> Result<Plan> {
        let p = diff::delete_plan(cluster, &rendered(actual)).map_err(Error::Template)?;
        Ok(plan_of(&p))
    }

    fn export(
        &self,
        cluster: &str,
        actual: &[Value],
        initial_talos_version: Option<&str>,
        include_kernel_args: bool,
    ) -> Result<String> {
        export(
            &rendered(actual),
            &ExportOptions {
                cluster: cluster.to_string(),
                include_kernel_args,
                initial_talos_version: initial_talos_version.map(str::to_string),
            },
        )
        .map_err(Error::Template)
    }
}
