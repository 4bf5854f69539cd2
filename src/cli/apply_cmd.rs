//! `omnictl apply` and `omnictl edit` (upstream `client/pkg/omnictl/apply.go`, `edit.go`).
//!
//! Unlike upstream, every file of an `apply` is read and parsed before the first write: a
//! YAML error in the third file leaves the server untouched.

use sha2::{Digest as _, Sha256};

use super::args::{ApplyArgs, EditArgs};
use super::global::Global;
use super::resource_cmd::{check_query, handle};
use super::{connect, Host};
use crate::client::{ApplyAction, ListParams, OmniClient};
use crate::resource::{parse_yaml_documents_with, to_omnictl_yaml, Resource};
use crate::transport::CallOptions;
use crate::{Error, Result};

/// `discoverFiles`: the file itself, or every `*.yaml`/`*.yml` under a directory (recursively,
/// in lexical order).
fn discover(path: &str, host: &dyn Host) -> Result<Vec<String>> {
    if !host.is_dir(path) {
        if host.read_file(path)?.is_none() {
            return Err(Error::InvalidArgument(format!(
                "stat {path}: no such file or directory"
            )));
        }
        return Ok(vec![path.to_string()]);
    }
    let files = super::paths::yaml_files_below(path, host)?;
    if files.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "no YAML files found in directory {path:?}"
        )));
    }
    Ok(files)
}

/// `omnictl apply -f FILE|DIR [-v] [-d]`.
pub(super) async fn apply(g: &Global, a: ApplyArgs, host: &dyn Host) -> Result<()> {
    let verbose = a.verbose || a.dry_run;
    let files = discover(&a.file, host).map_err(|e| {
        Error::InvalidArgument(format!(
            "failed to discover yaml files from {:?}: {}",
            a.file,
            e.reason()
        ))
    })?;
    let client = connect::client(g, host).await?;
    let registry = client.registry().await?;
    // every file parsed before anything is written
    let mut parsed: Vec<(String, Vec<Resource>)> = Vec::with_capacity(files.len());
    for file in files {
        let text = host.read_file(&file)?.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "failed to read resource yaml file {file:?}: no such file"
            ))
        })?;
        let resources = parse_yaml_documents_with(&text, &registry).map_err(|e| {
            Error::InvalidArgument(format!(
                "failed to apply resources from file {file:?}: {}",
                e.reason()
            ))
        })?;
        parsed.push((file, resources));
    }
    if verbose {
        host.stdout(&format!("Processing {} resource file(s)\n", parsed.len()));
    }
    for (file, resources) in parsed {
        if verbose {
            host.stdout(&format!("Applying resources from: {file}\n"));
        }
        for r in resources {
            apply_one(&client, &r, a.dry_run, verbose, host)
                .await
                .map_err(|e| {
                    Error::InvalidArgument(format!(
                        "failed to apply resources from file {file:?}: {}",
                        e.reason()
                    ))
                })?;
        }
    }
    Ok(())
}

/// Creates or updates one resource, printing what it does when `verbose`.
async fn apply_one(
    client: &OmniClient,
    r: &Resource,
    dry_run: bool,
    verbose: bool,
    host: &dyn Host,
) -> Result<()> {
    let md = &r.metadata;
    let fail = |e: Error| {
        Error::InvalidArgument(format!(
            "failed to apply resource '{}' '{}': {}",
            md.id,
            md.type_,
            e.reason()
        ))
    };
    let mut h = client.resources(&md.type_).await.map_err(fail)?;
    if !md.namespace.is_empty() {
        h = h.in_namespace(&md.namespace);
    }
    let outcome = h
        .apply(r, dry_run, &CallOptions::default())
        .await
        .map_err(fail)?;
    if verbose {
        match outcome.action {
            ApplyAction::Create => host.stdout(&format!(
                "Creating resource '{}'\n\n{}\n\n",
                md.id,
                to_omnictl_yaml(std::slice::from_ref(&outcome.resource))?
            )),
            ApplyAction::Update => host.stdout(&format!(
                "Updating resource '{}'\n\n{}\n\n",
                md.id, outcome.diff
            )),
            ApplyAction::Unchanged => {
                host.stdout(&format!("Resource '{}' is unchanged\n\n", md.id))
            }
        }
    }
    Ok(())
}

/// The editor: `$OMNI_EDITOR`, `$TALOS_EDITOR`, `$EDITOR`, else `vi` (kubectl's editor
/// package with omnictl's variables).
fn editor(host: &dyn Host) -> String {
    ["OMNI_EDITOR", "TALOS_EDITOR", "EDITOR"]
        .iter()
        .find_map(|v| host.env(v).filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into())
}

