//! Scenarios of paths and metadata: opens, stats, directories, links, renames, permissions.
#[allow(unused_imports)]
use super::prelude::*;

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[];
