//! Replay benchmark of the hot capture path on a large syscall-storm capture (>= 1 M events,
//! made by scripts/bench-capture and cached): the raw libsinsp loop, the bare loop through the
//! shim, our consumer with no fields, with the default fields, and with JSON serialisation, and
//! sinsp-example -s FILE -j > /dev/null as a whole process; and the stages of our pipeline one at a
//! time (the capture thread's extraction, building the owned events on one thread). Prints ratios
//! against the references and the cost per event of each stage.
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
    // recorded by this libs version (0.22+ drivers emit half the events for the same storm)
    let out = Command::new(script)
        .env("SINSPQA_LIBS_VERSION", sinspqa::LIBS_VERSION)
        .stderr(Stdio::inherit())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Events the receiving-side stage decodes per iteration (their batches are kept in memory).
const RECEIVING_EVENTS: u64 = 300_000;

/// One pass of a consumer: events, and the CPU time of the capture thread and of the receiving
/// (this) thread.
struct Pass {
    events: u64,
    capture_cpu: Duration,
    receiving_cpu: Duration,
}

/// Consumes the whole file once, timing each thread's CPU.
fn consume_timed(file: &std::path::Path, fields: &[&str], json: bool) -> Pass {
    let t = bench::thread_cpu();
    let (events, stats) = consume_with_stats(file, fields, json);
    Pass {
        events,
        capture_cpu: Duration::from_nanos(stats.capture_cpu_ns),
        receiving_cpu: bench::thread_cpu() - t,
    }
}

fn consume(file: &std::path::Path, fields: &[&str], json: bool) -> u64 {
    consume_with_stats(file, fields, json).0
}

