//! `omnictl infraprovider` (upstream `client/pkg/omnictl/infraprovider.go`). Not ported yet: listed in
//! [`super::LEGACY_COMMANDS`], so the package's JS CLI runs it.

use super::args::Global;
use super::Host;
use crate::Result;

/// The command's arguments (until it is ported: everything after its name).
pub(crate) use super::args::LegacyArgs as InfraproviderArgs;

pub(super) async fn run(_g: &Global, _a: InfraproviderArgs, _host: &dyn Host) -> Result<()> {
    Err(super::not_ported("infraprovider"))
}
