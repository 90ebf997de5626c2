//! Scenarios of processes: clone/fork/exec variants, signals, sessions, limits, credentials, capabilities.
#[allow(unused_imports)]
use super::prelude::*;

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[];
