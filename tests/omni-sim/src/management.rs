//! `management.ManagementService`.

use std::sync::Arc;

use crate::pb::management::management_service_server::ManagementService;
use crate::Core;

pub struct ManagementSvc {
    pub core: Arc<Core>,
}

#[tonic::async_trait]
impl ManagementService for ManagementSvc {}
