//! Keys and `siderov1` request signing.
