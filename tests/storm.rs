//! Scenarios beside a syscall storm elsewhere on the machine: the suite asks the kernel only for
//! the syscalls its scenarios need (libs' ppm_sc selection, as Falco does), so a storm of other
//! syscalls never reaches the ring buffers and the scenarios pass; and even when every syscall is
//! asked for, a run that loses events says so (`lost`, with the drops) and is never a silent FAIL.
mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use sinspqa::suite::{run_scenarios, RunOptions, ScenarioResult, Status, Syscalls};
use sinspqa::Engine;

/// A `dd` copying one byte per read and write (two syscalls per byte, about a million a second
/// here), started so that it is not a descendant of this process (its parent shell exits at
/// once): the captures' own filter does not keep it, as a busy neighbour on a real machine.
/// Killed when dropped.
struct Storm(i32);

impl Storm {
    fn start() -> Storm {
        let out = Command::new("sh")
            .args([
                "-c",
                "dd if=/dev/zero of=/dev/null bs=1 count=100000000000 2>/dev/null & echo $!",
            ])
            .output()
            .expect("start dd");
        let pid: i32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("dd's pid");
        std::thread::sleep(Duration::from_millis(200));
        // SAFETY: signal 0 only checks that the process exists.
        assert_eq!(
            unsafe { libc::kill(pid, 0) },
            0,
            "the storm (dd) is not running"
        );
        Storm(pid)
    }
}

impl Storm {
    /// Read and write calls the storm has made (from /proc/PID/io).
    fn syscalls(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/io", self.0))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("syscr:") || l.starts_with("syscw:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    }
}

impl Drop for Storm {
    fn drop(&mut self) {
        // SAFETY: a plain kill of the pid this test started; init reaps it (its parent exited).
        unsafe { libc::kill(self.0, libc::SIGKILL) };
    }
}

/// Prints each result with its drops; returns the runs that failed (a FAIL, not `lost`).
fn report(label: &str, results: &[(ScenarioResult, ScenarioResult)]) -> Vec<String> {
    let mut failed = Vec::new();
    for (live, replay) in results {
        for r in [live, replay] {
            let d = r.drops.unwrap_or_default();
            eprintln!(
                "{label}: {} on {}: {} (drops kernel {}, consumer {}; {} events checked)",
                r.scenario,
                r.column,
                r.status.short(),
                d.kernel,
                d.consumer,
                r.events_checked
            );
            match &r.status {
                Status::Pass | Status::Differs(_) | Status::Lost(_) => {}
                other => failed.push(format!("{} on {}: {other:?}", r.scenario, r.column)),
            }
        }
    }
    failed
}

#[test]
fn scenarios_beside_a_syscall_storm_pass_or_say_they_lost_events() {
    let Some(_live) = common::live_or_skip("the storm test") else {
        return;
    };
    let scenarios = sinspqa::scenarios::of_area(sinspqa::scenarios::Area::Privileges);
    assert!(!scenarios.is_empty());
    // What this test relies on: these scenarios need neither read nor write, the storm's calls.
    let needed: BTreeSet<String> = scenarios
        .iter()
        .flat_map(|s| {
            s.steps
                .shape()
                .needed_event_types()
                .expect("every matcher pins its event type")
        })
        .collect();
    assert!(
        !needed.contains("read") && !needed.contains("write"),
        "the privileges scenarios now need read or write: pick others for this test ({needed:?})"
    );
    let storm = Storm::start();
    let opts = RunOptions::new(env!("CARGO_BIN_EXE_sinspqa"));

    // Selected syscalls (the suite's default): the storm never reaches the buffers.
    let (t, calls) = (Instant::now(), storm.syscalls());
    let selected = run_scenarios(&scenarios, &Engine::ModernBpf, &opts);
    let selected_secs = t.elapsed().as_secs_f64();
    let storm_calls = storm.syscalls() - calls;
    let failed = report("selected", &selected);
    assert!(
        failed.is_empty(),
        "beside a storm, with the scenarios' syscalls selected:\n{}",
        failed.join("\n")
    );
    let stats = selected[0].0.stats.expect("live stats");
    eprintln!(
        "selected: {} scenarios in {selected_secs:.1} s, beside {storm_calls} read and write calls of the storm; the kernel produced {} events, dropped {}",
        scenarios.len(),
        stats.kernel_events,
        stats.kernel_drops
    );
    // The storm ran (about a million calls a second here), and none of its calls became an
    // event: the kernel produced fewer events in all than 1% of the storm's calls.
    assert!(
        storm_calls > 100_000,
        "the storm made only {storm_calls} calls: it did not run"
    );
    assert!(
        stats.kernel_events * 100 < storm_calls,
        "with the scenarios' syscalls selected the kernel still produced {} events beside {storm_calls} storm calls: the selection did not keep the storm out",
        stats.kernel_events
    );
    // Every live and replayed run passed on what it needed: the storm was not selected.
    for (live, replay) in &selected {
        assert!(
            live.status.passed() && replay.status.passed(),
            "{} did not pass with its syscalls selected: live {:?}, replay {:?}",
            live.scenario,
            live.status,
            replay.status
        );
    }

    // Every syscall asked for: the storm floods the buffers; a run may lose events, and must
    // then say so rather than FAIL.
    let mut all = opts.clone();
    all.syscalls = Syscalls::All;
    let (t, calls) = (Instant::now(), storm.syscalls());
    let flooded = run_scenarios(&scenarios, &Engine::ModernBpf, &all);
    let flooded_secs = t.elapsed().as_secs_f64();
    let storm_calls = storm.syscalls() - calls;
    let failed = report("all syscalls", &flooded);
    let stats = flooded[0].0.stats.expect("live stats");
    eprintln!(
        "all syscalls: {} scenarios in {flooded_secs:.1} s, beside {storm_calls} storm calls; the kernel produced {} events, dropped {}; the capture filtered out {}, dropped {}",
        scenarios.len(),
        stats.kernel_events,
        stats.kernel_drops,
        stats.events_filtered,
        stats.consumer_drops
    );
    assert!(
        failed.is_empty(),
        "beside a storm, with every syscall asked for, a run failed rather than saying it lost events:\n{}",
        failed.join("\n")
    );
    drop(storm);
}
