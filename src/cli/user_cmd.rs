//! `omnictl user create|delete|list|set-role` (upstream `client/pkg/omnictl/user/*.go`):
//! the ManagementService user RPCs; only `delete` and `list` print, on stdout.

use clap::Subcommand;

use super::global::Global;
use super::{connect, Host};
use crate::resource::tabwrite;
use crate::transport::CallOptions;
use crate::Result;

/// `omnictl user ...` (`user/user.go`).
#[derive(Debug, Subcommand)]
pub(crate) enum UserArgs {
    /// Create a user.
    #[command(long_about = "Create a user with the specified email.")]
    Create {
        #[arg(value_name = "email")]
        email: String,
        /// Role to use for the user creation
        #[arg(short, long, required = true, value_name = "string")]
        role: String,
    },
    /// Delete users.
    #[command(long_about = "Delete users with the specified emails.")]
    Delete {
        #[arg(value_name = "email", required = true)]
        emails: Vec<String>,
    },
    /// List all users.
    #[command(long_about = "List all existing users on the Omni instance.")]
    List,
    /// Update the role of the user.
    #[command(name = "set-role", long_about = "Update the user role.")]
    SetRole {
        #[arg(value_name = "email")]
        email: String,
        /// Role to use
        #[arg(short, long, required = true, value_name = "string")]
        role: String,
    },
}

/// `user/list.go`'s LABELS cell: `key=value` pairs sorted as strings, joined by `, `.
fn saml_labels<'a>(labels: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut pairs: Vec<String> = labels.map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    pairs.join(", ")
}

pub(super) async fn run(g: &Global, a: UserArgs, host: &dyn Host) -> Result<()> {
    let call = CallOptions::default();
    let client = connect::client(g, host).await?;
    let m = client.management();
    match a {
        UserArgs::Create { email, role } => m.create_user(&email, &role, &call).await.map(drop),
        UserArgs::SetRole { email, role } => m.set_user_role(&email, &role, &call).await,
        UserArgs::Delete { emails } => {
            // one at a time, stopping at the first failure (later users are left alone)
            for email in emails {
                m.delete_user(&email, &call).await?;
                host.stdout(&format!("destroyed user {email}\n"));
            }
            Ok(())
        }
        UserArgs::List => {
            let users = m.list_users(&call).await?;
            let mut rows = vec![["ID", "EMAIL", "ROLE", "LAST ACTIVE", "LABELS"]
                .map(String::from)
                .to_vec()];
            for u in &users {
                let last_active = if u.last_active.is_empty() {
                    "Never".to_string()
                } else {
                    u.last_active.clone()
                };
                rows.push(vec![
                    u.id.clone(),
                    u.email.clone(),
                    u.role.clone(),
                    last_active,
                    saml_labels(u.saml_labels.iter()),
                ]);
            }
            host.stdout(&tabwrite(&rows));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_sort_as_whole_pairs() {
        let k = |s: &str| s.to_string();
        let labels = [(k("a"), k("2")), (k("a.b"), k("1")), (k("z"), k(""))];
        // "a.b=1" sorts before "a=2" ('.' < '='), as Go's slices.Sort of the pairs does
        assert_eq!(
            saml_labels(labels.iter().map(|(k, v)| (k, v))),
            "a.b=1, a=2, z="
        );
    }
}
