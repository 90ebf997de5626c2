//! Every QA scenario of the tracepoints area (src/scenarios): page faults and context switches,
//! live on modern eBPF, then on the replay of its recording.
mod common;

#[test]
fn every_tracepoints_scenario() {
    common::qa_area(sinspqa::scenarios::Area::Tracepoints);
}
