//! `omnictl audit-log [start] [end]` (upstream `client/pkg/omnictl/audit-log.go`): the audit
//! log's records copied to stdout as the server sends them, following new events with `-f`.

use clap::Args;
use futures::StreamExt as _;

use super::global::Global;
use super::{connect, Host};
use crate::client::AuditLogParams;
use crate::config::duration::parse_go_duration_nanos;
use crate::proto::management as pb;
use crate::transport::CallOptions;
use crate::{Error, Result};

const EVENT_TYPES: [(&str, pb::AuditLogEventType); 8] = [
    ("audit_log_access", pb::AuditLogEventType::AuditLogAccess),
    ("create", pb::AuditLogEventType::Create),
    ("destroy", pb::AuditLogEventType::Destroy),
    ("k8s_access", pb::AuditLogEventType::K8sAccess),
    ("talos_access", pb::AuditLogEventType::TalosAccess),
    ("teardown", pb::AuditLogEventType::Teardown),
    ("update", pb::AuditLogEventType::Update),
    (
        "update_with_conflicts",
        pb::AuditLogEventType::UpdateWithConflicts,
    ),
];

const ORDER_FIELDS: [(&str, pb::AuditLogOrderByField); 6] = [
    ("actor", pb::AuditLogOrderByField::Actor),
    ("cluster_id", pb::AuditLogOrderByField::ClusterId),
    ("event_ts_ms", pb::AuditLogOrderByField::Date),
    ("event_type", pb::AuditLogOrderByField::EventType),
    ("resource_id", pb::AuditLogOrderByField::ResourceId),
    ("resource_type", pb::AuditLogOrderByField::ResourceType),
];

const ORDER_DIRS: [(&str, pb::AuditLogOrderByDir); 2] = [
    ("asc", pb::AuditLogOrderByDir::Asc),
    ("desc", pb::AuditLogOrderByDir::Desc),
];

/// `omnictl audit-log` (`audit-log.go`).
#[derive(Debug, Args)]
#[command(
    about = "Read audit log from Omni",
    long_about = "Read audit log from Omni. Optionally filter by date range using start and end arguments in YYYY-MM-DD format (date-only, interpreted in the server's local time, e.g. 2024-01-01)."
)]
pub(crate) struct AuditLogArgs {
    #[arg(value_name = "start")]
    start: Option<String>,
    #[arg(value_name = "end")]
    end: Option<String>,
    /// filter events by a search string
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    search: String,
    /// filter events by event type
    #[arg(
        long,
        value_name = "audit_log_access|create|destroy|k8s_access|talos_access|teardown|update|update_with_conflicts"
    )]
    event_type: Option<String>,
    /// field to sort results by
    #[arg(
        long,
        value_name = "actor|cluster_id|event_ts_ms|event_type|resource_id|resource_type"
    )]
    order_by_field: Option<String>,
    /// sort direction
    #[arg(long, value_name = "asc|desc")]
    order_by_dir: Option<String>,
    /// filter events by resource type
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    resource_type: String,
    /// filter events by resource ID
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    resource_id: String,
    /// filter events by cluster ID
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    cluster_id: String,
    /// filter events by actor email
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    actor: String,
    /// stream new events as they are written, starting at the current tail unless --since is given. Cannot be combined with filters. The stream is re-established transparently whenever the server ends it cleanly, while errors terminate the command.
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    follow: bool,
    /// start from the given duration ago, e.g. 2h. More precise than the date-only start argument, and the only way to include history in follow mode. A duration reaching past the retention period returns everything still retained.
    #[arg(long, value_name = "duration")]
    since: Option<String>,
}

/// pflag's `enumFlag`: one of the allowed names, else its error.
fn enum_flag<T: Copy + Into<i32>>(
    flag: &str,
    value: Option<&str>,
    allowed: &[(&str, T)],
) -> Result<i32> {
    let Some(v) = value else { return Ok(0) };
    allowed
        .iter()
        .find(|(name, _)| *name == v)
        .map(|(_, e)| (*e).into())
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            Error::InvalidArgument(format!(
                "invalid argument {v:?} for \"--{flag}\" flag: must be one of: {}",
                names.join(", ")
            ))
        })
}

pub(super) async fn run(g: &Global, a: AuditLogArgs, host: &dyn Host) -> Result<()> {
    let event_type = enum_flag("event-type", a.event_type.as_deref(), &EVENT_TYPES)?;
    let order_by_field = enum_flag("order-by-field", a.order_by_field.as_deref(), &ORDER_FIELDS)?;
    let order_by_dir = enum_flag("order-by-dir", a.order_by_dir.as_deref(), &ORDER_DIRS)?;
    let since = match a.since.as_deref() {
        None => 0,
        Some(s) => parse_go_duration_nanos(s).map_err(|e| {
            Error::InvalidArgument(format!(
                "invalid argument {s:?} for \"--since\" flag: {}",
                e.reason()
            ))
        })?,
    };
    let start = a.start.unwrap_or_default();
    if since < 0 {
        return Err(Error::InvalidArgument("--since must be positive".into()));
    }
    let mut start_ts_ms = 0;
    if since > 0 {
        if !start.is_empty() {
            return Err(Error::InvalidArgument(
                "--since cannot be combined with the start argument".into(),
            ));
        }
        let since_ms = i64::try_from(since / 1_000_000).unwrap_or(i64::MAX);
        start_ts_ms = host
            .now_unix()
            .saturating_mul(1000)
            .saturating_sub(since_ms);
    }
    let client = connect::client(g, host).await?;
    // the fields that cannot be combined with --follow are refused by the server
    let request = pb::ReadAuditLogRequest {
        start_time: start,
        end_time: a.end.unwrap_or_default(),
        start_ts_ms,
        search: a.search,
        event_type,
        order_by_field,
        order_by_dir,
        resource_type: a.resource_type,
        resource_id: a.resource_id,
        cluster_id: a.cluster_id,
        actor: a.actor,
        follow: a.follow,
        from_id: 0,
    };
    let mut stream = client.management().audit_log(
        AuditLogParams {
            request,
            reconnect_after_ms: None,
        },
        &CallOptions::default(),
    );
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if !chunk.data.is_empty() {
            host.stdout(&String::from_utf8_lossy(&chunk.data));
        }
    }
    Ok(())
}
