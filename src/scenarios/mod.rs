//! The QA scenarios, one module per area: each scenario's action (what the workload does, in a
//! child process) and its expectation (the events libs must report for it) side by side, joined
//! by a typed facts struct the action returns and the expectation reads.
//!
//! Adding a scenario touches one file: write the facts struct, the action and the expectation
//! in the area's module and list them in its `SCENARIOS`. The area's test runs every scenario
//! listed there, live and on the replay of the recording; `sinspqa coverage` counts what the
//! expectations assert against this libs' event table.
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::expect::Expectation;

pub mod act;

pub mod fd;
pub mod files;
pub mod fs;
pub mod ia32;
pub mod namespaces;
pub mod net;
pub mod network;
pub mod privileges;
pub mod proc;
pub mod process;
pub mod sys;
pub mod tracepoints;

/// What area modules import: the matcher DSL, the child-side helpers, serde.
#[allow(unused_imports)]
pub(crate) mod prelude {
    pub use super::act::{
        cs, fork_and_wait, fstat, getpid, layered, ok, on_overlay, wait4, Stat, BAD_PTR,
    };
    pub(crate) use super::act::{sys, sys_fail};
    pub use super::{Area, Scenario, Typed};
    pub use crate::expect::{
        absent, all_of, contains, eq, event, ge, gt, le, lt, ne, none_of, one_of, prefix, present,
        regex, sequence, suffix, syscall, EventMatcher, Expectation,
    };
    pub use serde::{Deserialize, Serialize};
    pub use std::path::Path;
}

/// The area a scenario belongs to (one test file per area: `tests/<area>.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Processes: spawn, exec, shells, signals, memory.
    Process,
    /// Files: paths, metadata, reads and writes, renames, links, binary dirs, sensitive files.
    File,
    /// Sockets: TCP, UDP, AF_UNIX, IPv4 and IPv6.
    Network,
    /// Users and groups: dropping privileges, failing to regain them.
    Privileges,
    /// Namespaces: the harness's stand-in for a container.
    Namespaces,
    /// Memory, IPC, time, limits, modules, mounts and the rest of the system calls.
    System,
    /// The tracepoints off unless asked for (page faults, context switches): their capture
    /// asks for them, and takes every process's.
    Tracepoints,
}

impl Area {
    /// Every area, in a stable order.
    pub const ALL: &'static [Area] = &[
        Area::Process,
        Area::File,
        Area::Network,
        Area::Privileges,
        Area::Namespaces,
        Area::System,
        Area::Tracepoints,
    ];
    /// The area's name (its test file is `tests/<name>.rs`).
    pub fn name(self) -> &'static str {
        match self {
            Area::Process => "process",
            Area::File => "file",
            Area::Network => "network",
            Area::Privileges => "privileges",
            Area::Namespaces => "namespaces",
            Area::System => "system",
            Area::Tracepoints => "tracepoints",
        }
    }
}

/// One scenario: its name, area, a sentence saying what it checks, and its steps.
pub struct Scenario {
    /// Unique name (the workload child is started with it; reports and tests show it).
    pub name: &'static str,
    /// Area.
    pub area: Area,
    /// What it checks, in a sentence.
    pub description: &'static str,
    /// The action and the expectation ([`Typed`]).
    pub steps: &'static dyn Steps,
}

/// A scenario's action and expectation, with the facts between them as JSON (the action runs in
/// a child process). Implemented by [`Typed`]; the registry only sees this.
pub trait Steps: Sync {
    /// Runs the action (in the workload child) and returns its facts as JSON.
    fn act(&self, dir: &Path) -> Result<Value, String>;
    /// Builds the expectation from the facts the action printed and the workload's pid.
    fn expect(&self, facts: &Value, pid: i64) -> Result<Expectation, String>;
    /// The expectation built from default facts: its shape (which events, which params), for
    /// `sinspqa coverage`.
    fn shape(&self) -> Expectation;
}

