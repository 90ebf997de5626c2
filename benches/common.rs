//! Shared by the benchmarks: criterion's estimates and the ratio table.
#![allow(dead_code)]
use std::path::PathBuf;

/// Mean time per iteration (ns) of `group/bench` from criterion's estimates, if it ran.
pub fn mean_ns(group: &str, bench: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let p = dir
        .join("criterion")
        .join(group)
        .join(bench)
        .join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).ok()?).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// Prints `ours / reference` for each pair, as events/s ratios (higher is better for ours).
pub fn print_ratios(title: &str, events: u64, group: &str, pairs: &[(&str, &str)], names: &[&str]) {
    println!("\n== {title}: events/s ({events} events per iteration)");
    for n in names {
        if let Some(ns) = mean_ns(group, n) {
            println!(
                "  {n:<32} {:>12.0} events/s  ({:.1} ns/event)",
                events as f64 / (ns / 1e9),
                ns / events as f64
            );
        }
    }
    println!("== ratios (ours / reference, events/s)");
    for (ours, reference) in pairs {
        match (mean_ns(group, ours), mean_ns(group, reference)) {
            (Some(a), Some(b)) => println!("  {ours} / {reference}: {:.2}x", b / a),
            _ => println!("  {ours} / {reference}: not measured"),
        }
    }
}

fn cpu(clock: libc::clockid_t) -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(clock, &mut t) };
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// CPU time used so far by the calling thread.
pub fn thread_cpu() -> std::time::Duration {
    cpu(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time used so far by this process (all its threads; not its children).
pub fn process_cpu() -> std::time::Duration {
    cpu(libc::CLOCK_PROCESS_CPUTIME_ID)
}
