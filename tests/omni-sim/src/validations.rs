//! Omni's create/update validations (upstream `internal/backend/runtime/omni/validations`), run
//! before a write reaches the store whichever API it came through. A failure is Omni's
//! validation error: `InvalidArgument`, `failed to validate: ` and a multierror listing.

use tonic::Status;

use crate::pb::cosi::resource::Metadata;
use crate::Core;

const EULA_TYPE: &str = "EulaAcceptances.omni.sidero.dev";
const EULA_ID: &str = "eula";

/// hashicorp/go-multierror's text of a list of errors.
pub fn multierror(problems: &[String]) -> String {
    let mut text = format!("{} error", problems.len());
    text.push_str(if problems.len() == 1 {
        " occurred:\n"
    } else {
        "s occurred:\n"
    });
    for p in problems {
        text.push_str("\t* ");
        text.push_str(p);
        text.push('\n');
    }
    text.push('\n');
    text
}

/// The validation error Omni answers (`validated.ValidationError` over a go-multierror).
pub fn error(problems: &[String]) -> Status {
    Status::invalid_argument(format!("failed to validate: {}", multierror(problems)))
}

const CONFIG_PATCH_TYPE: &str = "ConfigPatches.omni.sidero.dev";

/// A config patch's data (plain or decompressed), from its spec bytes.
fn patch_data(core: &Core, spec: &[u8]) -> String {
    crate::yaml::spec_to_json(&core.pool, CONFIG_PATCH_TYPE, spec)
        .get("data")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Validations of a resource about to be updated (upstream `config_patch.go`: a patch whose data
/// changes is checked again; the same data passes, for teardown and old patches).
pub fn update(core: &Core, md: &Metadata, old: &[u8], new: &[u8]) -> Result<(), Status> {
    if md.r#type == CONFIG_PATCH_TYPE {
        let data = patch_data(core, new);
        if data != patch_data(core, old) {
            crate::talosconfig::validate_patch(&data).map_err(|e| error(&[e]))?;
        }
    }
    Ok(())
}

/// Validations of a resource about to be created (`spec` as protobuf bytes).
pub fn create(core: &Core, md: &Metadata, spec: &[u8]) -> Result<(), Status> {
    if md.r#type == CONFIG_PATCH_TYPE {
        crate::talosconfig::validate_patch(&patch_data(core, spec)).map_err(|e| error(&[e]))?;
    }
    if md.r#type == EULA_TYPE {
        // upstream eula.go: accepted once, under the id `eula`, with a name and an email
        // (a sim started with the EULA accepted counts as accepted)
        if core.eula_accepted() || core.store.get(&md.namespace, EULA_TYPE, EULA_ID).is_some() {
            return Err(error(&["EULA has already been accepted".into()]));
        }
        if md.id != EULA_ID {
            return Err(error(&["resource ID must be eula".into()]));
        }
        let field = |name: &str| -> String {
            crate::yaml::spec_to_json(&core.pool, EULA_TYPE, spec)
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        if field("accepted_by_name").is_empty() {
            return Err(error(&["name is required when accepting the EULA".into()]));
        }
        if field("accepted_by_email").is_empty() {
            return Err(error(&["email is required when accepting the EULA".into()]));
        }
    }
    Ok(())
}
