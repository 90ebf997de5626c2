//! Every QA scenario of the process area (src/scenarios), live on modern eBPF, then on the replay of
//! its recording.
mod common;

#[test]
fn every_process_scenario() {
    common::qa_area(sinspqa::scenarios::Area::Process);
}
