//! A capture: one thread drives the libsinsp `next()` loop in-process and pushes its events, in
//! batches of raw records (see `batch.rs`), onto a bounded crossbeam channel; [`Events`] hands
//! them out as owned [`Event`]s, built on the receiving thread.
//!
//! Live engines never block the kernel side on a slow consumer: when the channel is full the
//! event is dropped and counted in [`CaptureStats::consumer_drops`], so memory stays bounded.
//! Replays (savefile) apply back-pressure instead, since a file loses nothing by waiting.
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::cell::RefCell;

use crossbeam_channel::{
    bounded, Receiver, RecvError, RecvTimeoutError, SendTimeoutError, Sender, TryRecvError,
};
use serde::{Deserialize, Serialize};

use crate::batch::Batch;
use crate::engine::{Engine, OpenOptions};
use crate::error::{Error, EventDefect, Result};
use crate::event::{Event, FieldNames};
use crate::ffi::{Inspector, Next, ShimError, ShimErrorKind};

/// The fields extracted when none are requested.
pub const DEFAULT_FIELDS: &[&str] = &[
    "evt.num",
    "evt.time",
    "evt.category",
    "evt.type",
    "evt.dir",
    "evt.res",
    "proc.name",
    "proc.pid",
    "proc.ppid",
    "thread.tid",
    "proc.exepath",
    "proc.cmdline",
    "user.uid",
    "fd.name",
    "evt.args",
];

/// Counters of a capture. Live counters are refreshed about every 100 ms while running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureStats {
    /// Events that sinsp returned after the filter (what the consumer was offered).
    pub events_seen: u64,
    /// Events put on the channel.
    pub events_delivered: u64,
    /// Events dropped because the channel was full (slow consumer).
    pub consumer_drops: u64,
    /// Events sinsp read but the filter rejected.
    pub events_filtered: u64,
    /// Events the driver reports it produced (live engines).
    pub kernel_events: u64,
    /// Events the driver dropped (full buffers, faults, ...).
    pub kernel_drops: u64,
    /// Of which: dropped because a kernel buffer was full.
    pub kernel_drops_buffer: u64,
    /// CPU time the capture thread has used, in ns: libsinsp's `next()` (parsing, state), the
    /// field extraction and the copying into batches; not the consumer's decoding. Refreshed with
    /// every batch handed over, with the live counters and at the end.
    #[serde(default)]
    pub capture_cpu_ns: u64,
    /// Events whose header's length disagreed with their params (a corrupt file, or a driver
    /// bug): each was delivered with its raw bytes cut to what its params account for (never
    /// read past the event), and counted here; [`Capture::event_errors`] names them. Final at
    /// the end of the capture.
    #[serde(default)]
    pub corrupt_events: u64,
}

/// Builder of a [`Capture`]. Obtain it with [`Capture::builder`].
#[derive(Debug, Clone)]
pub struct CaptureBuilder {
    engine: Engine,
    filter: Option<String>,
    fields: Vec<String>,
    buffer_size: u64,
    channel_capacity: usize,
    dump_to: Option<PathBuf>,
    compress_dump: bool,
    all_syscalls: bool,
    only_events: Option<Vec<String>>,
    import_users: bool,
}

impl Default for CaptureBuilder {
    fn default() -> Self {
        CaptureBuilder {
            engine: Engine::ModernBpf,
            filter: None,
            fields: DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect(),
            buffer_size: 0,
            channel_capacity: 65536,
            dump_to: None,
            compress_dump: false,
            all_syscalls: true,
            only_events: None,
            import_users: true,
        }
    }
}

