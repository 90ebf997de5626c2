//! Every QA scenario of the network area (src/scenarios), live on modern eBPF, then on the replay of
//! its recording.
mod common;

#[test]
fn every_network_scenario() {
    common::qa_area(sinspqa::scenarios::Area::Network);
}
