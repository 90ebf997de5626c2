//! Runs scenarios: live on an engine (recording a `.scap` on the way), then on the replay of
//! that recording, validating every event against the schema. Used by `sinspqa run` and by the
//! tests in `tests/`, so both run the very same checks.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::capture::{Capture, CaptureStats};
use crate::column::Column;
use crate::engine::Engine;
use crate::event::Event;
use crate::expect::Expectation;
use crate::scenarios::{Scenario, SCENARIO_FIELDS};
use crate::schema::Validator;
use crate::workload::Workload;

/// Outcome of one scenario on one target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Status {
    /// Every check held and every event validated.
    Pass,
    /// Every check held, allowing a known driver difference on some params
    /// ([`crate::known::KNOWN_DIFFERENCES`]; the detail names each, with the value seen); every
    /// other param was asserted as written.
    Differs(String),
    /// A check failed (the detail explains it).
    Fail(String),
    /// Could not run here (the detail says why).
    Skipped(String),
    /// Failed in a way recorded in [`crate::known::KNOWN_ISSUES`] (the detail says why).
    KnownFailure(String),
    /// A check failed while the capture lost events: the live check, with kernel or consumer
    /// drops, when the replay of its recording passed (a slow consumer, not a driver fault); or
    /// both, when the kernel dropped events (the recording lacks them too, so no check can tell
    /// a driver fault from the drop). The detail says how many were lost and what was missed.
    Lost(String),
}

impl Status {
    /// Short form for the matrix.
    pub fn short(&self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Differs(_) => "pass*",
            Status::Fail(_) => "FAIL",
            Status::Skipped(_) => "skip",
            Status::KnownFailure(_) => "xfail",
            Status::Lost(_) => "lost",
        }
    }
    /// Passed, as written or with a known driver difference.
    pub fn passed(&self) -> bool {
        matches!(self, Status::Pass | Status::Differs(_))
    }
    /// Pass, or the differences a pass owed to known driver differences.
    fn of_outcome(o: &crate::expect::Outcome) -> Status {
        if o.differences.is_empty() {
            Status::Pass
        } else {
            Status::Differs(o.differences.join("\n"))
        }
    }
}

/// The result of a scenario on one column of the matrix (an engine, or its replay).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub scenario: String,
    /// Where it ran: the engine, live or replayed, and the kernel.
    pub column: Column,
    /// Pass, fail or skipped.
    pub status: Status,
    /// Events consumed by the checks.
    pub events_checked: u64,
    /// Events validated against the schema.
    pub events_validated: u64,
    /// Distinct event types the scenario asserted.
    pub event_types: BTreeSet<String>,
    /// Capture counters (live runs): the whole capture's, shared by the scenarios it ran.
    pub stats: Option<CaptureStats>,
    /// Events lost while this scenario ran live (its share of the capture's counters; None on
    /// replays). The driver's counters are refreshed about every 100 ms, so a kernel drop in a
    /// scenario's last moments may count to the next one.
    #[serde(default)]
    pub drops: Option<Drops>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl ScenarioResult {
    fn new(s: &Scenario, column: &Column) -> Self {
        ScenarioResult {
            scenario: s.name.to_string(),
            column: column.clone(),
            status: Status::Skipped(String::new()),
            events_checked: 0,
            events_validated: 0,
            event_types: BTreeSet::new(),
            stats: None,
            drops: None,
            seconds: 0.0,
        }
    }
    /// A skipped result with a reason.
    pub fn skipped(s: &Scenario, column: &Column, why: &str) -> Self {
        let mut r = Self::new(s, column);
        r.status = Status::Skipped(why.to_string());
        r
    }
}

/// Events lost while one scenario ran live: the capture's counters from its start to its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drops {
    /// Dropped by the driver (full ring buffers, faults).
    pub kernel: u64,
    /// Dropped by the capture because the consumer was slow.
    pub consumer: u64,
}

impl Drops {
    fn between(before: &CaptureStats, after: &CaptureStats) -> Self {
        Drops {
            kernel: after.kernel_drops.saturating_sub(before.kernel_drops),
            consumer: after.consumer_drops.saturating_sub(before.consumer_drops),
        }
    }
    /// Whether anything was lost.
    pub fn any(&self) -> bool {
        self.kernel > 0 || self.consumer > 0
    }
}

