//! QA scenarios of the privileges area: live on modern eBPF, then on the replay of the recording.
mod common;

#[test]
fn drop_privileges() {
    common::qa("drop_privileges");
}

#[test]
fn non_root_setuid() {
    common::qa("non_root_setuid");
}
