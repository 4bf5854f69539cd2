//! Omni's create/update validations (upstream `internal/backend/runtime/omni/validations`), run
//! before a write reaches the store whichever API it came through. A failure is Omni's
//! validation error: `InvalidArgument`, `failed to validate: ` and a multierror listing.

use tonic::Status;

use crate::pb::cosi::resource::Metadata;
use crate::Core;

const EULA_TYPE: &str = "EulaAcceptances.omni.sidero.dev";
const EULA_ID: &str = "eula";

/// The validation error Omni answers (`validated.ValidationError` over a go-multierror).
pub fn error(problems: &[String]) -> Status {
    let mut text = format!("failed to validate: {} error", problems.len());
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
    Status::invalid_argument(text)
}

/// Validations of a resource about to be created (`spec` as protobuf bytes).
pub fn create(core: &Core, md: &Metadata, spec: &[u8]) -> Result<(), Status> {
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
