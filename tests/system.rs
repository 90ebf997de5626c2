//! Every QA scenario of the system area (src/scenarios), live on modern eBPF, then on the replay of
//! its recording.
mod common;

#[test]
fn every_system_scenario() {
    common::qa_area(sinspqa::scenarios::Area::System);
}