impl CaptureBuilder {
    /// The engine to capture from (default: modern eBPF).
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }
    /// A sinsp filter (e.g. `evt.type=openat and proc.pid=42`).
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }
    /// The sinsp fields to extract for every event (default: [`DEFAULT_FIELDS`]).
    pub fn fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields = fields.into_iter().map(Into::into).collect();
        self
    }
    /// Bytes of each per-CPU kernel buffer (0: libs' default, 8 MiB).
    pub fn buffer_size(mut self, bytes: u64) -> Self {
        self.buffer_size = bytes;
        self
    }
    /// Capacity of the event channel (default 65536 events).
    pub fn channel_capacity(mut self, n: usize) -> Self {
        self.channel_capacity = n.max(1);
        self
    }
    /// Also write every delivered event to a `.scap` file that the savefile engine and
    /// sinsp-example can read back.
    pub fn dump_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.dump_to = Some(path.into());
        self
    }
    /// Gzip-compress the dump file (libscap and sinsp-example read both forms).
    pub fn compress_dump(mut self, on: bool) -> Self {
        self.compress_dump = on;
        self
    }
    /// Ask the kernel (live engines) only for the syscalls and tracepoints that produce these
    /// events (evt.type names; the generic event's calls by their syscall name), plus what
    /// libsinsp's state needs and what the filter names, as Falco does with its rules. A storm
    /// of other syscalls elsewhere on the machine then never reaches the ring buffers. Names of
    /// tracepoints off by default (`page_fault`, `switch`) turn them on. Names nothing in the
    /// kernel produces (libsinsp's meta events) need no selection and are ignored. Savefiles
    /// ignore the selection.
    pub fn only_events<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only_events = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Whether a live engine asks the kernel for every syscall and tracepoint libs knows
    /// (default; page faults and sched_switch excepted) or only what libsinsp's state and the
    /// filter need. [`CaptureBuilder::only_events`] takes precedence.
    pub fn all_syscalls(mut self, on: bool) -> Self {
        self.all_syscalls = on;
        self
    }
    /// Whether sinsp imports the user and group tables (default true).
    pub fn import_users(mut self, on: bool) -> Self {
        self.import_users = on;
        self
    }

    /// Opens the engine and starts capturing on a new thread. Errors of the filter, the fields,
    /// the engine or the dump file come back here, typed.
    pub fn open(self) -> Result<Capture> {
        // Events travel in batches: the capacity in events becomes a capacity in batches.
        let batches = (self.channel_capacity / self.channel_capacity.clamp(1, BATCH)).max(1);
        let (etx, erx) = bounded(batches);
        let (ready_tx, ready_rx) = bounded::<Result<()>>(1);
        let shared = Arc::new(Shared::default());
        let engine = self.engine.clone();
        let sh = shared.clone();
        let fields: FieldNames = self.fields.clone().into();
        let thread = std::thread::Builder::new()
            .name(format!("sinspqa-{}", engine.name()))
            .spawn(move || run(self, fields, etx, ready_tx, sh))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Capture {
                engine,
                events: Events::new(erx),
                shared,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(Error::Libs("capture thread ended before opening".into()))
            }
        }
    }
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    finishing: AtomicBool,
    seen: AtomicU64,
    delivered: AtomicU64,
    consumer_drops: AtomicU64,
    filtered: AtomicU64,
    capture_cpu_ns: AtomicU64,
    corrupt_events: AtomicU64,
    /// The first [`MAX_EVENT_ERRORS`] corrupt events: number and defect.
    event_errors: Mutex<Vec<(u64, EventDefect)>>,
    driver: Mutex<(u64, u64, u64)>,
    outcome: Mutex<Option<Error>>,
}

/// What crosses the channel: a batch of raw events, decoded on the receiving side.
pub(crate) enum Chunk {
    /// Raw events from the capture thread.
    Raw(Batch),
    /// Owned events (unit tests feed a channel directly).
    #[cfg(test)]
    Owned(std::vec::IntoIter<Event>),
}

impl Chunk {
    fn take(&mut self) -> Option<Event> {
        match self {
            Chunk::Raw(b) => b.take(),
            #[cfg(test)]
            Chunk::Owned(it) => it.next(),
        }
    }
}

#[cfg(test)]
impl From<Vec<Event>> for Chunk {
    fn from(v: Vec<Event>) -> Self {
        Chunk::Owned(v.into_iter())
    }
}

/// The receiving end of a capture's events. Events cross the thread boundary in batches (one
/// channel operation per batch, not per event) of raw events; this decodes them into owned
/// [`Event`]s on the receiving thread and hands them out one at a time. Clones share the channel
/// (each batch goes to one of them) and keep their own current batch.
pub struct Events {
    rx: Receiver<Chunk>,
    local: RefCell<Option<Chunk>>,
}

