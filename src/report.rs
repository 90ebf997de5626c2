//! The main job's output: a scenario × engine matrix on the terminal, JUnit XML and a JSON report.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use crate::column::Column;
use crate::suite::{ScenarioResult, Status};

/// Every result of a run, in the order they were produced.
#[derive(Debug, Default, Serialize)]
pub struct RunReport {
    /// Machine facts.
    pub kernel: String,
    /// libs version ("0.20.0", "0.25.4", "master", "custom").
    pub libs_version: String,
    /// Its upstream commit (empty when unknown).
    pub libs_commit: String,
    /// Where its source came from (debian, tarball, submodule, checkout).
    pub libs_origin: String,
    /// The guest kernels asked for, each with the exact ABI it resolved to.
    pub guests: Vec<GuestKernel>,
    /// The results.
    pub results: Vec<ScenarioResult>,
    /// What the scenarios of the run assert of this libs' event table.
    pub coverage: Option<crate::coverage::Coverage>,
}

/// A guest kernel of the run: as asked for (a suite alias such as `bookworm`, or an ABI) and the
/// exact ABI that named when the run prepared it (aliases follow Debian's point releases).
#[derive(Debug, Clone, Serialize)]
pub struct GuestKernel {
    /// As given to `--kernels`.
    pub requested: String,
    /// The ABI it resolved to, e.g. `6.1.0-57-amd64`; `None` when preparing it failed.
    pub abi: Option<String>,
}

impl RunReport {
    /// Adds a result, classifying known driver incompatibilities.
    pub fn push(&mut self, r: ScenarioResult) {
        self.results.push(crate::known::classify(r));
    }

