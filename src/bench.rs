//! Benchmark support: the reference loops the capture core is measured against (see
//! `benches/` and BENCHMARKS.md). Both open the engine like a capture does but build no event:
//! - [`raw_loop`]: libsinsp's `next()` in a C++ loop that only counts (the bare libsinsp loop);
//! - [`shim_loop`]: the same loop driven from Rust, one shim call per event (what the capture
//!   thread pays before it extracts fields and builds the owned event).
//!
//! and the stages of our pipeline, one at a time on one thread, so their cost per event can be
//! told apart: [`extract_loop`] (the shim's field extraction) and [`owned_loop`] (extraction,
//! copying into a batch and building the owned events, with no channel and no second thread), and
//! the receiving side alone ([`Recorded`]: batches filled once, decoded into owned events again
//! and again).
use std::time::{Duration, Instant};

use crate::batch::{shim_fields, Batch};
use crate::capture::{cpu_time, open_inspector, Capture, LiveSlot};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ffi::{Inspector, Next, RawEvent};

/// What a reference loop did.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopResult {
    /// Events returned by `next()` (after the filter).
    pub events: u64,
    /// Wall-clock time of the loop.
    pub elapsed: Duration,
    /// Events the driver reports (live engines).
    pub kernel_events: u64,
    /// Events the driver dropped (live engines).
    pub kernel_drops: u64,
}

