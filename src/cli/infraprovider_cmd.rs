//! `omnictl infraprovider ...` (upstream `client/pkg/omnictl/infraprovider.go`): everything,
//! the new service-account key included, on stdout.

use clap::Subcommand;
use serde_json::json;

use super::global::Global;
use super::{connect, Host};
use crate::client::IssuedKey;
use crate::config::duration::parse_go_duration;
use crate::config::{ENDPOINT_ENV, SERVICE_ACCOUNT_KEY_ENVS};
use crate::resource::{Resource, ResourceMetadata};
use crate::transport::CallOptions;
use crate::{Error, Result};

const INFRA_PROVIDER: &str = "InfraProviders.omni.sidero.dev";
const INFRA_PROVIDER_NS: &str = "infra-provider";

/// `omnictl infraprovider ...` (`infraprovider.go`).
#[derive(Debug, Subcommand)]
pub(crate) enum InfraproviderArgs {
    /// Create an infra provider
    #[command(visible_alias = "c")]
    Create {
        #[arg(value_name = "name")]
        name: String,
        /// TTL for the infra provider service account key
        #[arg(short, long, default_value = "8760h0m0s", value_name = "duration")]
        ttl: String,
    },
    /// Delete an infra provider
    #[command(visible_alias = "d")]
    Delete {
        #[arg(value_name = "name")]
        name: String,
    },
    /// List infra providers
    #[command(visible_alias = "l")]
    List,
    /// Renew an infra provider service account by registering a new public key to it
    #[command(visible_alias = "r")]
    Renewkey {
        #[arg(value_name = "name")]
        name: String,
        /// TTL for the infra provider service account key
        #[arg(short, long, default_value = "8760h0m0s", value_name = "duration")]
        ttl: String,
    },
}

/// A `--ttl` in whole seconds, as the key's lifetime. (Upstream generates the key with
/// `serviceaccount create`'s TTL, one year, whatever this flag says; here it is honoured,
/// with the same default.)
fn ttl_secs(ttl: &str) -> Result<u32> {
    let d = parse_go_duration(ttl)?;
    u32::try_from(d.as_secs())
        .map_err(|_| Error::InvalidArgument(format!("--ttl {ttl} is too long")))
}

/// The lines that tell how to use the key (all on stdout, unlike `serviceaccount`).
fn key_lines(endpoint: &str, key: &IssuedKey) -> String {
    format!(
        "\nSet the following environment variables to use the service account:\n{ENDPOINT_ENV}={endpoint}\n{}={}\n\nNote: Store the service account key securely, it will not be displayed again\n",
        SERVICE_ACCOUNT_KEY_ENVS[1],
        key.key.as_str()
    )
}

pub(super) async fn run(g: &Global, a: InfraproviderArgs, host: &dyn Host) -> Result<()> {
    let call = CallOptions::default();
    match a {
        InfraproviderArgs::Create { name, ttl } => {
            let ttl = ttl_secs(&ttl)?;
            let (client, endpoint) = connect::client_at(g, host).await?;
            let h = client
                .resources_in(INFRA_PROVIDER, INFRA_PROVIDER_NS)
                .await?;
            let md = ResourceMetadata::new(INFRA_PROVIDER_NS, INFRA_PROVIDER, &name);
            h.create(&Resource::new(md, json!({})), &call).await?;
            let account = format!("infra-provider:{name}");
            let key = client
                .management()
                .create_service_account(&account, Some("InfraProvider"), false, Some(ttl), &call)
                .await?;
            host.stdout(&format!(
                "Your infra provider {name:?} is ready to use\nCreated infra provider service account {account:?} with public key ID {:?}\n{}Please use the endpoint and the service account key to set up the infra provider\n",
                key.public_key_id,
                key_lines(&endpoint, &key)
            ));
            Ok(())
        }
        InfraproviderArgs::Renewkey { name, ttl } => {
            let ttl = ttl_secs(&ttl)?;
            let (client, endpoint) = connect::client_at(g, host).await?;
            let account = format!("infra-provider:{name}");
            let key = client
                .management()
                .renew_service_account(&account, Some(ttl), &call)
                .await?;
            host.stdout(&format!(
                "Renewed service account {account:?} by adding a public key with ID {:?}\n{}",
                key.public_key_id,
                key_lines(&endpoint, &key)
            ));
            Ok(())
        }
        InfraproviderArgs::List => {
            let client = connect::client(g, host).await?;
            let providers = client.tokens().list_infra_providers(&call).await?;
            let mut rows = vec![
                ["ID", "NAME", "VERSION", "DESCRIPTION", "CONNECTED", "ERROR"]
                    .map(String::from)
                    .to_vec(),
            ];
            for p in providers {
                rows.push(vec![
                    p.id,
                    p.name,
                    p.version,
                    p.description,
                    p.connected.to_string(),
                    p.error,
                ]);
            }
            host.stdout(&crate::resource::tabwrite_pad(&rows, 4));
            Ok(())
        }
        InfraproviderArgs::Delete { name } => {
            let client = connect::client(g, host).await?;
            // a provider that is not there is not an error
            client
                .tokens()
                .delete_infra_provider(&name, &call)
                .await
                .map_err(|e| {
                    Error::InvalidArgument(format!("failed to delete infra provider: {e}"))
                })?;
            host.stdout(&format!("deleted infra provider: {name}\n"));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_pads_with_the_given_padding() {
        let rows = vec![
            vec!["ID".to_string(), "X".to_string()],
            vec!["long".to_string(), String::new()],
        ];
        assert_eq!(
            crate::resource::tabwrite_pad(&rows, 4),
            "ID      X\nlong    \n"
        );
    }
}