/// Which syscalls a live capture asks the kernel for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syscalls {
    /// Only those producing the events the scenarios match (absence checks included), plus
    /// libsinsp's state set: a storm of other syscalls elsewhere on the machine never reaches
    /// the ring buffers (as Falco selects its rules' syscalls).
    #[default]
    Scenarios,
    /// Every syscall and tracepoint libs knows (page faults and sched_switch excepted).
    All,
}

/// How scenarios run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The `sinspqa` binary, whose `workload` subcommand runs the workloads.
    pub exe: PathBuf,
    /// How long the matchers may wait for their events.
    pub timeout: Duration,
    /// Where to keep the `.scap` of a failing scenario (None: nowhere).
    pub keep_failures: Option<PathBuf>,
    /// Where to keep every recording, as `<scenario>-<engine>.scap` (None: nowhere).
    pub record_to: Option<PathBuf>,
    /// Which syscalls the live capture asks the kernel for (default: the scenarios').
    pub syscalls: Syscalls,
}

impl RunOptions {
    /// Defaults: 20 s per scenario, failures not kept.
    pub fn new(exe: impl Into<PathBuf>) -> Self {
        RunOptions {
            exe: exe.into(),
            timeout: Duration::from_secs(20),
            keep_failures: None,
            record_to: None,
            syscalls: Syscalls::default(),
        }
    }
}

/// The filter that scopes a scenario's capture to its workload's process tree.
pub fn scope_filter(pid: u32) -> String {
    format!("proc.pid={pid} or proc.apid={pid}")
}

/// Checks that every key the expectation reads is one the capture extracts.
fn check_keys(exp: &Expectation) -> Result<(), String> {
    for k in exp.keys() {
        if !(k.starts_with("param.")
            || crate::expect::HEADER_KEYS.contains(&k.as_str())
            || SCENARIO_FIELDS.contains(&k.as_str()))
        {
            return Err(format!(
                "harness defect: matcher key {k:?} is not in SCENARIO_FIELDS"
            ));
        }
    }
    Ok(())
}

/// Runs `s` live on `engine`, then on the replay of what it recorded. Returns (live, replay).
pub fn run_scenario(
    s: &Scenario,
    engine: &Engine,
    opts: &RunOptions,
) -> (ScenarioResult, ScenarioResult) {
    run_scenarios(&[s], engine, opts)
        .pop()
        .expect("one result per scenario")
}

