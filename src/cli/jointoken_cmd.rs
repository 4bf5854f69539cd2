//! `omnictl jointoken` (upstream `client/pkg/omnictl/jointoken.go`). Not ported yet: listed in
//! [`super::LEGACY_COMMANDS`], so the package's JS CLI runs it.

use super::args::Global;
use super::Host;
use crate::Result;

/// The command's arguments (until it is ported: everything after its name).
pub(crate) use super::args::LegacyArgs as JointokenArgs;

pub(super) async fn run(_g: &Global, _a: JointokenArgs, _host: &dyn Host) -> Result<()> {
    Err(super::not_ported("jointoken"))
}
