//! `omnictl serviceaccount ...` (upstream `client/pkg/omnictl/serviceaccount.go`): only the
//! two `KEY=value` lines go to stdout (scripts do `> sa.env`); everything else to stderr.

use super::args::ServiceAccountCommand;
use super::global::Global;
use super::{connect, Host};
use crate::client::IssuedKey;
use crate::config::duration::parse_go_duration;
use crate::config::{ENDPOINT_ENV, SERVICE_ACCOUNT_KEY_ENVS};
use crate::resource::tabwrite;
use crate::transport::CallOptions;
use crate::{Error, Result};

/// A `--ttl` in whole seconds, as the key's lifetime.
fn ttl_secs(ttl: &str) -> Result<u32> {
    let d = parse_go_duration(ttl)?;
    u32::try_from(d.as_secs())
        .map_err(|_| Error::InvalidArgument(format!("--ttl {ttl} is too long")))
}

/// Go's `Time.UTC().Format(time.RFC3339)` of a timestamp (whole seconds, `Z`); an absent one
/// is the Unix epoch, as `(*timestamppb.Timestamp)(nil).AsTime()` is.
fn rfc3339(t: Option<&str>) -> String {
    let secs = t
        .and_then(crate::time::parse_rfc3339)
        .map_or(0, |(secs, _)| secs);
    crate::time::format_rfc3339(secs)
}

fn print_key(host: &dyn Host, endpoint: &str, key: &IssuedKey, what: &str) {
    host.stderr(&format!(
        "{what}\n\nSet the following environment variables to use the service account:\n"
    ));
    host.stdout(&format!("{ENDPOINT_ENV}={endpoint}\n"));
    // omnictl prints OMNI_SERVICE_ACCOUNT_KEY (the second name it reads)
    host.stdout(&format!(
        "{}={}\n",
        SERVICE_ACCOUNT_KEY_ENVS[1],
        key.key.as_str()
    ));
    host.stderr("\nNote: Store the service account key securely, it will not be displayed again\n");
}

pub(super) async fn run(g: &Global, cmd: ServiceAccountCommand, host: &dyn Host) -> Result<()> {
    let call = CallOptions::default();
    match cmd {
        ServiceAccountCommand::Create {
            name,
            ttl,
            role,
            use_user_role,
        } => {
            let ttl = ttl_secs(&ttl)?;
            let (client, endpoint) = connect::client_at(g, host).await?;
            // as omnictl sends it: with --use-user-role (the default) the server ignores --role
            let role = (!use_user_role).then_some(role.as_str());
            let key = client
                .management()
                .create_service_account(&name, role, use_user_role, Some(ttl), &call)
                .await?;
            let what = format!(
                "Created service account {name:?} with public key ID {:?}",
                key.public_key_id
            );
            print_key(host, &endpoint, &key, &what);
            Ok(())
        }
        ServiceAccountCommand::Renew { name, ttl } => {
            // upstream generates the renewed key with `create`'s --ttl (its own is ignored);
            // here renew's --ttl is the key's lifetime, as its help says
            let ttl = ttl_secs(&ttl)?;
            let (client, endpoint) = connect::client_at(g, host).await?;
            let key = client
                .management()
                .renew_service_account(&name, Some(ttl), &call)
                .await?;
            let what = format!(
                "Renewed service account {name:?} by adding a public key with ID {:?}",
                key.public_key_id
            );
            print_key(host, &endpoint, &key, &what);
            Ok(())
        }
        ServiceAccountCommand::List => {
            let client = connect::client(g, host).await?;
            let accounts = client.management().list_service_accounts(&call).await?;
            let mut rows: Vec<Vec<String>> = vec![[
                "NAME",
                "ROLE",
                "LAST ACTIVE",
                "PUBLIC KEY ID",
                "KEY CREATED",
                "KEY LAST ACTIVE",
                "EXPIRATION",
            ]
            .map(String::from)
            .to_vec()];
            for sa in &accounts {
                let last_active = if sa.last_active.is_empty() {
                    "Never".to_string()
                } else {
                    sa.last_active.clone()
                };
                for (i, k) in sa.keys.iter().enumerate() {
                    let created = k
                        .created
                        .as_deref()
                        .map_or_else(|| "-".to_string(), |c| rfc3339(Some(c)));
                    let used = k
                        .last_used
                        .as_deref()
                        .filter(|u| !u.starts_with("0001-01-01"))
                        .map_or_else(|| "Never".to_string(), |u| rfc3339(Some(u)));
                    let (n, r, a) = if i == 0 {
                        (sa.name.clone(), sa.role.clone(), last_active.clone())
                    } else {
                        (String::new(), String::new(), String::new())
                    };
                    rows.push(vec![
                        n,
                        r,
                        a,
                        k.id.clone(),
                        created,
                        used,
                        rfc3339(k.expiration.as_deref()),
                    ]);
                }
            }
            host.stdout(&tabwrite(&rows));
            Ok(())
        }
        ServiceAccountCommand::Destroy { name } => {
            let client = connect::client(g, host).await?;
            client
                .management()
                .destroy_service_account(&name, &call)
                .await
                .map_err(|e| {
                    Error::InvalidArgument(format!("failed to destroy service account: {e}"))
                })?;
            host.stdout(&format!("destroyed service account: {name}\n"));
            Ok(())
        }
    }
}
