//! Users (`omnictl user create|list|set-role|delete`) through the ManagementService RPCs
//! Omni ≥ 1.6 offers for them (they create and remove the Identity and User resources
//! together, as omnictl relies on).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Management;
use crate::proto::management as pb;
use crate::transport::{CallKind, CallOptions};
use crate::{Error, Result};

/// A user as `ListUsers` describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    /// The User resource id.
    pub id: String,
    /// The e-mail (the Identity id).
    pub email: String,
    /// `None`, `Reader`, `Operator`, `Admin`, ...
    pub role: String,
    /// Labels from SAML attributes.
    pub saml_labels: BTreeMap<String, String>,
    /// Last activity, as the server words it.
    pub last_active: String,
}

fn check_role(role: &str) -> Result<()> {
    // the server names the valid roles in its answer; only "missing" is caught here
    if role.is_empty() {
        Err(Error::InvalidArgument("a role is required".into()))
    } else {
        Ok(())
    }
}

fn check_email(email: &str) -> Result<()> {
    if email.is_empty() {
        Err(Error::InvalidArgument("an e-mail is required".into()))
    } else {
        Ok(())
    }
}

impl Management {
    /// `CreateUser` (`omnictl user create <email> --role R`): the new user's id.
    ///
    /// # Errors
    /// `ALREADY_EXISTS`, `PERMISSION_DENIED` (Admin only), `INVALID_ARGUMENT` (unknown role).
    pub async fn create_user(&self, email: &str, role: &str, opts: &CallOptions) -> Result<String> {
        check_email(email)?;
        check_role(role)?;
        let req = pb::CreateUserRequest {
            email: email.to_string(),
            role: role.to_string(),
        };
        let resp: pb::CreateUserResponse = self
            .call("CreateUser", "", &req, CallKind::Write, opts)
            .await?;
        Ok(resp.user_id)
    }

    /// `ListUsers` (`omnictl user list`), sorted by e-mail.
    ///
    /// # Errors
    /// `PERMISSION_DENIED` (Admin only).
    pub async fn list_users(&self, opts: &CallOptions) -> Result<Vec<UserInfo>> {
        let resp: pb::ListUsersResponse = self
            .call(
                "ListUsers",
                "",
                &pbjson_types::Empty {},
                CallKind::Read,
                opts,
            )
            .await?;
        let mut users: Vec<UserInfo> = resp
            .users
            .into_iter()
            .map(|u| UserInfo {
                id: u.id,
                email: u.email,
                role: u.role,
                saml_labels: u.saml_labels.into_iter().collect(),
                last_active: u.last_active,
            })
            .collect();
        crate::order::sort_by_str(&mut users, |u| u.email.as_str());
        Ok(users)
    }

    /// `UpdateUser` (`omnictl user set-role <email> --role R`).
    ///
    /// # Errors
    /// `NOT_FOUND`, `PERMISSION_DENIED` (Admin only; not one's own role), an unknown role.
    pub async fn set_user_role(&self, email: &str, role: &str, opts: &CallOptions) -> Result<()> {
        check_email(email)?;
        check_role(role)?;
        let req = pb::UpdateUserRequest {
            email: email.to_string(),
            role: role.to_string(),
        };
        let _: pbjson_types::Empty = self
            .call("UpdateUser", "", &req, CallKind::Write, opts)
            .await?;
        Ok(())
    }

    /// `DestroyUser` (`omnictl user delete <email>`).
    ///
    /// # Errors
    /// `NOT_FOUND`, `PERMISSION_DENIED` (Admin only; not oneself).
    pub async fn delete_user(&self, email: &str, opts: &CallOptions) -> Result<()> {
        check_email(email)?;
        let req = pb::DestroyUserRequest {
            email: email.to_string(),
        };
        let _: pbjson_types::Empty = self
            .call("DestroyUser", "", &req, CallKind::Write, opts)
            .await?;
        Ok(())
    }
}
