//! Live benchmark (root): a syscall storm of fixed size (dd if=/dev/zero of=/dev/null bs=1
//! count=2000000, about 8 M read/write enter+exit events) runs beside the capture, filtered to
//! dd, for the raw libsinsp loop, the Rust consumer with the default fields, sinsp-example -m -j,
//! and (for the cost of libsinsp's parameter formatting) the Rust consumer with the default
//! fields but `evt.args`. Reports events delivered/s, kernel-side drops, consumer-side drops
//! (from the capture's own stats), this process's CPU per event and each of our threads' for each round, how many of
//! our rounds lost nothing, and the ratios. Not a criterion loop: a live storm is not repeatable to the
//! nanosecond, so each consumer gets the same storm in the same window, `ROUNDS` times, every
//! round is printed, and the ratios compare the best rounds.
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sinspqa::{bench, Capture, Engine};

const COUNT: u64 = 2_000_000;
const OFFERED: u64 = 4 * COUNT;
const WINDOW: Duration = Duration::from_secs(14);
const ROUNDS: usize = 3;
const FILTER: &str = "proc.name=dd";

#[derive(Debug, Default, Clone, Copy)]
struct Round {
    delivered: u64,
    storm_secs: f64,
    kernel_drops: Option<u64>,
    consumer_drops: Option<u64>,
    /// This process's CPU while the storm was taken in (see [`Storm`]: capture and receiving
    /// threads), and the receiving thread's own; sinsp-example's is not measured.
    cpu: Option<Duration>,
    receiver_cpu: Option<Duration>,
    /// The capture thread's own, over the same span (from the capture's stats).
    capture_cpu: Option<Duration>,
}

impl Round {
    fn rate(&self) -> f64 {
        self.delivered as f64 / self.storm_secs
    }
    fn per_event(&self, cpu: Option<Duration>) -> String {
        cpu.map(|c| format!("{:.0}", c.as_nanos() as f64 / self.delivered.max(1) as f64))
            .unwrap_or_else(|| "n/a".into())
    }
}

/// The storm's wall time in seconds, and the CPU time used while the capture took it in: from
/// dd's start until `DRAIN` after its end (the capture lags behind by what the kernel buffers
/// hold), not the idle rest of the window. `cpu` is this process's (capture and receiving
/// threads), `capture_cpu` the capture thread's own (from the capture's stats, refreshed every
/// 100 ms).
struct Storm {
    secs: f64,
    cpu: Duration,
    capture_cpu: Option<Duration>,
}

/// How long after the storm the capture is given to drain the kernel buffers.
const DRAIN: Duration = Duration::from_secs(1);

/// Runs the storm after `delay`; `capture_cpu` reads the capture thread's CPU time, if there is
/// one.
fn storm(delay: Duration, capture_cpu: Option<&dyn Fn() -> Duration>) -> Storm {
    std::thread::sleep(delay);
    let cpu_at_start = bench::process_cpu();
    let capture_at_start = capture_cpu.map(|f| f());
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
    let secs = t.elapsed().as_secs_f64();
    std::thread::sleep(DRAIN);
    Storm {
        secs,
        cpu: bench::process_cpu() - cpu_at_start,
        capture_cpu: capture_cpu.zip(capture_at_start).map(|(f, t0)| f() - t0),
    }
}

fn raw_loop() -> Round {
    let s = std::thread::spawn(|| storm(Duration::from_secs(2), None));
    let r = bench::raw_loop(&Engine::ModernBpf, Some(FILTER), 0, WINDOW).unwrap();
    let s = s.join().unwrap();
    Round {
        delivered: r.events,
        storm_secs: s.secs,
        kernel_drops: Some(r.kernel_drops),
        consumer_drops: Some(0),
        cpu: Some(s.cpu),
        receiver_cpu: None,
        capture_cpu: None,
    }
}

fn consumer() -> Round {
    consumer_with(sinspqa::DEFAULT_FIELDS)
}

/// The default fields but `evt.args` (libsinsp's formatting of every parameter, the costliest
/// one): what the capture costs without it.
fn consumer_without_args() -> Round {
    let fields: Vec<&str> = sinspqa::DEFAULT_FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "evt.args")
        .collect();
    consumer_with(&fields)
}

