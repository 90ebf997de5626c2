//! QA scenarios of the file area: live on modern eBPF, then on the replay of the recording.
mod common;

#[test]
fn file_operations() {
    common::qa("file_operations");
}

#[test]
fn write_below_binary_dir() {
    common::qa("write_below_binary_dir");
}

#[test]
fn modify_binary_dirs() {
    common::qa("modify_binary_dirs");
}

#[test]
fn read_sensitive_file() {
    common::qa("read_sensitive_file");
}

#[test]
fn pipes_and_dup() {
    common::qa("pipes_and_dup");
}
