//! Generated protobuf types (prost) with protojson serde impls (pbjson).
//!
//! This is the only place generated code enters the crate. Built by `build.rs`
//! from the `.proto` files under `proto/`.
#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// COSI resource model and the `State` service.
pub mod cosi {
    /// `cosi.resource`
    pub mod resource {
        include!(concat!(env!("OUT_DIR"), "/cosi.resource.rs"));
        include!(concat!(env!("OUT_DIR"), "/cosi.resource.serde.rs"));
    }
}

/// The serialized `FileDescriptorSet` of everything under `proto/`.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/proto.desc"));
