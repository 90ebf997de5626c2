//! Scenarios of memory, IPC, time, modules, mounts and other system calls.
#[allow(unused_imports)]
use super::prelude::*;

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[];
