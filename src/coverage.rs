//! The coverage map: which events of this libs' table the scenarios assert, and how many of each
//! event's params by value.
//!
//! Computed from the scenarios' expectations built from default facts ([`Steps::shape`]): which
//! event (type and direction) each matcher pins, and which params it asserts. A param counts as
//! asserted *by value* when a predicate pins its value (`eq`, `one_of`, `flags`, `regex`); as
//! *loose* when it only bounds it (`present`, `ne`, ranges, `prefix`/`suffix`/`contains`); as
//! *unchecked* when the scenario marks it so with a reason; else it is *missing*. `sinspqa
//! coverage` prints it; report.json carries it; `sinspqa run` prints its summary under the matrix.
//!
//! [`Steps::shape`]: crate::scenarios::Steps::shape
use std::collections::{BTreeMap, BTreeSet};

use crate::ffi::abi as sys;
use serde::Serialize;

use crate::event::{event_table, EventInfo};
use crate::expect::{EventMatcher, Mode, Pred};
use crate::scenarios::Scenario;

/// How a param of an asserted event is checked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum ParamStatus {
    /// A predicate pins its value.
    ByValue,
    /// Predicates only bound it (present, ranges, prefixes).
    Loose,
    /// Marked not checked, with the reason.
    Unchecked(String),
    /// No matcher names it.
    Missing,
}

/// One param of an event-table entry.
#[derive(Debug, Clone, Serialize)]
pub struct ParamCoverage {
    /// Its name in the table.
    pub name: &'static str,
    /// How the scenarios check it.
    #[serde(flatten)]
    pub status: ParamStatus,
}

/// One current entry of the event table.
#[derive(Debug, Clone, Serialize)]
pub struct EventCoverage {
    /// `ppm_event_code`.
    pub code: u16,
    /// Event name.
    pub name: &'static str,
    /// `>` or `<`.
    pub dir: &'static str,
    /// A syscall event (`EC_SYSCALL`), not a tracepoint, plugin or meta event.
    pub syscall: bool,
    /// Whether a scenario's positive check matches this event.
    pub asserted: bool,
    /// Params in table order, each with its status (empty when not asserted).
    pub params: Vec<ParamCoverage>,
    /// How many of them by value.
    pub params_by_value: usize,
    /// The calls that reach this entry through the generic `syscall` event (pause, ...).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub generic_calls: BTreeSet<String>,
    /// The scenarios that assert it.
    pub scenarios: BTreeSet<&'static str>,
}

/// The coverage of one libs version's event table by the scenarios.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// The libs version.
    pub libs_version: String,
    /// Distinct event types (names) with at least one event asserted and a param of it by value
    /// (calls through the generic `syscall` event count by their own name).
    pub event_types_asserted: usize,
    /// Of those, syscalls.
    pub syscall_event_types_asserted: usize,
    /// Of those, calls without an event of their own in this libs (the generic `syscall`
    /// event, asserted by its ID and nativeID).
    pub generic_calls_asserted: usize,
    /// Syscall event types of this table (names with an event of their own) no scenario asserts
    /// by value: what a driver change could break unseen.
    pub syscall_event_types_not_asserted: Vec<String>,
    /// Current (emitted) event types in this libs' table.
    pub event_types_total: usize,
    /// Params of the asserted events (type and direction).
    pub params_total: usize,
    /// Of those, asserted by value.
    pub params_asserted: usize,
    /// Of those, marked unchecked with a reason.
    pub params_unchecked: usize,
    /// Of those, only bounded.
    pub params_loose: usize,
    /// Event names asserted with none of their params by value (matched by type alone).
    pub types_without_values: Vec<String>,
    /// Every current event of the table.
    pub events: Vec<EventCoverage>,
}

/// Whether `p` pins a value.
fn by_value(p: &Pred) -> bool {
    match p {
        Pred::Eq(v) => !v.as_str().is_some_and(|s| s.starts_with("<harness:")),
        Pred::Regex(_) => true,
        Pred::AnyOf(ps) => ps.iter().all(by_value),
        Pred::All(ps) => ps.iter().any(by_value),
        _ => false,
    }
}

fn is_current(e: &EventInfo) -> bool {
    e.flags & (sys::EF_OLD_VERSION | sys::EF_UNUSED) == 0
}

/// The table entry a matcher pins: its expansion's entry, else the newest current entry of its
/// type and direction.
fn entry_of(m: &EventMatcher) -> Option<&'static EventInfo> {
    if let Some(code) = m.table_code() {
        return event_table().get(code as usize);
    }
    let ty = m.event_types().into_iter().next()?;
    let dir = m.direction();
    let named = |n: &str| {
        event_table()
            .iter()
            .filter(|e| is_current(e) && e.name == n)
            .filter(|e| dir.as_deref().is_none_or(|d| d == e.direction.as_str()))
            .max_by_key(|e| e.code)
    };
    named(&ty).or_else(|| named("syscall"))
}