impl Clone for Events {
    fn clone(&self) -> Self {
        Events::new(self.rx.clone())
    }
}

impl Events {
    pub(crate) fn new(rx: Receiver<Chunk>) -> Self {
        Events {
            rx,
            local: RefCell::new(None),
        }
    }

    /// The next event of the current chunk. A drained batch is freed here, on the receiving
    /// thread: handing it back to the capture thread for refilling was slower (its buffers, just
    /// read on this core, had to move back to the capture thread's core line by line as it wrote
    /// them: 255-260 against 220-225 ns/event in a replay) and a fresh allocation is one per 1024
    /// events.
    fn pending(&self) -> Option<Event> {
        let mut local = self.local.borrow_mut();
        let ev = local.as_mut()?.take();
        if ev.is_none() {
            *local = None;
        }
        ev
    }

    /// Keeps a received chunk and hands out its first event (a chunk with none: wait again).
    fn refill(&self, chunk: Chunk) -> Option<Event> {
        *self.local.borrow_mut() = Some(chunk);
        self.pending()
    }

    /// Blocks for the next event; `Err` once the capture has ended and every event was received.
    pub fn recv(&self) -> Result<Event, RecvError> {
        loop {
            if let Some(e) = self.pending() {
                return Ok(e);
            }
            if let Some(e) = self.refill(self.rx.recv()?) {
                return Ok(e);
            }
        }
    }

    /// Waits at most `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Event, RecvTimeoutError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.pending() {
                return Ok(e);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if let Some(e) = self.refill(self.rx.recv_timeout(left)?) {
                return Ok(e);
            }
        }
    }

    /// The next event if one is ready.
    pub fn try_recv(&self) -> Result<Event, TryRecvError> {
        loop {
            if let Some(e) = self.pending() {
                return Ok(e);
            }
            if let Some(e) = self.refill(self.rx.try_recv()?) {
                return Ok(e);
            }
        }
    }

    /// Every event until the capture ends (blocking).
    pub fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        std::iter::from_fn(move || self.recv().ok())
    }
}

