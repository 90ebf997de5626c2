//! Every QA scenario of the namespaces area (src/scenarios), live on modern eBPF, then on the replay of
//! its recording.
mod common;

#[test]
fn every_namespaces_scenario() {
    common::qa_area(sinspqa::scenarios::Area::Namespaces);
}