fn consume_with_stats(
    file: &std::path::Path,
    fields: &[&str],
    json: bool,
) -> (u64, sinspqa::CaptureStats) {
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
    (n, cap.finish().unwrap())
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

    let line_before = common::cross_cpu_line_ns();
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
    // The stages of the consumer, one at a time on one thread: the extraction the capture thread
    // does (the default fields the event header does not carry), then that plus building the
    // owned events (copied into a batch, decoded, dropped), with no channel.
    let capture_fields = bench::capture_thread_fields(sinspqa::DEFAULT_FIELDS);
    let capture_fields: Vec<&str> = capture_fields.iter().map(String::as_str).collect();
    g.bench_function("stage_extract_capture_fields", |b| {
        b.iter(|| bench::extract_loop(&engine, None, &capture_fields, 0, Duration::ZERO).unwrap())
    });
    g.bench_function("stage_owned_events_one_thread", |b| {
        b.iter(|| {
            bench::owned_loop(&engine, None, sinspqa::DEFAULT_FIELDS, 0, Duration::ZERO).unwrap()
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
    // The receiving side alone: events copied into batches once (as the capture thread copies
    // them), then decoded into owned events and dropped, on one thread.
    let mut recorded =
        bench::Recorded::new(&engine, sinspqa::DEFAULT_FIELDS, RECEIVING_EVENTS).unwrap();
    let mut g = c.benchmark_group("receiving");
    g.throughput(Throughput::Elements(recorded.events()));
    g.bench_function("decode_owned_events", |b| b.iter(|| recorded.decode_all()));
    g.finish();
    c.final_summary();
    let line_after = common::cross_cpu_line_ns();
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
            "stage_extract_capture_fields",
            "stage_owned_events_one_thread",
            "consumer_no_fields",
            "consumer_default_fields",
            "consumer_default_fields_json",
            "sinsp_example_json",
        ],
    );
    // Each stage's cost per event (criterion's means above): what next() costs, what the capture
    // thread's extraction adds, what building the owned events adds (on one thread), and what the
    // two-thread pipeline's wall time is against that.
    let per_event = |name: &str| common::mean_ns("replay", name).map(|ns| ns / events as f64);
    println!("\n== replay: cost per event of each stage (ns/event, from the means above)");
    if let (Some(bare), Some(extract), Some(owned), Some(consumer)) = (
        per_event("shim_bare_loop"),
        per_event("stage_extract_capture_fields"),
        per_event("stage_owned_events_one_thread"),
        per_event("consumer_default_fields"),
    ) {
        let row = |label: &str, ns: f64| println!("  {label:<58} {ns:>8.1}");
        row("next() through the shim", bare);
        row(
            &format!(
                "+ extracting the {} shim fields on the capture thread",
                capture_fields.len()
            ),
            extract - bare,
        );
        row(
            "+ building the owned events (batch copy, decoding, drop)",
            owned - extract,
        );
        row("= the whole pipeline on one thread", owned);
        if let Some(ns) = common::mean_ns("receiving", "decode_owned_events") {
            row(
                "  of which the receiving side (decoding owned events, drop)",
                ns / recorded.events().max(1) as f64,
            );
        }
        row("the consumer: two threads and the channel", consumer);
        println!(
            "  (the consumer runs at {:.2}x the one-thread pipeline; its bound is the capture \
             thread: next() + extraction + the batch copies)",
            owned / consumer
        );
    }
    // The CPU each thread of the consumer used (one pass each): the capture thread (next(),
    // extraction, batch copies, sends) and the receiving thread (receives, decoding into owned
    // events, JSON). Their sum against the one-thread pipeline's CPU is what handing events to
    // another thread costs (channel operations, wake-ups, cache lines moving between cores).
    println!("\n== CPU per event by thread (one pass each, ns/event)");
    let one = {
        let t = bench::thread_cpu();
        let r =
            bench::owned_loop(&engine, None, sinspqa::DEFAULT_FIELDS, 0, Duration::ZERO).unwrap();
        (bench::thread_cpu() - t).as_nanos() as f64 / r.events.max(1) as f64
    };
    println!(
        "  {:<32} one thread {one:>7.1}",
        "one-thread pipeline, default"
    );
    for (name, fields, json) in [
        ("consumer_no_fields", &[][..], false),
        ("consumer_default_fields", sinspqa::DEFAULT_FIELDS, false),
        (
            "consumer_default_fields_json",
            sinspqa::DEFAULT_FIELDS,
            true,
        ),
    ] {
        let p = consume_timed(&file, fields, json);
        let per = |d: Duration| d.as_nanos() as f64 / p.events.max(1) as f64;
        println!(
            "  {name:<32} capture thread {:>7.1}  receiving thread {:>7.1}  sum {:>7.1}",
            per(p.capture_cpu),
            per(p.receiving_cpu),
            per(p.capture_cpu + p.receiving_cpu)
        );
        if name == "consumer_default_fields" {
            println!(
                "  {:<32} {:>7.1}  (the two threads' sum - the one-thread pipeline)",
                "hand-off to the receiving thread",
                per(p.capture_cpu + p.receiving_cpu) - one
            );
        }
    }
    // The same consumers with both threads on one CPU: no cache line crosses between CPUs, so
    // the capture thread's CPU is its own work; against the two-CPU pass above, the difference is
    // what moving each event's batch data to the other CPU costs the capture thread.
    println!("\n== the same, both threads on CPU 0 (no cache line crosses CPUs; wall = their sum)");
    for (name, fields) in [
        ("consumer_no_fields", &[][..]),
        ("consumer_default_fields", sinspqa::DEFAULT_FIELDS),
    ] {
        match common::on_one_cpu(|| consume_timed(&file, fields, false)) {
            Some(p) => {
                let per = |d: Duration| d.as_nanos() as f64 / p.events.max(1) as f64;
                println!(
                    "  {name:<32} capture thread {:>7.1}  receiving thread {:>7.1}",
                    per(p.capture_cpu),
                    per(p.receiving_cpu)
                );
            }
            None => println!("  {name:<32} not measured (the CPU affinity cannot be set)"),
        }
    }
    println!(
        "\n== one cache line moving between the two CPUs: {line_before:.0} ns one way before the \
         criterion runs, {after:.0} after, {now:.0} now (~40 when the host runs the vCPUs on cores \
         that share a cache, ~200 when not; the two-thread consumers are slower then)",
        after = line_after,
        now = common::cross_cpu_line_ns()
    );
}
