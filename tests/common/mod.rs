//! Helpers shared by the integration tests.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sinspqa::{Capture, Engine, Event};

/// libs allows one live capture per process: live tests in one binary take turns.
static LIVE: Mutex<()> = Mutex::new(());

/// Returns a guard when live modern-eBPF capture can run here. Elsewhere the test prints why it
/// skips and returns None, except in CI (CI=true), where live tests must run: then it fails.
pub fn live_or_skip(test: &str) -> Option<MutexGuard<'static, ()>> {
    match Engine::ModernBpf.availability() {
        Ok(()) => Some(LIVE.lock().unwrap_or_else(|e| e.into_inner())),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("{test}: live modern eBPF must run in CI but cannot: {e}")
        }
        Err(e) => {
            eprintln!("skipped {test}: {e}");
            None
        }
    }
}

/// Receives events until `done` says so or `timeout` passes; returns every event received.
pub fn collect_until(
    cap: &Capture,
    timeout: Duration,
    mut done: impl FnMut(&[Event]) -> bool,
) -> Vec<Event> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    while Instant::now() < deadline {
        match cap.events().recv_timeout(Duration::from_millis(50)) {
            Ok(ev) => got.push(ev),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
        if done(&got) {
            break;
        }
    }
    got
}

/// Reads every event of a capture file.
pub fn replay(
    path: &Path,
    fields: &[&str],
) -> (Vec<Event>, sinspqa::Result<sinspqa::CaptureStats>) {
    let cap = Capture::builder()
        .engine(Engine::Savefile(path.to_path_buf()))
        .fields(fields.iter().copied())
        .open()
        .expect("open capture file");
    let evs: Vec<Event> = cap.events().iter().collect();
    (evs, cap.finish())
}

/// The reference captures shipped in the libs source.
pub fn libs_captures() -> Vec<PathBuf> {
    let dir = Path::new(sinspqa::LIBS_SOURCE_DIR).join("test/libsinsp_e2e/resources/captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scap"))
        .collect();
    v.sort();
    v
}

/// The reference capture of libs' own tests named `name` (e.g. `curl_google.scap`).
pub fn libs_capture(name: &str) -> PathBuf {
    libs_captures()
        .into_iter()
        .find(|p| p.file_name().is_some_and(|f| f == name))
        .unwrap_or_else(|| panic!("no {name} among libs' reference captures"))
}

/// Runs sinsp-example on a capture file with `-o FIELDS -j -a` and returns its JSON events.
pub fn sinsp_example_json(path: &Path, fields: &str) -> Vec<serde_json::Value> {
    let out = Command::new(sinspqa::SINSP_EXAMPLE)
        .args(["-s"])
        .arg(path)
        .args(["-o", fields, "-j", "-a"])
        .output()
        .expect("run sinsp-example");
    assert!(
        out.status.success(),
        "sinsp-example failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("bad JSON from sinsp-example {l:?}: {e}"))
        })
        .collect()
}

/// (evt.num, evt.type, thread.tid) of our events, as JSON values like sinsp-example prints them.
pub fn num_type_tid(evs: &[Event]) -> Vec<(u64, String, i64)> {
    evs.iter()
        .map(|e| (e.num, e.name.to_string(), e.tid))
        .collect()
}

/// The same triple from sinsp-example's JSON lines.
pub fn num_type_tid_json(v: &[serde_json::Value]) -> Vec<(u64, String, i64)> {
    v.iter()
        .map(|j| {
            (
                j["evt.num"].as_u64().expect("evt.num"),
                j["evt.type"].as_str().expect("evt.type").to_string(),
                j["thread.tid"].as_i64().expect("thread.tid"),
            )
        })
        .collect()
}

/// Index of the first difference of two sequences, for readable failures.
pub fn first_difference<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T]) -> Option<String> {
    let n = a.len().min(b.len());
    for i in 0..n {
        if a[i] != b[i] {
            return Some(format!("at {i}: ours {:?} vs reference {:?}", a[i], b[i]));
        }
    }
    (a.len() != b.len())
        .then(|| format!("lengths differ: ours {} vs reference {}", a.len(), b.len()))
}

/// Runs every scenario of `area` live on modern eBPF and on the replay of its own recording;
/// each must pass on both (every event also validated against the schema). Prints one line per
/// run and the area's total time; fails listing every scenario that failed. Skips (or fails in
/// CI) like [`live_or_skip`].
pub fn qa_area(area: sinspqa::scenarios::Area) {
    let test = format!("every {} scenario", area.name());
    let Some(_live) = live_or_skip(&test) else {
        return;
    };
    let mut scenarios = sinspqa::scenarios::of_area(area);
    assert!(!scenarios.is_empty(), "no scenario in area {area:?}");
    // SINSPQA_ONLY=a,b runs only those scenarios (while writing one).
    if let Ok(only) = std::env::var("SINSPQA_ONLY") {
        let only: Vec<&str> = only.split(',').collect();
        scenarios.retain(|s| only.contains(&s.name));
        if scenarios.is_empty() {
            eprintln!("skipped {test}: none of SINSPQA_ONLY={only:?} is in this area");
            return;
        }
    }
    let opts = sinspqa::suite::RunOptions::new(env!("CARGO_BIN_EXE_sinspqa"));
    let start = Instant::now();
    let mut failed = Vec::new();
    let results = sinspqa::suite::run_scenarios(&scenarios, &Engine::ModernBpf, &opts);
    for (live, replay) in &results {
        for r in [live, replay] {
            eprintln!(
                "{} on {}: {} ({} events checked, {} validated, {:.1} s)",
                r.scenario,
                r.column,
                r.status.short(),
                r.events_checked,
                r.events_validated,
                r.seconds
            );
            match &r.status {
                // The replay validates every event of the recording against the schema.
                // A pass owing to a known driver difference (known.rs) is a pass: the detail
                // was printed above with the status.
                sinspqa::suite::Status::Pass | sinspqa::suite::Status::Differs(_)
                    if r.events_checked > 0 && (r.events_validated > 0 || !r.column.replay) => {}
                sinspqa::suite::Status::Fail(why) => {
                    failed.push(format!("{} on {}:\n{why}", r.scenario, r.column))
                }
                other => failed.push(format!("{} on {}: {other:?}", r.scenario, r.column)),
            }
        }
    }
    eprintln!(
        "{}: {} scenarios live + replay in {:.1} s",
        area.name(),
        scenarios.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        failed.is_empty(),
        "{} of {} runs failed:\n\n{}",
        failed.len(),
        2 * scenarios.len(),
        failed.join("\n\n")
    );
}

/// A file of `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The build cache the project's scripts and `sinsp-sys` use: `$SINSPQA_CACHE`, else
/// `~/.cache/sinspqa`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("SINSPQA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/sinspqa")
        })
}