/// A scenario's action and expectation, joined by the facts type `F`.
pub struct Typed<F> {
    /// Runs in the workload child (after the capture opened, in `dir`, a fresh temp dir).
    pub act: fn(&Path) -> Result<F, String>,
    /// The events libs must report, from the facts and the workload's pid.
    pub expect: fn(&F, i64) -> Expectation,
}

impl<F: Serialize + DeserializeOwned + Default> Steps for Typed<F> {
    fn act(&self, dir: &Path) -> Result<Value, String> {
        let f = (self.act)(dir)?;
        serde_json::to_value(f).map_err(|e| format!("facts: {e}"))
    }
    fn expect(&self, facts: &Value, pid: i64) -> Result<Expectation, String> {
        let f: F = serde_json::from_value(facts.clone()).map_err(|e| {
            format!(
                "the workload's facts do not fit {}: {e}",
                std::any::type_name::<F>()
            )
        })?;
        Ok((self.expect)(&f, pid))
    }
    fn shape(&self) -> Expectation {
        (self.expect)(&F::default(), 0)
    }
}

/// Fields the scenario captures extract (every field an expectation reads must be here).
pub const SCENARIO_FIELDS: &[&str] = &[
    "evt.num",
    "evt.time",
    "evt.category",
    "evt.type",
    "evt.dir",
    "evt.res",
    "evt.args",
    "proc.name",
    "proc.pid",
    "proc.ppid",
    "proc.vpid",
    "proc.pname",
    "proc.exe",
    "proc.exepath",
    "proc.cmdline",
    "proc.cwd",
    "thread.tid",
    "user.uid",
    "user.name",
    "group.gid",
    "fd.num",
    "fd.name",
    "fd.type",
    "fd.typechar",
    "fd.directory",
    "fd.filename",
    "fd.l4proto",
    "fd.sip",
    "fd.sport",
    "fd.cip",
    "fd.cport",
    "fd.lip",
    "fd.lport",
    "fd.rip",
    "fd.rport",
    "fd.sockfamily",
    "fd.ino",
    "fd.dev",
];

/// The scenarios of whole programs (spawning, shells, files, sockets, privileges, a
/// container-like process: the suite's first sixteen): the smoke set CI runs in its guests,
/// where TCG makes every scenario cost seconds per engine. `sinspqa run` runs every scenario
/// unless told `--smoke`.
pub fn smoke() -> Vec<&'static Scenario> {
    process::SCENARIOS
        .iter()
        .chain(files::SCENARIOS)
        .chain(network::SCENARIOS)
        .chain(privileges::SCENARIOS)
        .chain(namespaces::SCENARIOS)
        .collect()
}

/// Every scenario, in a stable order: the smoke set, then the syscall families.
pub fn all() -> Vec<&'static Scenario> {
    let mut v = smoke();
    v.extend(
        proc::SCENARIOS
            .iter()
            .chain(fs::SCENARIOS)
            .chain(fd::SCENARIOS)
            .chain(net::SCENARIOS)
            .chain(sys::SCENARIOS)
            .chain(ia32::SCENARIOS)
            .chain(tracepoints::SCENARIOS),
    );
    v
}

/// The scenarios of one area.
pub fn of_area(area: Area) -> Vec<&'static Scenario> {
    all().into_iter().filter(|s| s.area == area).collect()
}

/// The scenario of that name.
pub fn by_name(name: &str) -> Option<&'static Scenario> {
    all().into_iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The suite asks the kernel only for the event types the scenarios' shapes name: every
    /// matcher of every scenario must pin its event type, or its capture falls back to every
    /// syscall (and a storm elsewhere on the machine can reach its buffers again).
    #[test]
    fn every_scenario_names_the_event_types_it_needs() {
        let vague: Vec<&str> = all()
            .iter()
            .filter(|s| s.steps.shape().needed_event_types().is_none())
            .map(|s| s.name)
            .collect();
        assert!(
            vague.is_empty(),
            "matchers that pin no event type in: {vague:?}"
        );
    }
}