/// A running capture. Dropping it stops the capture and detaches every BPF program.
pub struct Capture {
    engine: Engine,
    events: Events,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("engine", &self.engine)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Capture {
    /// A builder with the defaults (modern eBPF, default fields, no filter).
    pub fn builder() -> CaptureBuilder {
        CaptureBuilder::default()
    }

    /// The engine this capture reads from.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The receiving end of the event channel. It disconnects when the capture ends (end of
    /// file, stop, or error; see [`Capture::stop`] for the outcome).
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// Current counters.
    pub fn stats(&self) -> CaptureStats {
        let s = &self.shared;
        let (kernel_events, kernel_drops, kernel_drops_buffer) = *s.driver.lock().unwrap();
        CaptureStats {
            events_seen: s.seen.load(Ordering::Relaxed),
            events_delivered: s.delivered.load(Ordering::Relaxed),
            consumer_drops: s.consumer_drops.load(Ordering::Relaxed),
            events_filtered: s.filtered.load(Ordering::Relaxed),
            kernel_events,
            kernel_drops,
            kernel_drops_buffer,
            capture_cpu_ns: s.capture_cpu_ns.load(Ordering::Relaxed),
            corrupt_events: s.corrupt_events.load(Ordering::Relaxed),
        }
    }

    /// Errors of single events the capture went on past, as libsinsp does: each names the
    /// event's number and what was wrong ([`Error::CorruptEvent`]); the event itself was
    /// delivered cut to what its params account for. The first [`MAX_EVENT_ERRORS`] of them, in
    /// order ([`CaptureStats::corrupt_events`] counts them all); complete once the events have
    /// ended.
    pub fn event_errors(&self) -> Vec<Error> {
        self.shared
            .event_errors
            .lock()
            .unwrap()
            .iter()
            .map(|&(num, defect)| Error::CorruptEvent { num, defect })
            .collect()
    }

    /// Whether the capture thread has ended (end of file or error).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Stops the capture now, closes the engine (BPF programs detached, devices and files
    /// closed, the dump file flushed) and returns the final counters, or the error that ended
    /// the capture (e.g. [`Error::Truncated`]).
    pub fn stop(mut self) -> Result<CaptureStats> {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.join()
    }

    /// Waits until the source ends by itself (end of a capture file), then returns like
    /// [`Capture::stop`]. Events nobody receives while waiting count as consumer drops.
    pub fn finish(mut self) -> Result<CaptureStats> {
        self.shared.finishing.store(true, Ordering::SeqCst);
        self.join()
    }

    fn join(&mut self) -> Result<CaptureStats> {
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                return Err(Error::Libs("capture thread panicked".into()));
            }
        }
        match self.shared.outcome.lock().unwrap().take() {
            Some(e) => Err(e),
            None => Ok(self.stats()),
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// libpman (modern eBPF) and the drivers keep process-global state: one live capture at a time.
static LIVE_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Held by the capture thread of a live capture; releases the process-wide slot on drop.
pub(crate) struct LiveSlot;

impl LiveSlot {
    pub(crate) fn acquire(engine: &Engine) -> Result<Option<LiveSlot>> {
        if !engine.is_live() {
            return Ok(None);
        }
        if LIVE_ACTIVE
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return Err(Error::EngineUnavailable {
                engine: engine.name(),
                reason: "another live capture is open in this process (libs allows one)".into(),
            });
        }
        Ok(Some(LiveSlot))
    }
}

impl Drop for LiveSlot {
    fn drop(&mut self) {
        LIVE_ACTIVE.store(false, Ordering::SeqCst);
    }
}

/// Opens and starts an inspector as the capture `b` does, the shim extracting `shim_fields` (a
/// capture asks for [`crate::batch::shim_fields`] of its fields): the one open sequence, shared
/// by captures and the benchmarks' reference loops (which pass a default builder).
pub(crate) fn open_inspector(b: &CaptureBuilder, shim_fields: &[String]) -> Result<Inspector> {
    let mut insp = Inspector::new().map_err(|e| Error::Libs(e.message))?;
    insp.set_import_users(b.import_users);
    if let Some(f) = &b.filter {
        insp.set_filter(f).map_err(|e| Error::InvalidFilter {
            filter: f.clone(),
            message: e.message,
        })?;
    }
    insp.set_fields(shim_fields)
        .map_err(|e| field_error(shim_fields, e))?;
    if let (Some(names), false) = (&b.only_events, matches!(b.engine, Engine::Savefile(_))) {
        let unknown = insp
            .select_events(names)
            .map_err(|e| Error::Libs(e.message))?;
        if !unknown.is_empty() {
            tracing::debug!(?unknown, "event names no syscall or tracepoint produces");
        }
    }
    let opts = OpenOptions {
        buffer_size: b.buffer_size,
        all_syscalls: b.all_syscalls,
    };
    b.engine.open(&mut insp, &opts)?;
    if let Some(p) = &b.dump_to {
        insp.dump_open(p, b.compress_dump)
            .map_err(|e| Error::Dump {
                path: p.clone(),
                message: e.message,
            })?;
    }
    insp.start().map_err(|e| Error::Capture {
        engine: b.engine.name(),
        message: e.message,
    })?;
    Ok(insp)
}

/// A refused field list as an error naming the field, which the shim reports by its index.
fn field_error(fields: &[String], e: ShimError) -> Error {
    let field = e
        .item
        .and_then(|i| fields.get(i))
        .cloned()
        .unwrap_or_default();
    match e.kind {
        // SQ_E_FIELD, or a name that cannot be handed to the shim (a NUL byte: its index set)
        ShimErrorKind::Field => Error::InvalidField {
            field,
            message: e.message,
        },
        _ if e.item.is_some() => Error::InvalidField {
            field,
            message: e.message,
        },
        _ => Error::Libs(e.message),
    }
}

/// The corrupt events a capture keeps for [`Capture::event_errors`] (all are counted).
pub const MAX_EVENT_ERRORS: usize = 64;

/// Records a corrupt event the capture goes on past: kept (the first ones) and logged.
#[cold]
#[inline(never)]
fn record_defect(sh: &Shared, engine: &Engine, num: u64, defect: EventDefect) {
    let mut errors = sh.event_errors.lock().unwrap();
    if errors.len() < MAX_EVENT_ERRORS {
        errors.push((num, defect));
        tracing::warn!(engine = engine.name(), num, %defect, "corrupt event: delivered cut to its params");
    }
}

const STATS_EVERY: Duration = Duration::from_millis(100);

fn run(
    b: CaptureBuilder,
    fields: FieldNames,
    tx: Sender<Chunk>,
    ready: Sender<Result<()>>,
    sh: Arc<Shared>,
) {
    // Dropped last (after the inspector is closed), releasing the process-wide live slot.
    let _slot = match LiveSlot::acquire(&b.engine) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let mut insp = match open_inspector(&b, &crate::batch::shim_fields(&b.fields)) {
        Ok(i) => i,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let live = b.engine.is_live();
    let mut last_stats = Instant::now();
    let mut outcome: Option<Error> = None;
    let batch_size = b.channel_capacity.clamp(1, BATCH);
    let mut batch = Batch::with_capacity(fields, batch_size);
    let hand_over = HandOver::for_this_thread();
    let mut batch_started = Instant::now();

    let mut iteration = 0u64;
    let mut seen = 0u64;
    loop {
        if sh.stop.load(Ordering::Relaxed) {
            break;
        }
        // The clock is read every 64 iterations, not per event (it is on the hot path).
        iteration += 1;
        let tick = iteration % 64 == 0;
        if live && tick && last_stats.elapsed() >= STATS_EVERY {
            refresh_driver_stats(&mut insp, &sh);
            last_stats = Instant::now();
        }
        match insp.next() {
            Ok(Next::Event(ev)) => {
                if batch.is_empty() {
                    batch_started = Instant::now();
                }
                if let Some(defect) = ev.defect() {
                    record_defect(&sh, &b.engine, ev.num, defect);
                }
                batch.push(&ev);
            }
            Ok(Next::Timeout) => {
                // The source is idle: hand over what we have now.
                flush(&mut batch, hand_over, &tx, live, &sh, seen);
                continue;
            }
            Ok(Next::Filtered) => {
                sh.filtered.fetch_add(1, Ordering::Relaxed);
                // A busy source that the filter mostly rejects must not hold events back long.
                if tick && !batch.is_empty() && batch_started.elapsed() >= MAX_BATCH_DELAY {
                    flush(&mut batch, hand_over, &tx, live, &sh, seen);
                }
                continue;
            }
            Ok(Next::Eof) => break,
            Err(e) => {
                outcome = Some(read_error(&b.engine, e, seen));
                break;
            }
        }
        seen += 1;
        if tick {
            sh.seen.store(seen, Ordering::Relaxed);
        }
        if batch.len() >= batch_size || (tick && batch_started.elapsed() >= MAX_BATCH_DELAY) {
            flush(&mut batch, hand_over, &tx, live, &sh, seen);
        }
    }
    flush(&mut batch, hand_over, &tx, live, &sh, seen);
    if live {
        refresh_driver_stats(&mut insp, &sh);
    }
    let corrupt = insp.corrupt_events();
    if corrupt > 0 {
        tracing::warn!(
            engine = b.engine.name(),
            corrupt,
            "events whose header length disagrees with their params: delivered cut to their params"
        );
    }
    sh.corrupt_events.store(corrupt, Ordering::Relaxed);
    if let Err(e) = insp.dump_close() {
        if outcome.is_none() {
            outcome = Some(Error::Dump {
                path: b.dump_to.clone().unwrap_or_default(),
                message: e.message,
            });
        }
    }
    // Detach BPF programs / close devices before the channel disconnects, so a consumer that
    // sees the end of the stream can rely on the engine being closed.
    insp.close();
    drop(insp);
    sh.capture_cpu_ns.store(thread_cpu_ns(), Ordering::Relaxed);
    *sh.outcome.lock().unwrap() = outcome;
    drop(tx);
}

/// Events handed over per channel operation (at most), and how long the first of them may wait.
const BATCH: usize = 1024;
const MAX_BATCH_DELAY: Duration = Duration::from_millis(5);

/// How a full batch goes to the receiving thread.
#[derive(Clone, Copy, Debug, PartialEq)]
enum HandOver {
    /// A copy written past the caches ([`Batch::streamed_copy`]); the capture thread keeps its
    /// batch. For when the two threads run on different CPUs: stores into memory the other CPU
    /// has just read wait for it to give the cache lines up.
    StreamedCopy,
    /// The batch itself, replaced by a new one. For a capture thread confined to one CPU, where
    /// the receiving thread shares its cache and a copy past it only costs (both threads on one
    /// CPU, replay: capture thread 235 ns/event this way, 345 with streamed copies).
    Batch,
}

impl HandOver {
    /// The hand-over for the calling thread: a streamed copy when it may run on two CPUs or more.
    fn for_this_thread() -> HandOver {
        // SAFETY: cpu_set_t is plain data; sched_getaffinity gets its size and a valid pointer.
        let cpus = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
                libc::CPU_COUNT(&set) as usize
            } else {
                std::thread::available_parallelism().map_or(1, |n| n.get())
            }
        };
        if cpus >= 2 {
            HandOver::StreamedCopy
        } else {
            HandOver::Batch
        }
    }
}

