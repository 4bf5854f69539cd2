//! `omni.resources.ResourceService` (JSON-in-string resources, §5.7).

use std::sync::Arc;

use serde_json::json;

use crate::auth::User;
use crate::pb::omni::resources::resource_service_server::ResourceService;
use crate::Core;

pub struct ResourceSvc {
    pub core: Arc<Core>,
}

#[tonic::async_trait]
impl ResourceService for ResourceSvc {}

/// Keeps the Identity/User resources Omni uses in step with the directory.
pub fn mirror_user(core: &Core, u: &User) {
    let mut labels: Vec<(&str, &str)> = vec![("user-id", u.id.as_str())];
    if u.service_account {
        labels.push(("type-service-account", ""));
    }
    let _ = crate::simapi::put(
        core,
        "Users.omni.sidero.dev",
        &u.id,
        "",
        &[],
        json!({"role": u.role.as_str()}),
    );
    let _ = crate::simapi::put(
        core,
        "Identities.omni.sidero.dev",
        &u.email,
        "",
        &labels,
        json!({"user_id": u.id}),
    );
}

/// Removes the Identity/User resources of a user.
pub fn unmirror_user(core: &Core, u: &User) {
    core.store
        .force_destroy("default", "Users.omni.sidero.dev", &u.id);
    core.store
        .force_destroy("default", "Identities.omni.sidero.dev", &u.email);
}
