//! `omnictl support` (upstream `client/pkg/omnictl/support.go`). Not ported yet: listed in
//! [`super::LEGACY_COMMANDS`], so the package's JS CLI runs it.

use super::args::Global;
use super::Host;
use crate::Result;

/// The command's arguments (until it is ported: everything after its name).
pub(crate) use super::args::LegacyArgs as SupportArgs;

pub(super) async fn run(_g: &Global, _a: SupportArgs, _host: &dyn Host) -> Result<()> {
    Err(super::not_ported("support"))
}