/// Runs `scenarios` live on `engine` through one capture (opening a live engine costs more than
/// most scenarios: ~1.5 s for modern eBPF here), one after the other, each checked on the
/// events of its own workload's process tree; then each on the replay of the recording, scoped
/// to its workload. Returns (live, replay) per scenario, in order.
pub fn run_scenarios(
    scenarios: &[&Scenario],
    engine: &Engine,
    opts: &RunOptions,
) -> Vec<(ScenarioResult, ScenarioResult)> {
    let col = &Column::live(engine.kind().expect("the suite runs on live engines"));
    let rcol = col.replayed();
    let all = |f: &dyn Fn(&Scenario) -> (ScenarioResult, ScenarioResult)| {
        scenarios.iter().map(|s| f(s)).collect::<Vec<_>>()
    };
    if let Err(e) = engine.availability() {
        let why = e.to_string();
        return all(&|s| {
            (
                ScenarioResult::skipped(s, col, &why),
                ScenarioResult::skipped(s, &rcol, &why),
            )
        });
    }
    let failed_all = |why: String| {
        all(&|s| {
            let mut r = ScenarioResult::new(s, col);
            r.status = Status::Fail(why.clone());
            (r, ScenarioResult::skipped(s, &rcol, "live run failed"))
        })
    };
    let dir = match tempfile::Builder::new().prefix("sinspqa-").tempdir() {
        Ok(d) => d,
        Err(e) => return failed_all(format!("temp dir: {e}")),
    };
    let group = match scenarios {
        [one] => one.name.to_string(),
        _ => "group".to_string(),
    };
    let scap = dir.path().join(format!("{group}.scap"));
    let validator = Validator::new();

    // The harness's own descendants: every workload and its children.
    let mut builder = Capture::builder()
        .engine(engine.clone())
        .filter(format!("proc.apid={}", std::process::id()))
        .fields(SCENARIO_FIELDS.iter().copied())
        .dump_to(&scap)
        .compress_dump(true);
    let selection = match opts.syscalls {
        Syscalls::Scenarios => selection(scenarios),
        Syscalls::All => None,
    };
    if let Some(names) = &selection {
        builder = builder.only_events(names.iter().cloned());
    }
    let cap = builder.open();
    let cap = match cap {
        Ok(c) => c,
        Err(e) => return failed_all(format!("cannot open the capture: {}", e.report())),
    };
    let mut lives = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        let work = dir.path().join(format!("work-{i}"));
        let before = cap.stats();
        let (mut live, exp) = run_live(s, engine, opts, &work, &cap, selection.as_ref());
        live.drops = Some(Drops::between(&before, &cap.stats()));
        lives.push((live, exp));
    }
    let stats = cap.stop();
    let mut out = Vec::new();
    for (s, (mut live, exp)) in scenarios.iter().zip(lives) {
        match &stats {
            Ok(st) => {
                live.stats = Some(*st);
                if (st.kernel_drops > 0 || st.consumer_drops > 0)
                    && matches!(live.status, Status::Fail(_))
                {
                    // Drops can explain a missing event: say so next to the failure.
                    if let Status::Fail(why) = &mut live.status {
                        why.push_str(&format!(
                            "\nnote: drops during the capture: kernel {}, consumer {}",
                            st.kernel_drops, st.consumer_drops
                        ));
                    }
                }
            }
            Err(e) => {
                live.status = Status::Fail(format!("capture ended with an error: {e}"));
            }
        }
        let mut replay = match (&exp, &stats) {
            (Some((exp, pid)), Ok(_)) => run_replay(s, &rcol, &scap, exp, *pid, &validator),
            _ => ScenarioResult::skipped(s, &rcol, "the live run produced no recording"),
        };
        if let (Status::Fail(why), Ok(st)) = (&live.status, &stats) {
            if replay.status.passed() && (st.kernel_drops > 0 || st.consumer_drops > 0) {
                live.status = Status::Lost(format!(
                    "the capture lost events (kernel {}, consumer {}) and the live check missed: {}; the replay of the recording passed",
                    st.kernel_drops,
                    st.consumer_drops,
                    why.lines().find(|l| l.contains('✗')).unwrap_or("").trim()
                ));
            } else if st.kernel_drops > 0 && matches!(replay.status, Status::Fail(_)) {
                // The kernel dropped events: the recording lacks them too, so neither check
                // can tell a driver fault from the drop. Said as such, never a silent FAIL.
                let missed = why.lines().find(|l| l.contains('✗')).unwrap_or("").trim();
                let lost = format!(
                    "the kernel dropped {} events during the capture (consumer {}); the recording lacks them too, so this cannot tell a driver fault from the drop; the live check missed: {missed}",
                    st.kernel_drops, st.consumer_drops
                );
                replay.status = Status::Lost(lost.clone());
                live.status = Status::Lost(lost);
            }
        }
        if let Some(rec) = &opts.record_to {
            let _ = std::fs::create_dir_all(rec);
            if let Err(e) = std::fs::copy(&scap, rec.join(format!("{}-{col}.scap", s.name))) {
                live.status = Status::Fail(format!(
                    "cannot keep the recording in {}: {e}",
                    rec.display()
                ));
            }
        }
        if let Some(keep) = &opts.keep_failures {
            if matches!(live.status, Status::Fail(_)) || matches!(replay.status, Status::Fail(_)) {
                let _ = std::fs::create_dir_all(keep);
                let _ = std::fs::copy(&scap, keep.join(format!("{}-{col}.scap", s.name)));
            }
        }
        out.push((live, replay));
    }
    out
}

/// The process tree of one workload, grown from the events as they come: an event belongs to
/// it when its process or its parent does.
struct Tree(BTreeSet<i64>);

impl Tree {
    fn contains(&mut self, ev: &Event) -> bool {
        let (Some(pid), ppid) = (ev.field_i64("proc.pid"), ev.field_i64("proc.ppid")) else {
            return false;
        };
        if self.0.contains(&pid) {
            return true;
        }
        if ppid.is_some_and(|p| self.0.contains(&p)) {
            self.0.insert(pid);
            return true;
        }
        false
    }
}

/// The event types the scenarios' expectations need (from their shapes), or None when one of
/// them needs any event (then the capture asks for every syscall).
fn selection(scenarios: &[&Scenario]) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for s in scenarios {
        out.extend(s.steps.shape().needed_event_types()?);
    }
    Some(out)
}