/// Hands the batch over. Live: never blocks (a full channel drops the batch, counted per event
/// as consumer drops). Replay: waits for room, unless the capture is stopping or finishing with
/// nobody receiving.
fn flush(
    batch: &mut Batch,
    hand_over: HandOver,
    tx: &Sender<Chunk>,
    live: bool,
    sh: &Shared,
    seen: u64,
) {
    // the events-seen counter is published here (and every 64 events), not per event
    sh.seen.store(seen, Ordering::Relaxed);
    if batch.is_empty() {
        return;
    }
    sh.capture_cpu_ns.store(thread_cpu_ns(), Ordering::Relaxed);
    let n = batch.len() as u64;
    let full = match hand_over {
        HandOver::StreamedCopy => {
            let copy = batch.streamed_copy();
            batch.reset();
            Chunk::Raw(copy)
        }
        HandOver::Batch => {
            let next = batch.sibling();
            Chunk::Raw(std::mem::replace(batch, next))
        }
    };
    let delivered = if live {
        tx.try_send(full).is_ok()
    } else {
        let mut full = full;
        loop {
            match tx.send_timeout(full, Duration::from_millis(50)) {
                Ok(()) => break true,
                Err(SendTimeoutError::Timeout(b)) => {
                    if sh.stop.load(Ordering::Relaxed) || sh.finishing.load(Ordering::Relaxed) {
                        break false;
                    }
                    full = b;
                }
                Err(SendTimeoutError::Disconnected(_)) => break false,
            }
        }
    };
    if delivered {
        sh.delivered.fetch_add(n, Ordering::Relaxed);
    } else {
        sh.consumer_drops.fetch_add(n, Ordering::Relaxed);
    }
}

/// CPU time used so far by what `clock` measures (the calling thread, the process).
pub(crate) fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(clock, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// CPU time the calling thread has used, in ns.
fn thread_cpu_ns() -> u64 {
    cpu_time(libc::CLOCK_THREAD_CPUTIME_ID).as_nanos() as u64
}

fn refresh_driver_stats(insp: &mut Inspector, sh: &Shared) {
    sh.capture_cpu_ns.store(thread_cpu_ns(), Ordering::Relaxed);
    if let Ok(st) = insp.stats() {
        *sh.driver.lock().unwrap() = (st.events, st.drops, st.drops_buffer);
    }
}

fn read_error(engine: &Engine, e: ShimError, delivered: u64) -> Error {
    match engine {
        Engine::Savefile(p) if delivered > 0 => Error::Truncated {
            path: p.clone(),
            events_delivered: delivered,
            message: e.message,
        },
        Engine::Savefile(p) => Error::CorruptFile {
            path: p.clone(),
            message: e.message,
        },
        _ => Error::Capture {
            engine: engine.name(),
            message: e.message,
        },
    }
}
