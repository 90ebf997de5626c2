//! QA scenarios of the namespaces area: live on modern eBPF, then on the replay of the recording.
mod common;

#[test]
fn container_like_process() {
    common::qa("container_like_process");
}
