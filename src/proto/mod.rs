//! Generated protobuf types (prost) with protojson serde impls (pbjson).
//!
//! This is the only place generated code enters the crate. Built by `build.rs`
//! from the `.proto` files under `proto/`. The module tree mirrors the protobuf
//! package names exactly, because prost resolves cross-package references with
//! relative `super::` paths.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub(crate) mod json;

/// Includes the prost types and pbjson serde impls of one package.
macro_rules! package {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
        include!(concat!(env!("OUT_DIR"), "/", $name, ".serde.rs"));
    };
}

/// COSI resource model and the `State` service.
pub mod cosi {
    /// `cosi.resource`: metadata, resources, the `State` service.
    pub mod resource {
        package!("cosi.resource");

        /// `cosi.resource.meta`: resource definitions and namespaces.
        pub mod meta {
            package!("cosi.resource.meta");
        }
    }
}

/// `common`: Talos shared types (`Data`, `Metadata`, ...) and Omni's `Runtime`/`Context`.
pub mod common {
    package!("common");
}

/// `google.*` packages that are not well-known types.
pub mod google {
    /// `google.rpc`: the `Status` error model.
    pub mod rpc {
        package!("google.rpc");
    }
}

/// `machine`: the Talos machine-API messages that Omni's specs embed.
pub mod machine {
    package!("machine");
}

/// `management`: the `ManagementService`.
pub mod management {
    package!("management");
}

/// `auth`: the `AuthService` (public-key registration).
pub mod auth {
    package!("auth");
}

/// `oidc`: the `OIDCService`.
pub mod oidc {
    package!("oidc");
}

/// `omni.*` packages.
pub mod omni {
    /// `omni.resources`: the JSON-string `ResourceService`.
    pub mod resources {
        package!("omni.resources");
    }
}

/// `specs`: spec messages of Omni's resources (upstream package name is plain `specs`).
pub mod specs {
    package!("specs");
}

/// The serialized `FileDescriptorSet` of everything under `proto/` (without source info).
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/proto.desc"));

/// The part of [`FILE_DESCRIPTOR_SET`] the run time reads (only this one ships in the wasm):
/// Omni's and COSI's files, of Talos' and Google's only the messages those reach, no options
/// beyond what changes the meaning of data.
pub(crate) const RUNTIME_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/runtime.desc"));
