//! QA scenarios of the process area: live on modern eBPF, then on the replay of the recording.
mod common;

#[test]
fn spawn_exec_with_args() {
    common::qa("spawn_exec_with_args");
}

#[test]
fn untrusted_shell() {
    common::qa("untrusted_shell");
}

#[test]
fn db_program_spawns_process() {
    common::qa("db_program_spawns_process");
}

#[test]
fn system_user_interactive() {
    common::qa("system_user_interactive");
}

#[test]
fn signals_memory_fds() {
    common::qa("signals_memory_fds");
}
