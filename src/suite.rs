//! Runs scenarios: live on an engine (recording a `.scap` on the way), then on the replay of
//! that recording, validating every event against the schema. Used by `sinspqa run` and by the
//! tests in `tests/`, so both run the very same checks.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::capture::{Capture, CaptureStats};
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
    /// A check failed (the detail explains it).
    Fail(String),
    /// Could not run here (the detail says why).
    Skipped(String),
    /// Failed in a way recorded in [`crate::known::KNOWN_ISSUES`] (the detail says why).
    KnownFailure(String),
}

impl Status {
    /// Short form for the matrix.
    pub fn short(&self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail(_) => "FAIL",
            Status::Skipped(_) => "skip",
            Status::KnownFailure(_) => "xfail",
        }
    }
}

/// The result of a scenario on one column of the matrix (an engine, or its replay).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub scenario: String,
    /// Column: the engine name, or `<engine>+replay`.
    pub column: String,
    /// Pass, fail or skipped.
    pub status: Status,
    /// Events consumed by the checks.
    pub events_checked: u64,
    /// Events validated against the schema.
    pub events_validated: u64,
    /// Distinct event types the scenario asserted.
    pub event_types: BTreeSet<String>,
    /// Capture counters (live runs).
    pub stats: Option<CaptureStats>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl ScenarioResult {
    fn new(s: &Scenario, column: &str) -> Self {
        ScenarioResult {
            scenario: s.name.to_string(),
            column: column.to_string(),
            status: Status::Skipped(String::new()),
            events_checked: 0,
            events_validated: 0,
            event_types: BTreeSet::new(),
            stats: None,
            seconds: 0.0,
        }
    }
    /// A skipped result with a reason.
    pub fn skipped(s: &Scenario, column: &str, why: &str) -> Self {
        let mut r = Self::new(s, column);
        r.status = Status::Skipped(why.to_string());
        r
    }
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
    /// Where to keep every recording, as `<scenario>.scap` (None: nowhere).
    pub record_to: Option<PathBuf>,
}