    /// Counts (passed, failed, skipped, known failures).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for r in &self.results {
            match r.status {
                Status::Pass | Status::Differs(_) => c.0 += 1,
                Status::Fail(_) => c.1 += 1,
                Status::Skipped(_) => c.2 += 1,
                Status::KnownFailure(_) | Status::Lost(_) => c.3 += 1,
            }
        }
        c
    }

    /// Distinct event types asserted by scenarios that ran.
    pub fn asserted_event_types(&self) -> BTreeSet<String> {
        self.results
            .iter()
            .filter(|r| !matches!(r.status, Status::Skipped(_)))
            .flat_map(|r| r.event_types.iter().cloned())
            .collect()
    }

    /// The terminal matrix: one row per scenario, one column per engine (and its replay), then
    /// the reason of every skipped column and the detail of every failure.
    pub fn matrix(&self) -> String {
        let mut cols: Vec<&Column> = Vec::new();
        let mut rows: Vec<&str> = Vec::new();
        let mut cell: BTreeMap<(&str, &Column), &ScenarioResult> = BTreeMap::new();
        for r in &self.results {
            if !cols.contains(&&r.column) {
                cols.push(&r.column);
            }
            if !rows.contains(&r.scenario.as_str()) {
                rows.push(&r.scenario);
            }
            cell.insert((r.scenario.as_str(), &r.column), r);
        }
        let w0 = rows.iter().map(|r| r.len()).max().unwrap_or(8).max(8);
        let mut out = String::new();
        let commit = self.libs_commit.get(..12).unwrap_or(&self.libs_commit);
        let _ = writeln!(
            out,
            "libs {} ({} {commit}), host kernel {}",
            self.libs_version, self.libs_origin, self.kernel
        );
        let _ = write!(out, "{:<w0$}", "scenario");
        let names: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
        for c in &names {
            let _ = write!(out, "  {:>w$}", c, w = c.len().max(4));
        }
        out.push('\n');
        for row in &rows {
            let _ = write!(out, "{row:<w0$}");
            for (c, name) in cols.iter().zip(&names) {
                let s = cell
                    .get(&(*row, *c))
                    .map(|r| r.status.short())
                    .unwrap_or("-");
                let _ = write!(out, "  {:>w$}", s, w = name.len().max(4));
            }
            out.push('\n');
        }
        let mut skipped_cols = BTreeMap::new();
        for r in &self.results {
            if let Status::Skipped(why) = &r.status {
                skipped_cols.entry(&r.column).or_insert(why.as_str());
            }
        }
        for (c, why) in skipped_cols {
            let _ = writeln!(out, "skipped {c}: {why}");
        }
        let mut known_cols = BTreeMap::new();
        for r in &self.results {
            if let Status::KnownFailure(why) = &r.status {
                known_cols.entry(&r.column).or_insert(why.as_str());
            }
        }
        for (c, why) in known_cols {
            let _ = writeln!(out, "xfail {c} (known driver incompatibility): {why}");
        }
        for r in &self.results {
            if let Status::Lost(why) = &r.status {
                let _ = writeln!(out, "lost {} on {}: {why}", r.scenario, r.column);
            }
        }
        // A pass that needed a known driver difference: each difference once per column.
        let mut diffs: BTreeMap<&Column, BTreeSet<String>> = BTreeMap::new();
        for r in &self.results {
            if let Status::Differs(what) = &r.status {
                let set = diffs.entry(&r.column).or_default();
                for l in what.lines() {
                    set.insert(format!("{}: {l}", r.scenario));
                }
            }
        }
        for (c, what) in diffs {
            let _ = writeln!(out, "pass* {c} (passed with known driver differences):");
            for w in what {
                let _ = writeln!(out, "  {w}");
            }
        }
        // Failures, each detail once per column: a driver the kernel refuses fails every
        // scenario of its column with the same words.
        let mut fails: Vec<(&Column, &str, Vec<&str>)> = Vec::new();
        for r in &self.results {
            if let Status::Fail(why) = &r.status {
                let why = why.trim_end();
                match fails
                    .iter_mut()
                    .find(|(c, w, _)| **c == r.column && *w == why)
                {
                    Some((_, _, names)) => names.push(&r.scenario),
                    None => fails.push((&r.column, why, vec![&r.scenario])),
                }
            }
        }
        for (col, why, names) in fails {
            let _ = writeln!(out, "\nFAIL {} on {col}:\n{why}", names.join(", "));
        }
        if !self.guests.is_empty() {
            let g: Vec<String> = self
                .guests
                .iter()
                .map(|g| match &g.abi {
                    Some(abi) if *abi != g.requested => format!("{} = {abi}", g.requested),
                    Some(abi) => abi.clone(),
                    None => format!("{} (not prepared)", g.requested),
                })
                .collect();
            let _ = writeln!(out, "\nguest kernels: {}", g.join(", "));
        }
        let (p, f, s, x) = self.counts();
        let types = self.asserted_event_types();
        let _ = writeln!(
            out,
            "\n{} distinct event types asserted: {}",
            types.len(),
            types.into_iter().collect::<Vec<_>>().join(" ")
        );
        let _ = writeln!(
            out,
            "{p} passed, {f} failed, {s} skipped, {x} known failures"
        );
        out
    }

    /// Writes `report.json` and `junit.xml` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(self)?)?;
        // every suite and class names the libs version, so reports of several versions merge
        let libs = format!("libs-{}", self.libs_version);
        let mut report = Report::new(format!("sinspqa {libs}"));
        let mut suites: BTreeMap<&Column, TestSuite> = BTreeMap::new();
        for r in &self.results {
            let suite = suites
                .entry(&r.column)
                .or_insert_with(|| TestSuite::new(format!("{libs}/{}", r.column)));
            let status = match &r.status {
                Status::Pass => TestCaseStatus::success(),
                Status::Differs(_) => TestCaseStatus::success(),
                Status::Fail(why) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(why.lines().next().unwrap_or("failed").to_string());
                    s.set_description(why.clone());
                    s
                }
                Status::Skipped(why) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(why.clone());
                    s
                }
                Status::KnownFailure(why) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!("known failure: {why}"));
                    s
                }
                Status::Lost(why) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!("events lost: {why}"));
                    s
                }
            };
            let mut tc = TestCase::new(r.scenario.clone(), status);
            tc.set_classname(format!("sinspqa.{libs}.{}", r.column));
            tc.set_time(std::time::Duration::from_secs_f64(r.seconds));
            suite.add_test_case(tc);
        }
        report.add_test_suites(suites.into_values());
        let xml = report.to_string().map_err(std::io::Error::other)?;
        std::fs::write(dir.join("junit.xml"), xml)
    }
}
