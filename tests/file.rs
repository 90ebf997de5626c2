//! Every QA scenario of the file area (src/scenarios), live on modern eBPF, then on the replay of
//! its recording.
mod common;

#[test]
fn every_file_scenario() {
    common::qa_area(sinspqa::scenarios::Area::File);
}
