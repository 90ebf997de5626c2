//! Every QA scenario of the privileges area (src/scenarios), live on modern eBPF, then on the replay of
//! its recording.
mod common;

#[test]
fn every_privileges_scenario() {
    common::qa_area(sinspqa::scenarios::Area::Privileges);
}