/// Computes the coverage map of `scenarios` over this libs' table.
pub fn compute(scenarios: &[&'static Scenario]) -> Coverage {
    // code -> (param name -> best status), scenarios, generic call names
    type Acc = (
        BTreeMap<String, ParamStatus>,
        BTreeSet<&'static str>,
        BTreeSet<String>,
    );
    let mut acc: BTreeMap<u16, Acc> = BTreeMap::new();
    let mut valued_types: BTreeMap<String, bool> = BTreeMap::new();
    for s in scenarios {
        let exp = s.steps.shape();
        for c in exp.checks().iter().filter(|c| c.mode() != Mode::NoneOf) {
            for m in c.matchers() {
                let Some(e) = entry_of(m) else { continue };
                let ty = m.event_types().into_iter().next().unwrap_or_default();
                let a = acc.entry(e.code).or_default();
                a.1.insert(s.name);
                if e.name != ty {
                    a.2.insert(ty.clone());
                }
                let mut valued = false;
                for p in &e.params {
                    let preds: Vec<&Pred> = m
                        .param_preds()
                        .filter(|(n, _)| *n == p.name)
                        .map(|(_, p)| p)
                        .collect();
                    let st = if preds.iter().any(|p| by_value(p)) {
                        valued = true;
                        ParamStatus::ByValue
                    } else if !preds.is_empty() {
                        ParamStatus::Loose
                    } else if let Some((_, why)) =
                        m.unchecked_params().iter().find(|(n, _)| n == p.name)
                    {
                        ParamStatus::Unchecked(why.clone())
                    } else {
                        ParamStatus::Missing
                    };
                    let slot =
                        a.0.entry(p.name.to_string())
                            .or_insert(ParamStatus::Missing);
                    if st < *slot {
                        *slot = st;
                    }
                }
                // An event without params is asserted whole by its type and its param count.
                if e.params.is_empty() && m.table_code().is_some() {
                    valued = true;
                }
                *valued_types.entry(ty).or_default() |= valued;
            }
        }
    }
    let mut cov = Coverage {
        libs_version: crate::LIBS_VERSION.to_string(),
        event_types_asserted: 0,
        syscall_event_types_asserted: 0,
        generic_calls_asserted: 0,
        syscall_event_types_not_asserted: Vec::new(),
        event_types_total: 0,
        params_total: 0,
        params_asserted: 0,
        params_unchecked: 0,
        params_loose: 0,
        types_without_values: Vec::new(),
        events: Vec::new(),
    };
    let mut names_total = BTreeSet::new();
    for e in event_table().iter().filter(|e| is_current(e)) {
        names_total.insert(e.name);
        let syscall = e.category & sys::EC_SYSCALL != 0;
        let a = acc.get(&e.code);
        let params: Vec<ParamCoverage> = match a {
            None => Vec::new(),
            Some(a) => e
                .params
                .iter()
                .map(|p| ParamCoverage {
                    name: p.name,
                    status: a.0.get(p.name).cloned().unwrap_or(ParamStatus::Missing),
                })
                .collect(),
        };
        if a.is_some() {
            cov.params_total += params.len();
            for p in &params {
                match p.status {
                    ParamStatus::ByValue => cov.params_asserted += 1,
                    ParamStatus::Unchecked(_) => cov.params_unchecked += 1,
                    ParamStatus::Loose => cov.params_loose += 1,
                    ParamStatus::Missing => {}
                }
            }
        }
        cov.events.push(EventCoverage {
            code: e.code,
            name: e.name,
            dir: e.direction.as_str(),
            syscall,
            asserted: a.is_some(),
            params_by_value: params
                .iter()
                .filter(|p| p.status == ParamStatus::ByValue)
                .count(),
            params,
            generic_calls: a.map(|a| a.2.clone()).unwrap_or_default(),
            scenarios: a.map(|a| a.1.clone()).unwrap_or_default(),
        });
    }
    cov.event_types_total = names_total.len();
    for (ty, valued) in &valued_types {
        if !valued {
            cov.types_without_values.push(ty.clone());
            continue;
        }
        cov.event_types_asserted += 1;
        let is_syscall = event_table()
            .iter()
            .filter(|e| is_current(e) && e.name == ty)
            .all(|e| e.category & sys::EC_SYSCALL != 0);
        if is_syscall {
            cov.syscall_event_types_asserted += 1;
        }
        // A call without an event of its own comes as the generic syscall event.
        if !event_table().iter().any(|e| is_current(e) && e.name == ty) {
            cov.generic_calls_asserted += 1;
        }
    }
    let valued = |n: &str| valued_types.get(n).copied().unwrap_or(false);
    cov.syscall_event_types_not_asserted = names_total
        .iter()
        .filter(|n| **n != "syscall" && !valued(n))
        .filter(|n| {
            event_table()
                .iter()
                .filter(|e| is_current(e) && e.name == **n)
                .all(|e| e.category & sys::EC_SYSCALL != 0)
        })
        .map(|n| n.to_string())
        .collect();
    cov
}

impl Coverage {
    /// The share of the asserted events' params asserted by value, in percent.
    pub fn percent_by_value(&self) -> f64 {
        if self.params_total == 0 {
            0.0
        } else {
            100.0 * self.params_asserted as f64 / self.params_total as f64
        }
    }

    /// One line: the summary printed under the matrix.
    pub fn summary(&self) -> String {
        format!(
            "coverage (libs {}): {} event types asserted by value ({} syscalls, {} of them through the generic event) of {} in the table; \
             {} of {} params of the asserted events by value ({:.1}%), {} marked unchecked, {} bounded, {} missing",
            self.libs_version,
            self.event_types_asserted,
            self.syscall_event_types_asserted,
            self.generic_calls_asserted,
            self.event_types_total,
            self.params_asserted,
            self.params_total,
            self.percent_by_value(),
            self.params_unchecked,
            self.params_loose,
            self.params_total - self.params_asserted - self.params_unchecked - self.params_loose,
        )
    }

    /// The map as text: one line per current event of the table, then the summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            let mark = if e.asserted { "●" } else { "·" };
            out.push_str(&format!("{mark} {:<22} {}", e.name, e.dir));
            if e.asserted {
                out.push_str(&format!(
                    "  {}/{} params by value",
                    e.params_by_value,
                    e.params.len()
                ));
                let rest: Vec<String> = e
                    .params
                    .iter()
                    .filter_map(|p| match &p.status {
                        ParamStatus::ByValue => None,
                        ParamStatus::Loose => Some(format!("{} (bounded)", p.name)),
                        ParamStatus::Unchecked(r) => Some(format!("{} (unchecked: {r})", p.name)),
                        ParamStatus::Missing => Some(format!("{} (MISSING)", p.name)),
                    })
                    .collect();
                if !rest.is_empty() {
                    out.push_str(&format!("; {}", rest.join(", ")));
                }
                if !e.generic_calls.is_empty() {
                    let g: Vec<&str> = e.generic_calls.iter().map(|s| s.as_str()).collect();
                    out.push_str(&format!("; calls: {}", g.join(" ")));
                }
            }
            out.push('\n');
        }
        if !self.types_without_values.is_empty() {
            out.push_str(&format!(
                "matched by type alone (no param by value): {}\n",
                self.types_without_values.join(", ")
            ));
        }
        out.push_str(&format!(
            "syscall event types not asserted by value ({}): {}\n",
            self.syscall_event_types_not_asserted.len(),
            self.syscall_event_types_not_asserted.join(", ")
        ));
        out.push_str(&self.summary());
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event a whole-call matcher expands to names each param of its table entry, by value
    /// or bounded, or marks it unchecked with a reason: nothing of a call is left unseen.
    #[test]
    fn every_param_of_a_whole_call_is_asserted_or_marked() {
        let mut gaps = Vec::new();
        for s in crate::scenarios::all() {
            for c in s.steps.shape().checks() {
                for m in c.matchers() {
                    let Some(code) = m.table_code() else { continue };
                    let e = &event_table()[code as usize];
                    for p in &e.params {
                        let named = m.param_preds().any(|(n, _)| n == p.name)
                            || m.unchecked_params().iter().any(|(n, _)| n == p.name);
                        if !named {
                            gaps.push(format!(
                                "{}: {:?} ({} {}) leaves param {} unnamed",
                                s.name,
                                m.name(),
                                e.name,
                                e.direction.as_str(),
                                p.name
                            ));
                        }
                    }
                }
            }
        }
        assert!(gaps.is_empty(), "{}", gaps.join("\n"));
    }

    /// The map counts what the scenarios assert: a whole call's params by value, its marked
    /// params as unchecked, and an unasserted event as such.
    #[test]
    fn the_map_counts_params_by_status() {
        let cov = compute(&crate::scenarios::all());
        assert!(cov.params_asserted <= cov.params_total);
        assert!(cov.params_asserted + cov.params_unchecked + cov.params_loose <= cov.params_total);
        let dup3_exit = cov
            .events
            .iter()
            .find(|e| e.name == "dup3" && e.dir == "<")
            .expect("dup3 exit in the table");
        assert!(dup3_exit.asserted && dup3_exit.scenarios.contains("dup_family"));
        assert_eq!(dup3_exit.params_by_value, dup3_exit.params.len());
        let never = cov
            .events
            .iter()
            .find(|e| e.name == "ptrace" && !e.asserted);
        if let Some(e) = never {
            assert!(e.params.is_empty() && e.params_by_value == 0);
        }
    }
}
