//! A/B of the capture thread's hot path on a loaded machine: the raw libsinsp loop, the shim's
//! extraction of the capture thread's fields, and the one-thread pipeline (extraction, batch
//! copy, owned events built and dropped), each timed by this thread's CPU time, passes
//! alternating; prints the minimum and median ns/event of each and the ratios to the raw loop.
//! CPU time and the minimum of several passes are what a machine shared with other builds
//! leaves comparable between two binaries run one after the other.
//!
//! `cargo run --release --example hotpath_cpu -- ~/.cache/sinspqa/bench/storm-0.20.0.scap [passes]`
use std::time::Duration;

use sinspqa::{bench, Engine};

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("usage: hotpath_cpu FILE [passes]");
    let passes: usize = args.next().map_or(7, |s| s.parse().expect("passes"));
    let engine = Engine::Savefile(file.into());
    let capture_fields = bench::capture_thread_fields(sinspqa::DEFAULT_FIELDS);
    let capture_fields: Vec<&str> = capture_fields.iter().map(String::as_str).collect();
    let mut raw = Vec::new();
    let mut extract = Vec::new();
    let mut owned = Vec::new();
    let per_event = |f: &mut dyn FnMut() -> u64| {
        let t = bench::thread_cpu();
        let n = f();
        (bench::thread_cpu() - t).as_nanos() as f64 / n.max(1) as f64
    };
    for _ in 0..passes {
        raw.push(per_event(&mut || {
            bench::raw_loop(&engine, None, 0, Duration::ZERO)
                .unwrap()
                .events
        }));
        extract.push(per_event(&mut || {
            bench::extract_loop(&engine, None, &capture_fields, 0, Duration::ZERO)
                .unwrap()
                .events
        }));
        owned.push(per_event(&mut || {
            bench::owned_loop(&engine, None, sinspqa::DEFAULT_FIELDS, 0, Duration::ZERO)
                .unwrap()
                .events
        }));
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (v[0], v[v.len() / 2])
    };
    let (raw_min, raw_med) = stats(&mut raw);
    let (ex_min, ex_med) = stats(&mut extract);
    let (ow_min, ow_med) = stats(&mut owned);
    println!("thread CPU ns/event over {passes} passes: min  median  (min / raw loop's min)");
    println!("  raw libsinsp loop              {raw_min:7.1} {raw_med:7.1}");
    println!(
        "  extraction (capture fields)    {ex_min:7.1} {ex_med:7.1}  {:.3}",
        ex_min / raw_min
    );
    println!(
        "  one-thread pipeline (default)  {ow_min:7.1} {ow_med:7.1}  {:.3}",
        ow_min / raw_min
    );
}
