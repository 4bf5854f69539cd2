//! `--demo`: a realistic installation, and slow background changes.

use std::sync::Arc;

use crate::Core;

pub fn seed(_core: &Core) -> Result<(), String> {
    Ok(())
}

pub async fn animate(_core: Arc<Core>) {}
