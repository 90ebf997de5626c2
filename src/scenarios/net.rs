//! Scenarios of sockets: every socket call on IPv4, IPv6 and AF_UNIX, success and failure.
#[allow(unused_imports)]
use super::prelude::*;

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[];
