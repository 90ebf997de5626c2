//! Live benchmark (root): a syscall storm of fixed size (dd if=/dev/zero of=/dev/null bs=1
//! count=2000000, about 8 M read/write enter+exit events) runs beside the capture, filtered to
//! dd, for the raw libsinsp loop, the Rust consumer with the default fields, and sinsp-example
//! -m -j. Reports events delivered/s, kernel-side drops and consumer-side drops for each, from
//! the capture's own stats, and the ratios. Not a criterion loop: a live storm is not repeatable
//! to the nanosecond, so each consumer gets the same storm in the same window, `ROUNDS` times,
//! and the best round counts.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sinspqa::{bench, Capture, Engine};

const COUNT: u64 = 2_000_000;
const OFFERED: u64 = 4 * COUNT;
const WINDOW: Duration = Duration::from_secs(14);
const ROUNDS: usize = 2;
const FILTER: &str = "proc.name=dd";

#[derive(Debug, Default, Clone, Copy)]
struct Round {
    delivered: u64,
    storm_secs: f64,
    kernel_drops: Option<u64>,
    consumer_drops: Option<u64>,
}

impl Round {
    fn rate(&self) -> f64 {
        self.delivered as f64 / self.storm_secs
    }
}

/// Starts the storm after `delay`, returns its wall time in seconds when it ends.
fn storm(delay: Duration) -> std::thread::JoinHandle<f64> {
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let t = Instant::now();
        let st = Command::new("dd")
            .args([
                "if=/dev/zero",
                "of=/dev/null",
                "bs=1",
                &format!("count={COUNT}"),
            ])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        t.elapsed().as_secs_f64()
    })
}

fn raw_loop() -> Round {
    let s = storm(Duration::from_secs(2));
    let r = bench::raw_loop(&Engine::ModernBpf, Some(FILTER), 0, WINDOW).unwrap();
    let secs = s.join().unwrap();
    Round {
        delivered: r.events,
        storm_secs: secs,
        kernel_drops: Some(r.kernel_drops),
        consumer_drops: Some(0),
    }
}

fn consumer() -> Round {
    let cap = Capture::builder()
        .engine(Engine::ModernBpf)
        .filter(FILTER)
        .open()
        .unwrap();
    let n = Arc::new(AtomicU64::new(0));
    let rx = cap.events().clone();
    let n2 = n.clone();
    let reader = std::thread::spawn(move || {
        for ev in rx.iter() {
            std::hint::black_box(&ev);
            n2.fetch_add(1, Ordering::Relaxed);
        }
    });
    let s = storm(Duration::from_secs(2));
    std::thread::sleep(WINDOW);
    let secs = s.join().unwrap();
    let st = cap.stop().unwrap();
    reader.join().unwrap();
    Round {
        delivered: n.load(Ordering::Relaxed),
        storm_secs: secs,
        kernel_drops: Some(st.kernel_drops),
        consumer_drops: Some(st.consumer_drops),
    }
}

fn sinsp_example() -> Round {
    let mut child = Command::new(sinspqa::SINSP_EXAMPLE)
        .args(["-m", "-j", "-f", FILTER])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let counter = std::thread::spawn(move || {
        BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .filter(|l| l.starts_with('{'))
            .count() as u64
    });
    let s = storm(Duration::from_secs(3));
    std::thread::sleep(WINDOW);
    let secs = s.join().unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let _ = child.wait();
    Round {
        delivered: counter.join().unwrap(),
        storm_secs: secs,
        kernel_drops: None,
        consumer_drops: None,
    }
}

fn best(f: fn() -> Round) -> Round {
    (0..ROUNDS)
        .map(|_| f())
        .max_by(|a, b| a.rate().total_cmp(&b.rate()))
        .unwrap()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if let Err(e) = Engine::ModernBpf.availability() {
        eprintln!("live bench skipped: {e}");
        return;
    }
    let rows = [
        ("raw libsinsp loop", best(raw_loop)),
        ("rust consumer, default fields", best(consumer)),
        ("sinsp-example -m -j", best(sinsp_example)),
    ];
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "n/a".into());
    println!("\n== live: dd bs=1 count={COUNT} (~{OFFERED} events offered), filter {FILTER:?}, best of {ROUNDS}");
    println!(
        "{:<32} {:>10} {:>9} {:>14} {:>13} {:>15}",
        "consumer", "delivered", "storm s", "delivered/s", "kernel drops", "consumer drops"
    );
    for (name, r) in &rows {
        println!(
            "{name:<32} {:>10} {:>9.2} {:>14.0} {:>13} {:>15}",
            r.delivered,
            r.storm_secs,
            r.rate(),
            opt(r.kernel_drops),
            opt(r.consumer_drops)
        );
    }
    let (raw, ours, se) = (rows[0].1.rate(), rows[1].1.rate(), rows[2].1.rate());
    println!("== ratios (events delivered/s)");
    println!("  rust consumer / raw libsinsp loop: {:.2}x", ours / raw);
    println!(
        "  rust consumer / sinsp-example:     {:.2}x",
        ours / se.max(1.0)
    );
}
