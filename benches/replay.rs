//! Replay benchmark of the hot capture path on a large syscall-storm capture (>= 1 M events,
//! made by scripts/bench-capture and cached): the raw libsinsp loop, the bare loop through the
//! shim, our consumer with no fields, with the default fields, and with JSON serialisation, and
//! sinsp-example -s FILE -j > /dev/null as a whole process. Prints ratios against the references.
mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, Throughput};
use sinspqa::{bench, Capture, Engine};

fn storm() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SINSPQA_BENCH_SCAP") {
        return Some(PathBuf::from(p));
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench-capture");
    let out = Command::new(script)
        .stderr(Stdio::inherit())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Consumes the whole file; returns the events and the consuming thread's CPU time.
fn consume_timed(file: &std::path::Path, fields: &[&str], json: bool) -> (u64, Duration) {
    let t = common::thread_cpu();
    let n = consume(file, fields, json);
    (n, common::thread_cpu() - t)
}

fn consume(file: &std::path::Path, fields: &[&str], json: bool) -> u64 {
    let cap = Capture::builder()
        .engine(Engine::Savefile(file.to_path_buf()))
        .fields(fields.iter().copied())
        .open()
        .unwrap();
    let mut n = 0u64;
    let mut buf = Vec::with_capacity(1024);
    for ev in cap.events().iter() {
        if json {
            buf.clear();
            serde_json::to_writer(&mut buf, &ev).unwrap();
        }
        n += 1;
        std::hint::black_box(&ev);
    }
    cap.finish().unwrap();
    n
}

fn main() {
    let Some(file) = storm() else {
        eprintln!("replay bench skipped: no capture (scripts/bench-capture needs root/BPF, or set SINSPQA_BENCH_SCAP)");
        return;
    };
    let engine = Engine::Savefile(file.clone());
    let events = bench::raw_loop(&engine, None, 0, Duration::ZERO)
        .unwrap()
        .events;
    assert!(
        events >= 1_000_000,
        "{}: only {events} events",
        file.display()
    );

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15))
        .configure_from_args();
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(events));
    g.bench_function("raw_libsinsp_loop", |b| {
        b.iter(|| bench::raw_loop(&engine, None, 0, Duration::ZERO).unwrap())
    });
    g.bench_function("shim_bare_loop", |b| {
        b.iter(|| bench::shim_loop(&engine, None, 0, Duration::ZERO).unwrap())
    });
    g.bench_function("shim_extract_default_fields", |b| {
        b.iter(|| {
            bench::extract_loop(&engine, None, sinspqa::DEFAULT_FIELDS, 0, Duration::ZERO).unwrap()
        })
    });
    g.bench_function("consumer_no_fields", |b| {
        b.iter(|| consume(&file, &[], false))
    });
    g.bench_function("consumer_default_fields", |b| {
        b.iter(|| consume(&file, sinspqa::DEFAULT_FIELDS, false))
    });
    g.bench_function("consumer_default_fields_json", |b| {
        b.iter(|| consume(&file, sinspqa::DEFAULT_FIELDS, true))
    });
    g.bench_function("sinsp_example_json", |b| {
        b.iter(|| {
            let st = Command::new(sinspqa::SINSP_EXAMPLE)
                .arg("-s")
                .arg(&file)
                .arg("-j")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success());
        })
    });
    g.finish();
    c.final_summary();
    common::print_ratios(
        "replay",
        events,
        "replay",
        &[
            ("consumer_default_fields", "shim_bare_loop"),
            ("consumer_default_fields", "raw_libsinsp_loop"),
            ("consumer_default_fields", "sinsp_example_json"),
            ("consumer_default_fields_json", "sinsp_example_json"),
            ("consumer_no_fields", "shim_bare_loop"),
            ("consumer_default_fields", "shim_extract_default_fields"),
        ],
        &[
            "raw_libsinsp_loop",
            "shim_bare_loop",
            "shim_extract_default_fields",
            "consumer_no_fields",
            "consumer_default_fields",
            "consumer_default_fields_json",
            "sinsp_example_json",
        ],
    );
    // The receiving thread's own CPU: building the owned events (and JSON). The capture thread is
    // the bottleneck of a replay, so the wall times above do not show it; live, both threads
    // share the cores the workload leaves.
    println!("== receiving thread CPU per event (one pass each; the capture thread's is the wall time above)");
    for (name, fields, json) in [
        ("consumer_no_fields", &[][..], false),
        ("consumer_default_fields", sinspqa::DEFAULT_FIELDS, false),
        (
            "consumer_default_fields_json",
            sinspqa::DEFAULT_FIELDS,
            true,
        ),
    ] {
        let (n, cpu) = consume_timed(&file, fields, json);
        println!(
            "  {name:<32} {:>8.1} ns/event",
            cpu.as_nanos() as f64 / n.max(1) as f64
        );
    }
}
