//! Dropping a capture detaches every BPF program it attached (checked with bpftool). In its own
//! test binary so that no other capture of this process loads programs meanwhile.
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use sinspqa::{Capture, Engine};

/// Ids of the BPF programs loaded on the machine, from `bpftool -j prog show`.
fn bpf_prog_ids() -> Vec<u64> {
    let out = Command::new("bpftool")
        .args(["-j", "prog", "show"])
        .output()
        .expect("run bpftool");
    assert!(
        out.status.success(),
        "bpftool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("bpftool JSON");
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_u64())
        .collect()
}

#[test]
fn dropping_a_live_capture_detaches_its_bpf_programs() {
    let Some(_live) = common::live_or_skip("dropping_a_live_capture_detaches_its_bpf_programs")
    else {
        return;
    };
    let before = bpf_prog_ids();
    let cap = Capture::builder()
        .engine(Engine::ModernBpf)
        .all_syscalls(false)
        .open()
        .expect("open");
    let during = bpf_prog_ids();
    let ours: Vec<u64> = during
        .iter()
        .copied()
        .filter(|id| !before.contains(id))
        .collect();
    assert!(
        !ours.is_empty(),
        "the capture loaded no BPF program? before {before:?} during {during:?}"
    );
    // Events flow while attached.
    let got = common::collect_until(&cap, Duration::from_secs(10), |evs| !evs.is_empty());
    assert!(!got.is_empty(), "no event in 10 s");
    drop(cap);
    // The kernel frees a program after its last reference goes and an RCU grace period:
    // allow a bounded moment, then every program of ours must be gone.
    let t = Instant::now();
    let mut left = ours.clone();
    while !left.is_empty() && t.elapsed() < Duration::from_secs(10) {
        let after = bpf_prog_ids();
        left.retain(|id| after.contains(id));
        if !left.is_empty() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    eprintln!(
        "{} programs of ours gone {} ms after drop",
        ours.len(),
        t.elapsed().as_millis()
    );
    assert!(
        left.is_empty(),
        "BPF programs still loaded 10 s after drop: {left:?}"
    );
}

#[test]
fn one_live_capture_per_process_and_a_second_gets_a_typed_error() {
    let Some(_live) =
        common::live_or_skip("one_live_capture_per_process_and_a_second_gets_a_typed_error")
    else {
        return;
    };
    let first = Capture::builder()
        .engine(Engine::ModernBpf)
        .all_syscalls(false)
        .open()
        .expect("open");
    let second = Capture::builder().engine(Engine::ModernBpf).open();
    assert!(
        matches!(second, Err(sinspqa::Error::EngineUnavailable { .. })),
        "{second:?}"
    );
    first.stop().unwrap();
    // The slot is released when the first capture ends.
    Capture::builder()
        .engine(Engine::ModernBpf)
        .all_syscalls(false)
        .open()
        .expect("reopen")
        .stop()
        .unwrap();
}