impl LoopResult {
    /// Events per second.
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Opens `engine` with the open sequence and the defaults of a capture (see
/// [`crate::CaptureBuilder`]), the shim extracting exactly `fields`.
fn open(engine: &Engine, filter: Option<&str>, fields: &[String]) -> Result<Inspector> {
    let mut b = Capture::builder().engine(engine.clone());
    if let Some(f) = filter {
        b = b.filter(f);
    }
    open_inspector(&b, fields)
}

/// Opens `engine` like a capture (the live slot held), times `count` on it, then closes it and
/// reads the driver's counters: the scaffold both reference loops share.
fn measure(
    engine: &Engine,
    filter: Option<&str>,
    fields: &[String],
    count: impl FnOnce(&mut Inspector, Instant) -> Result<u64>,
) -> Result<LoopResult> {
    let _slot = LiveSlot::acquire(engine)?;
    let mut insp = open(engine, filter, fields)?;
    let t = Instant::now();
    let events = count(&mut insp, t)?;
    let elapsed = t.elapsed();
    let st = insp.stats().unwrap_or_default();
    insp.close();
    Ok(LoopResult {
        events,
        elapsed,
        kernel_events: st.events,
        kernel_drops: st.drops,
    })
}

/// The bare libsinsp loop: `next()` in C++, counting, until end of file, `max_events`, or `max`.
pub fn raw_loop(
    engine: &Engine,
    filter: Option<&str>,
    max_events: u64,
    max: Duration,
) -> Result<LoopResult> {
    measure(engine, filter, &[], |insp, _| {
        insp.count_loop(max_events, max)
            .map_err(|e| Error::Libs(e.message))
    })
}

/// The bare loop through the shim: one `sq_next` per event from Rust, nothing extracted or built.
pub fn shim_loop(
    engine: &Engine,
    filter: Option<&str>,
    max_events: u64,
    max: Duration,
) -> Result<LoopResult> {
    extract_loop(engine, filter, &[], max_events, max)
}

/// The shim loop with `fields` extracted by the shim on every event (libsinsp's state is only
/// valid until the next event, so this is the part of the capture thread's work that cannot move
/// to the consumer), nothing copied out or built in Rust.
pub fn extract_loop(
    engine: &Engine,
    filter: Option<&str>,
    fields: &[&str],
    max_events: u64,
    max: Duration,
) -> Result<LoopResult> {
    let fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    measure(engine, filter, &fields, |insp, t| {
        each_event(insp, t, max_events, max, |_| {})
    })
}

/// Calls `f` with each event `next()` returns, until end of file, `max_events` events (0: no
/// limit), or `max` since `t` (zero: no limit; the clock is read every 1024 iterations); returns
/// the number of events.
fn each_event(
    insp: &mut Inspector,
    t: Instant,
    max_events: u64,
    max: Duration,
    mut f: impl FnMut(&RawEvent<'_>),
) -> Result<u64> {
    let mut n = 0u64;
    let mut i = 0u64;
    loop {
        match insp.next() {
            Ok(Next::Event(ev)) => {
                f(&ev);
                n += 1;
                if n == max_events {
                    break;
                }
            }
            Ok(Next::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(Error::Libs(e.message)),
        }
        i += 1;
        if max > Duration::ZERO && i % 1024 == 0 && t.elapsed() >= max {
            break;
        }
    }
    Ok(n)
}

/// CPU time the calling thread has used so far.
pub fn thread_cpu() -> Duration {
    cpu_time(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time this process (all its threads, not its children) has used so far.
pub fn process_cpu() -> Duration {
    cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// The fields the capture thread asks the shim for when a capture extracts `fields`: those the
/// event header does not carry (the header's are built on the receiving side).
pub fn capture_thread_fields(fields: &[&str]) -> Vec<String> {
    shim_fields(&fields.iter().map(|f| f.to_string()).collect::<Vec<_>>())
}

/// Our pipeline without the channel: on one thread, `next()`, the extraction of `fields` (as a
/// capture asks the shim for them), each event copied into a batch as the capture thread does,
/// and every batch of up to 1024 decoded into owned [`crate::Event`]s as the receiving side does,
/// then dropped. Its cost minus [`extract_loop`]'s is what building the owned events costs, in
/// CPU, wherever it runs.
pub fn owned_loop(
    engine: &Engine,
    filter: Option<&str>,
    fields: &[&str],
    max_events: u64,
    max: Duration,
) -> Result<LoopResult> {
    let names: crate::event::FieldNames = fields.iter().map(|f| f.to_string()).collect();
    let shim = capture_thread_fields(fields);
    measure(engine, filter, &shim, |insp, t| {
        let mut batch = Batch::with_capacity(names.clone(), 1024);
        let drain = |batch: &mut Batch| {
            while let Some(ev) = batch.take() {
                std::hint::black_box(ev);
            }
            batch.reset();
        };
        let n = each_event(insp, t, max_events, max, |raw| {
            batch.push(raw);
            if batch.len() >= 1024 {
                drain(&mut batch);
            }
        })?;
        drain(&mut batch);
        Ok(n)
    })
}

/// Events of a capture copied into batches once, as the capture thread copies them, so that the
/// receiving side's work (decoding them into owned [`crate::Event`]s, and dropping them) can be
/// timed alone, without libsinsp, the channel or a second thread.
pub struct Recorded {
    batches: Vec<Batch>,
    events: u64,
}

impl Recorded {
    /// Reads up to `max_events` events of `engine` with `fields` extracted, into batches of 1024.
    pub fn new(engine: &Engine, fields: &[&str], max_events: u64) -> Result<Recorded> {
        let names: crate::event::FieldNames = fields.iter().map(|f| f.to_string()).collect();
        let mut batches = vec![Batch::with_capacity(names.clone(), 1024)];
        let r = measure(engine, None, &capture_thread_fields(fields), |insp, t| {
            each_event(insp, t, max_events, Duration::ZERO, |raw| {
                let last = batches.last_mut().expect("one batch at least");
                if last.len() >= 1024 {
                    let b = last.sibling();
                    batches.push(b);
                }
                let last = batches.last_mut().expect("one batch at least");
                last.push(raw);
            })
        })?;
        Ok(Recorded {
            batches,
            events: r.events,
        })
    }

    /// Events recorded.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Decodes every recorded event into an owned [`crate::Event`] and drops it, as the
    /// receiving side does; returns the number of events.
    pub fn decode_all(&mut self) -> u64 {
        let mut n = 0u64;
        for b in &mut self.batches {
            b.rewind();
            while let Some(ev) = b.take() {
                std::hint::black_box(ev);
                n += 1;
            }
        }
        n
    }
}
