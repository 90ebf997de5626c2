//! Per-field extraction cost on the capture thread: the shim loop over a capture file with no
//! field, with all default fields, and with each default field alone (best of 3 runs each).
//!
//! `cargo run --release --example field_cost -- FILE.scap` (FILE: e.g. scripts/bench-capture's).
use std::time::Duration;

use sinspqa::{bench, Engine};

fn ns_per_event(engine: &Engine, fields: &[&str]) -> f64 {
    (0..3)
        .map(|_| {
            let r = bench::extract_loop(engine, None, fields, 0, Duration::ZERO).unwrap();
            r.elapsed.as_nanos() as f64 / r.events.max(1) as f64
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let Some(file) = std::env::args().nth(1) else {
        eprintln!("usage: field_cost FILE.scap");
        std::process::exit(2);
    };
    let engine = Engine::Savefile(file.into());
    let base = ns_per_event(&engine, &[]);
    println!("{:<14} {base:>7.1} ns/event", "no field");
    let all = ns_per_event(&engine, sinspqa::DEFAULT_FIELDS);
    println!(
        "{:<14} {all:>7.1} ns/event (+{:.1})",
        "all default",
        all - base
    );
    for f in sinspqa::DEFAULT_FIELDS {
        println!("{f:<14} {:>+7.1}", ns_per_event(&engine, &[f]) - base);
    }
}