fn consumer_with(fields: &[&str]) -> Round {
    let cap = Capture::builder()
        .engine(Engine::ModernBpf)
        .filter(FILTER)
        .fields(fields.iter().copied())
        .open()
        .unwrap();
    let rx = cap.events().clone();
    // counted locally and returned at the end: the consumer does nothing per event but receive
    let reader = std::thread::spawn(move || {
        let t = bench::thread_cpu();
        let mut n = 0u64;
        for ev in rx.iter() {
            std::hint::black_box(&ev);
            n += 1;
        }
        (n, bench::thread_cpu() - t)
    });
    // the storm runs on this thread (it reads the capture's stats), then the rest of the window
    let window = Instant::now();
    let capture_cpu = || Duration::from_nanos(cap.stats().capture_cpu_ns);
    let s = storm(Duration::from_secs(2), Some(&capture_cpu));
    std::thread::sleep(WINDOW.saturating_sub(window.elapsed()));
    let st = cap.stop().unwrap();
    let (delivered, receiver_cpu) = reader.join().unwrap();
    Round {
        delivered,
        storm_secs: s.secs,
        kernel_drops: Some(st.kernel_drops),
        consumer_drops: Some(st.consumer_drops),
        cpu: Some(s.cpu),
        receiver_cpu: Some(receiver_cpu),
        capture_cpu: s.capture_cpu,
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
    let s = std::thread::spawn(|| storm(Duration::from_secs(3), None));
    std::thread::sleep(WINDOW);
    let secs = s.join().unwrap().secs;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let _ = child.wait();
    Round {
        delivered: counter.join().unwrap(),
        storm_secs: secs,
        kernel_drops: None,
        consumer_drops: None,
        cpu: None,
        receiver_cpu: None,
        capture_cpu: None,
    }
}

/// The rounds of one consumer, and the index of the best (highest delivered/s).
fn rounds(f: fn() -> Round) -> (Vec<Round>, usize) {
    let r: Vec<Round> = (0..ROUNDS).map(|_| f()).collect();
    let best = (0..r.len())
        .max_by(|&a, &b| r[a].rate().total_cmp(&r[b].rate()))
        .unwrap();
    (r, best)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if let Err(e) = Engine::ModernBpf.availability() {
        eprintln!("live bench skipped: {e}");
        return;
    }
    let line_before = common::cross_cpu_line_ns();
    let raw = rounds(raw_loop);
    let ours = rounds(consumer);
    let se = rounds(sinsp_example);
    let no_args = rounds(consumer_without_args);
    let line_after = common::cross_cpu_line_ns();
    const OURS: &str = "rust consumer, default fields";
    const NO_ARGS: &str = "rust consumer, no evt.args";
    let rows = [
        ("raw libsinsp loop", &raw),
        (OURS, &ours),
        ("sinsp-example -m -j", &se),
        (NO_ARGS, &no_args),
    ];
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "n/a".into());
    println!("\n== live: dd bs=1 count={COUNT} (~{OFFERED} events offered), filter {FILTER:?}, {ROUNDS} rounds each");
    println!(
        "{:<36} {:>10} {:>9} {:>14} {:>13} {:>15} {:>13} {:>14} {:>14}",
        "consumer (round; * best)",
        "delivered",
        "storm s",
        "delivered/s",
        "kernel drops",
        "consumer drops",
        "CPU ns/event",
        "capture thr.",
        "receiving thr."
    );
    for (name, (rs, best)) in &rows {
        for (i, r) in rs.iter().enumerate() {
            let label = format!("{name} #{}{}", i + 1, if i == *best { " *" } else { "" });
            println!(
                "{label:<36} {:>10} {:>9.2} {:>14.0} {:>13} {:>15} {:>13} {:>14} {:>14}",
                r.delivered,
                r.storm_secs,
                r.rate(),
                opt(r.kernel_drops),
                opt(r.consumer_drops),
                r.per_event(r.cpu),
                r.per_event(r.capture_cpu),
                r.per_event(r.receiver_cpu)
            );
        }
    }
    println!(
        "(CPU: this process from the storm's start until 1 s after its end, i.e. the capture \
         thread and the receiving thread; dd's own CPU, kernel probes included, is not in it; \
         capture thr.: the capture thread's own over the same span; receiving thr.: the receiving \
         thread over the whole round)"
    );
    let best = |(rs, b): &(Vec<Round>, usize)| rs[*b].rate();
    for (name, (rs, _)) in [(OURS, &ours), (NO_ARGS, &no_args)] {
        let clean = rs
            .iter()
            .filter(|r| r.kernel_drops == Some(0) && r.consumer_drops == Some(0))
            .count();
        println!(
            "== {name}: rounds with 0 drops (kernel and consumer): {clean} of {}",
            rs.len()
        );
    }
    println!("== ratios (events delivered/s, best rounds)");
    println!(
        "  rust consumer / raw libsinsp loop: {:.2}x",
        best(&ours) / best(&raw)
    );
    println!(
        "  rust consumer / sinsp-example:     {:.2}x",
        best(&ours) / best(&se).max(1.0)
    );
    println!(
        "== one cache line moving between the two CPUs: {line_before:.0} ns one way before the \
         rounds, {line_after:.0} after (~40 when the host runs the vCPUs on cores that share a \
         cache, ~200 when not)"
    );
}
