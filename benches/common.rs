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

/// How long one cache line takes to move from one CPU to another here, one way (ns): two
/// threads hand a counter back and forth 100,000 times. On this project's 2-vCPU machine it is
/// ~40 ns when the host runs the two vCPUs on cores that share a cache and ~200 ns when it does
/// not; the consumer's two threads share every batch, so their figures depend on it. NaN on a
/// single CPU (the two threads would take turns, not hand the line over).
pub fn cross_cpu_line_ns() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return f64::NAN;
    }
    #[repr(align(128))]
    struct Line(AtomicU64);
    const ROUNDS: u64 = 100_000;
    let line = std::sync::Arc::new(Line(AtomicU64::new(0)));
    let other = line.clone();
    let echo = std::thread::spawn(move || {
        for i in 0..ROUNDS {
            while other.0.load(Ordering::Acquire) != 2 * i + 1 {
                std::hint::spin_loop();
            }
            other.0.store(2 * i + 2, Ordering::Release);
        }
    });
    let start = std::time::Instant::now();
    for i in 0..ROUNDS {
        line.0.store(2 * i + 1, Ordering::Release);
        while line.0.load(Ordering::Acquire) != 2 * i + 2 {
            std::hint::spin_loop();
        }
    }
    let round_trip = start.elapsed().as_nanos() as f64 / ROUNDS as f64;
    echo.join().unwrap();
    round_trip / 2.0
}

/// Runs `f` with this thread (and the threads it starts) allowed on CPU 0 only, then restores
/// the CPUs it was allowed on. None when the affinity cannot be set.
pub fn on_one_cpu<T>(f: impl FnOnce() -> T) -> Option<T> {
    // SAFETY: cpu_set_t is plain data; the calls get valid pointers and its size.
    unsafe {
        let mut old: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size, &mut old) != 0 {
            return None;
        }
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut one);
        if libc::sched_setaffinity(0, size, &one) != 0 {
            return None;
        }
        let r = f();
        libc::sched_setaffinity(0, size, &old);
        Some(r)
    }
}