fn run_live(
    s: &Scenario,
    engine: &Engine,
    opts: &RunOptions,
    work: &Path,
    cap: &Capture,
    selected: Option<&BTreeSet<String>>,
) -> (ScenarioResult, Option<(Expectation, u32)>) {
    let start = Instant::now();
    let col = Column::live(engine.kind().expect("the suite runs on live engines"));
    let mut r = ScenarioResult::new(s, &col);
    let fail = |mut r: ScenarioResult, msg: String| {
        r.status = Status::Fail(msg);
        r.seconds = start.elapsed().as_secs_f64();
        (r, None)
    };
    if let Err(e) = std::fs::create_dir_all(work) {
        return fail(r, format!("work dir: {e}"));
    }
    let w = match Workload::spawn(&opts.exe, s.name, work) {
        Ok(w) => w,
        Err(e) => return fail(r, e.to_string()),
    };
    let pid = w.pid();
    let facts = match w.go(Duration::from_secs(30)) {
        Ok(f) => f,
        Err(e) => return fail(r, e.to_string()),
    };
    let mut exp = match s.steps.expect(&facts, pid as i64) {
        Ok(e) => e,
        Err(e) => return fail(r, format!("harness defect: {e}")),
    };
    // Where this engine's driver is known to report a param differently, the expectation
    // accepts it and says so (the replay of the recording keeps the same allowance).
    crate::known::allow_differences(&mut exp, &col);
    if let Err(e) = check_keys(&exp) {
        return fail(r, e);
    }
    // The capture asked the kernel for the event types of the expectation's shape; the facts
    // must not have made it need others (an absence check on an unselected type would hold
    // vacuously).
    if let Some(sel) = selected {
        let missing: Vec<String> = match exp.needed_event_types() {
            Some(need) => need.difference(sel).cloned().collect(),
            None => vec!["(a matcher that pins no event type)".into()],
        };
        if !missing.is_empty() {
            return fail(
                r,
                format!(
                    "harness defect: the expectation needs event types its shape did not name, so the capture did not ask the kernel for them: {}",
                    missing.join(", ")
                ),
            );
        }
    }
    r.event_types = exp.asserted_event_types();
    // Every event is validated against the schema on the replay of the recording, which holds
    // the same events: the live consumer only checks, so it keeps up on a slow guest.
    let mut tree = Tree(BTreeSet::from([pid as i64]));
    // Events that must not appear can only be missed by stopping early: wait a little after
    // the positive checks hold only when the expectation has such checks.
    let settle = if exp.has_absence_checks() {
        Duration::from_millis(300)
    } else {
        Duration::ZERO
    };
    let outcome = exp.run_filtered(
        cap.events(),
        opts.timeout,
        settle,
        |ev| tree.contains(ev),
        |_| {},
    );
    r.seconds = start.elapsed().as_secs_f64();
    r.status = match &outcome {
        Ok(o) => {
            r.events_checked = o.events_seen;
            Status::of_outcome(o)
        }
        Err(f) => Status::Fail(f.to_string()),
    };
    (r, Some((exp, pid)))
}

fn run_replay(
    s: &Scenario,
    col: &Column,
    scap: &Path,
    exp: &Expectation,
    pid: u32,
    validator: &Validator,
) -> ScenarioResult {
    let start = Instant::now();
    let mut r = ScenarioResult::new(s, col);
    r.event_types = exp.asserted_event_types();
    let cap = Capture::builder()
        .engine(Engine::Savefile(scap.to_path_buf()))
        .filter(scope_filter(pid))
        .fields(SCENARIO_FIELDS.iter().copied())
        .open();
    let cap = match cap {
        Ok(c) => c,
        Err(e) => {
            r.status = Status::Fail(format!("cannot replay {}: {e}", scap.display()));
            return r;
        }
    };
    let evs: Vec<Event> = cap.events().iter().collect();
    let end = cap.finish();
    let mut problems = Vec::new();
    if let Err(e) = end {
        problems.push(format!("replay ended with an error: {e}"));
    }
    let errs: Vec<String> = evs
        .iter()
        .filter_map(|e| validator.validate(e).err())
        .take(5)
        .collect();
    r.events_validated = evs.len() as u64;
    if !errs.is_empty() {
        problems.push(format!("schema violations:\n  {}", errs.join("\n  ")));
    }
    let mut status = Status::Pass;
    match exp.check_events(&evs) {
        Ok(o) => {
            r.events_checked = o.events_seen;
            status = Status::of_outcome(&o);
        }
        Err(f) => problems.push(f.to_string()),
    }
    r.seconds = start.elapsed().as_secs_f64();
    r.status = if problems.is_empty() {
        status
    } else {
        Status::Fail(problems.join("\n"))
    };
    r
}