impl RunOptions {
    /// Defaults: 20 s per scenario, failures not kept.
    pub fn new(exe: impl Into<PathBuf>) -> Self {
        RunOptions {
            exe: exe.into(),
            timeout: Duration::from_secs(20),
            keep_failures: None,
            record_to: None,
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
    let col = engine.name();
    let rcol = format!("{col}+replay");
    if let Err(e) = engine.availability() {
        let why = e.to_string();
        return (
            ScenarioResult::skipped(s, col, &why),
            ScenarioResult::skipped(s, &rcol, &why),
        );
    }
    let dir = match tempfile::Builder::new().prefix("sinspqa-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            let why = format!("temp dir: {e}");
            let mut r = ScenarioResult::new(s, col);
            r.status = Status::Fail(why.clone());
            return (r, ScenarioResult::skipped(s, &rcol, "live run failed"));
        }
    };
    let scap = dir.path().join(format!("{}.scap", s.name));
    let validator = Validator::new();

    let (live, exp) = run_live(s, engine, opts, dir.path(), &scap, &validator);
    let replay = match exp {
        Some((exp, pid)) => run_replay(s, &rcol, &scap, &exp, pid, &validator),
        None => ScenarioResult::skipped(s, &rcol, "the live run produced no recording"),
    };
    if let Some(rec) = &opts.record_to {
        let _ = std::fs::create_dir_all(rec);
        if let Err(e) = std::fs::copy(&scap, rec.join(format!("{}.scap", s.name))) {
            let mut live = live;
            live.status = Status::Fail(format!(
                "cannot keep the recording in {}: {e}",
                rec.display()
            ));
            return (live, replay);
        }
    }
    if let Some(keep) = &opts.keep_failures {
        if matches!(live.status, Status::Fail(_)) || matches!(replay.status, Status::Fail(_)) {
            let _ = std::fs::create_dir_all(keep);
            let _ = std::fs::copy(&scap, keep.join(format!("{}-{col}.scap", s.name)));
        }
    }
    (live, replay)
}

fn run_live(
    s: &Scenario,
    engine: &Engine,
    opts: &RunOptions,
    dir: &Path,
    scap: &Path,
    validator: &Validator,
) -> (ScenarioResult, Option<(Expectation, u32)>) {
    let start = Instant::now();
    let mut r = ScenarioResult::new(s, engine.name());
    let fail = |mut r: ScenarioResult, msg: String| {
        r.status = Status::Fail(msg);
        r.seconds = start.elapsed().as_secs_f64();
        (r, None)
    };
    let work = dir.join("work");
    if let Err(e) = std::fs::create_dir_all(&work) {
        return fail(r, format!("work dir: {e}"));
    }
    let w = match Workload::spawn(&opts.exe, s.name, &work) {
        Ok(w) => w,
        Err(e) => return fail(r, e.to_string()),
    };
    let pid = w.pid();
    let cap = Capture::builder()
        .engine(engine.clone())
        .filter(scope_filter(pid))
        .fields(SCENARIO_FIELDS.iter().copied())
        .dump_to(scap)
        .compress_dump(true)
        .open();
    let cap = match cap {
        Ok(c) => c,
        Err(e) => return fail(r, format!("cannot open the capture: {}", e.report())),
    };
    let facts = match w.go(Duration::from_secs(30)) {
        Ok(f) => f,
        Err(e) => {
            let _ = cap.stop();
            return fail(r, e.to_string());
        }
    };
    let exp = match s.steps.expect(&facts, pid as i64) {
        Ok(e) => e,
        Err(e) => {
            let _ = cap.stop();
            return fail(r, format!("harness defect: {e}"));
        }
    };
    if let Err(e) = check_keys(&exp) {
        let _ = cap.stop();
        return fail(r, e);
    }
    r.event_types = exp.asserted_event_types();
    let mut schema_errors = Vec::new();
    let mut validated = 0u64;
    let outcome = exp.run(
        cap.events(),
        opts.timeout,
        Duration::from_millis(300),
        |ev| {
            validated += 1;
            if let Err(e) = validator.validate(ev) {
                if schema_errors.len() < 5 {
                    schema_errors.push(e);
                }
            }
        },
    );
    let stats = cap.stop();
    r.events_validated = validated;
    r.seconds = start.elapsed().as_secs_f64();
    let stats = match stats {
        Ok(st) => st,
        Err(e) => return fail(r, format!("capture ended with an error: {e}")),
    };
    r.stats = Some(stats);
    let mut problems = Vec::new();
    match &outcome {
        Ok(o) => r.events_checked = o.events_seen,
        Err(f) => problems.push(f.to_string()),
    }
    if !schema_errors.is_empty() {
        problems.push(format!(
            "schema violations:\n  {}",
            schema_errors.join("\n  ")
        ));
    }
    if stats.kernel_drops > 0 || stats.consumer_drops > 0 {
        // Drops can explain a missing event: say so next to the failure.
        if !problems.is_empty() {
            problems.push(format!(
                "note: drops during the run: kernel {}, consumer {}",
                stats.kernel_drops, stats.consumer_drops
            ));
        }
    }
    r.status = if problems.is_empty() {
        Status::Pass
    } else {
        Status::Fail(problems.join("\n"))
    };
    (r, Some((exp, pid)))
}

fn run_replay(
    s: &Scenario,
    col: &str,
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
    match exp.check_events(&evs) {
        Ok(o) => r.events_checked = o.events_seen,
        Err(f) => problems.push(f.to_string()),
    }
    r.seconds = start.elapsed().as_secs_f64();
    r.status = if problems.is_empty() {
        Status::Pass
    } else {
        Status::Fail(problems.join("\n"))
    };
    r
}