/// `stripManual`: the lines that are not comments (`#!` lines are kept).
fn strip_comments(text: &str) -> String {
    text.split('\n')
        .filter(|l| {
            let t = l.trim();
            !t.starts_with('#') || t.starts_with("#!")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The error as the comment block omnictl puts above the text it reopens.
fn editing_comment(error: &str) -> String {
    let mut out = String::from("#\n# Edit Failed:\n");
    for line in error.trim().lines() {
        out.push_str(&format!("# {line}\n"));
    }
    out
}

fn key(r: &Resource) -> (String, String, String) {
    (
        r.metadata.type_.clone(),
        r.metadata.namespace.clone(),
        r.metadata.id.clone(),
    )
}

/// `omnictl edit <type> [<id>]`: the resources as YAML in the editor; changed ones are updated
/// with the version they were read at. A text that does not parse, or an update the server
/// refuses, reopens the editor with the error above the person's text (nothing of it is lost);
/// saving it unchanged ends the edit with the error and where the text was kept.
pub(super) async fn edit(g: &Global, a: EditArgs, host: &dyn Host) -> Result<()> {
    check_query(
        a.id.is_some(),
        a.selector.is_some(),
        a.id_match_regexp.is_some(),
    )?;
    let client = connect::client(g, host).await?;
    let h = handle(&client, &a.kind, a.namespace.as_deref()).await?;
    let call = CallOptions::default();
    let registry = h.registry().clone();
    let resources = match &a.id {
        Some(id) => vec![h.get(id, &call).await?],
        None => {
            let params = ListParams {
                selectors: a.selector.into_iter().collect(),
                id_regexp: a.id_match_regexp,
            };
            h.list(&params, &call).await?
        }
    };
    if resources.is_empty() {
        return Err(Error::InvalidArgument(
            "no resources found for editing".into(),
        ));
    }
    let ids: Vec<String> = resources
        .iter()
        .map(|r| format!("{}/{}", r.metadata.type_, r.metadata.id))
        .collect();
    let edit_id = Sha256::digest(ids.concat().as_bytes());
    let prefix = format!("{}-edit-", hex(&edit_id));
    // each resource with its YAML as read back from its own YAML: what an unchanged document
    // of the edited text turns into
    let original: Vec<(Resource, String)> = resources
        .iter()
        .map(|r| {
            let text = to_omnictl_yaml(std::slice::from_ref(r))?;
            let again = parse_yaml_documents_with(&text, &registry)?;
            Ok((r.clone(), to_omnictl_yaml(&again)?))
        })
        .collect::<Result<_>>()?;
    let mut edited = to_omnictl_yaml(&resources)?;
    let mut last_error = String::new();
    let mut kept: Option<String> = None;
    let editor = editor(host);
    let result = loop {
        let mut text = String::from("# Editing:\n");
        for id in &ids {
            text.push_str(&format!("#   {id}\n"));
        }
        if !last_error.is_empty() {
            text.push_str(&editing_comment(&last_error));
        }
        text.push_str(&edited);
        let before = edited.clone();
        if let Some(previous) = kept.take() {
            host.remove_file(&previous)?;
        }
        let (after, path) = host.edit(&editor, &prefix, ".yaml", &text)?;
        kept = Some(path.clone());
        edited = strip_comments(&after);
        if !last_error.is_empty() && before == edited {
            let mut message = last_error.clone();
            if !message.ends_with('\n') {
                message.push('\n');
            }
            message.push_str(&format!(
                "A copy of your changes has been stored to {path:?}\nEdit canceled, no valid changes were saved.\n"
            ));
            // the copy stays where the message says it is
            kept = None;
            break Err(Error::InvalidArgument(message));
        }
        if edited.trim().is_empty() {
            host.stderr("Apply was skipped: empty file.\n");
            break Ok(());
        }
        let parsed = match parse_yaml_documents_with(&edited, &registry) {
            Ok(p) => p,
            Err(e) => {
                last_error = e.reason();
                continue;
            }
        };
        let mut changed = 0;
        let mut failed = None;
        for r in parsed {
            let Some((orig, orig_yaml)) = original.iter().find(|(o, _)| key(o) == key(&r)) else {
                continue;
            };
            if to_omnictl_yaml(std::slice::from_ref(&r))? == *orig_yaml {
                continue;
            }
            changed += 1;
            let mut desired = r.clone();
            desired.metadata.version = orig.metadata.version.clone();
            if a.verbose || a.dry_run {
                let diff = crate::goyaml::diff::unified_diff(
                    &desired.metadata.id,
                    &desired.metadata.id,
                    orig_yaml,
                    &to_omnictl_yaml(std::slice::from_ref(&desired))?,
                );
                host.stdout(&format!(
                    "Updating resource '{}'\n\n{diff}\n\n",
                    desired.metadata.id
                ));
            }
            if a.dry_run {
                continue;
            }
            let mut target = client.resources(&desired.metadata.type_).await?;
            if !desired.metadata.namespace.is_empty() {
                target = target.in_namespace(&desired.metadata.namespace);
            }
            match target.update(&desired, &call).await {
                Ok(_) => host.stderr(&format!(
                    "Updated {} '{}'\n",
                    desired.metadata.type_, desired.metadata.id
                )),
                Err(e) => failed = Some(e.to_string()),
            }
        }
        if let Some(e) = failed {
            last_error = e;
            continue;
        }
        if changed == 0 {
            host.stderr("Apply was skipped: no changes detected.\n");
        }
        break Ok(());
    };
    if let Some(path) = kept {
        host.remove_file(&path)?;
    }
    result
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
