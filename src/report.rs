//! The main job's output: a scenario × engine matrix on the terminal, JUnit XML and a JSON report.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::{Deserialize, Serialize};

use crate::column::Column;
use crate::suite::{ScenarioResult, Status};

/// Every result of a run, in the order they were produced.
#[derive(Debug, Default, Serialize, Deserialize)]
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
    /// Wall-clock time of each unit of the run (an engine's captures on this machine; a guest
    /// kernel: its drivers, boot and every engine in it), in the order they ran.
    #[serde(default)]
    pub timings: Vec<Timing>,
    /// Wall-clock seconds of the whole run (merged shards: the longest shard's, as they run
    /// side by side).
    #[serde(default)]
    pub seconds: f64,
    /// What the scenarios of the run assert of this libs' event table (not read back: a merge
    /// computes it again).
    #[serde(skip_deserializing)]
    pub coverage: Option<crate::coverage::Coverage>,
}

/// The wall-clock time of one unit of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// What ran: `modern_bpf on this machine`, `guest 6.1.0-57-amd64`.
    pub unit: String,
    /// Seconds, from its start (drivers, boot, capture open) to its last result.
    pub seconds: f64,
}

/// A guest kernel of the run: as asked for (a suite alias such as `bookworm`, or an ABI) and the
/// exact ABI that named when the run prepared it (aliases follow Debian's point releases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        let (rows, cols) = self.layout();
        let mut cell: BTreeMap<(&str, &Column), &ScenarioResult> = BTreeMap::new();
        for r in &self.results {
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
        // Every live run that lost events, whatever its outcome: a pass with drops passed on
        // what it needed; a failure with drops is judged above.
        for r in &self.results {
            if let Some(d) = r.drops.filter(|d| d.any()) {
                let _ = writeln!(
                    out,
                    "drops {} on {}: kernel {}, consumer {} ({})",
                    r.scenario,
                    r.column,
                    d.kernel,
                    d.consumer,
                    r.status.short()
                );
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

    /// The rows (scenarios, in the registry's order) and columns (this machine's first, then
    /// each guest kernel's; per kernel, the engines in the matrix's order, each live then
    /// replayed): the same whatever order the results came in (a run, or merged shards).
    fn layout(&self) -> (Vec<&str>, Vec<&Column>) {
        let order: Vec<&str> = crate::scenarios::all().iter().map(|s| s.name).collect();
        let mut rows: Vec<&str> = Vec::new();
        let mut cols: Vec<&Column> = Vec::new();
        for r in &self.results {
            if !rows.contains(&r.scenario.as_str()) {
                rows.push(&r.scenario);
            }
            if !cols.contains(&&r.column) {
                cols.push(&r.column);
            }
        }
        rows.sort_by_key(|r| (order.iter().position(|o| o == r).unwrap_or(usize::MAX), *r));
        cols.sort_by_key(|c| (c.kernel.clone(), c.engine, c.replay));
        (rows, cols)
    }

    /// Per column (a cell of kernel-testing's matrix: libs version, kernel, engine, live or
    /// replayed), its steps: the driver built and the guest booted, the engine opened (driver
    /// loaded), the scenarios; each 🟢 / ❌ / 🟡 with the reason, and the time the column took.
    pub fn cells(&self) -> Vec<Cell> {
        let (_, cols) = self.layout();
        cols.into_iter()
            .map(|c| {
                let rs: Vec<&ScenarioResult> =
                    self.results.iter().filter(|r| r.column == *c).collect();
                Cell::of(c, &rs)
            })
            .collect()
    }

    /// The report as Markdown (`report.md`): the steps of every cell, then the scenario
    /// matrix, then the reason of everything not green; short enough to post on a pull request.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let commit = self.libs_commit.get(..12).unwrap_or(&self.libs_commit);
        let _ = writeln!(
            out,
            "## sinspqa: libs {} ({} {commit}), host kernel {}\n",
            self.libs_version, self.libs_origin, self.kernel
        );
        let (p, f, s, x) = self.counts();
        let _ = writeln!(
            out,
            "{p} passed, {f} failed, {s} skipped, {x} known failures\n"
        );
        let _ = writeln!(
            out,
            "| cell | driver & guest | engine | scenarios | time in its checks |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        for c in self.cells() {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {:.1} s |",
                c.column,
                c.build.md(),
                c.open.md(),
                c.scenarios.md(),
                c.seconds
            );
        }
        if !self.timings.is_empty() {
            let _ = writeln!(out, "\n| wall clock | time |\n|---|---|");
            for t in &self.timings {
                let _ = writeln!(out, "| {} | {:.0} s |", t.unit, t.seconds);
            }
            let _ = writeln!(out, "| **total** | {:.0} s |", self.seconds);
        }
        let (rows, cols) = self.layout();
        let _ = write!(out, "\n| scenario |");
        for c in &cols {
            let _ = write!(out, " `{c}` |");
        }
        let _ = write!(out, "\n|---|");
        for _ in &cols {
            out.push_str("---|");
        }
        out.push('\n');
        for row in rows {
            let _ = write!(out, "| {row} |");
            for c in &cols {
                let mark = self
                    .results
                    .iter()
                    .find(|r| r.scenario == row && r.column == **c)
                    .map(|r| Step::of_status(&r.status).mark())
                    .unwrap_or("");
                let _ = write!(out, " {mark} |");
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "\n🟢 pass (🟢\\* with a known driver difference) · ❌ fail · 🟡 known failure, lost events or skipped"
        );
        out
    }

    /// Writes `report.json`, `junit.xml` and `report.md` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
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

/// A step of a cell, kernel-testing style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Done (a note, maybe empty).
    Ok(String),
    /// Done, with a known driver difference (the reason).
    OkWith(String),
    /// Failed (the reason).
    Failed(String),
    /// Not done, or failed in a known way (the reason).
    Other(String),
}

impl Step {
    fn of_status(s: &Status) -> Step {
        match s {
            Status::Pass => Step::Ok(String::new()),
            Status::Differs(w) => Step::OkWith(w.clone()),
            Status::Fail(w) => Step::Failed(w.clone()),
            Status::Skipped(w) | Status::KnownFailure(w) | Status::Lost(w) => {
                Step::Other(w.clone())
            }
        }
    }
    /// 🟢, 🟢*, ❌ or 🟡.
    pub fn mark(&self) -> &'static str {
        match self {
            Step::Ok(_) => "🟢",
            Step::OkWith(_) => "🟢\\*",
            Step::Failed(_) => "❌",
            Step::Other(_) => "🟡",
        }
    }
    fn md(&self) -> String {
        match self {
            Step::Ok(w) | Step::OkWith(w) | Step::Failed(w) | Step::Other(w) => {
                let first = w.lines().next().unwrap_or("").replace('|', "\\|");
                let short: String = first.chars().take(160).collect();
                format!("{} {short}", self.mark()).trim_end().to_string()
            }
        }
    }
}

/// One column's steps (see [`RunReport::cells`]).
#[derive(Debug, Clone)]
pub struct Cell {
    /// The column.
    pub column: Column,
    /// The driver built for the kernel and the guest booted (this machine: 🟢).
    pub build: Step,
    /// The engine opened: driver loaded, probe accepted.
    pub open: Step,
    /// The scenarios: how many passed, and the first that did not.
    pub scenarios: Step,
    /// Seconds, all its results together.
    pub seconds: f64,
}

impl Cell {
    fn of(column: &Column, rs: &[&ScenarioResult]) -> Cell {
        let seconds = rs.iter().map(|r| r.seconds).sum();
        let here = || match column.kernel {
            Some(_) => Step::Ok(String::new()),
            None => Step::Ok("this machine".into()),
        };
        let not_run = |why: &str| Cell {
            column: column.clone(),
            build: here(),
            open: Step::Other(why.to_string()),
            scenarios: Step::Other("not run".into()),
            seconds,
        };
        // A guest that could not be prepared or booted: one result named "vm".
        if let Some(r) = rs.iter().find(|r| r.scenario == "vm") {
            let why = match &r.status {
                Status::Fail(w) | Status::Skipped(w) => w.clone(),
                other => format!("{other:?}"),
            };
            return Cell {
                build: Step::Failed(why),
                ..not_run("not run")
            };
        }
        // The engine did not open: every result says the same.
        let first = rs.first().map(|r| &r.status);
        if let Some(st) = first {
            let same = rs.iter().all(|r| r.status == *st);
            match st {
                Status::Skipped(w) if same => return not_run(w),
                // A driver this libs is known not to build for this kernel: the build step.
                Status::KnownFailure(w) if same && w.contains("[driver does not build") => {
                    return Cell {
                        build: Step::Other(w.clone()),
                        ..not_run("not run")
                    }
                }
                Status::KnownFailure(w) if same && w.contains("cannot open the capture") => {
                    return Cell {
                        open: Step::Other(w.clone()),
                        ..not_run("")
                    }
                }
                Status::Fail(w) if same && w.starts_with("driver does not build") => {
                    return Cell {
                        build: Step::Failed(w.clone()),
                        ..not_run("not run")
                    }
                }
                Status::Fail(w)
                    if same
                        && (w.starts_with("cannot open the capture")
                            || w.starts_with("insmod scap.ko failed")) =>
                {
                    return Cell {
                        open: Step::Failed(w.clone()),
                        ..not_run("")
                    }
                }
                _ => {}
            }
        }
        let passed = rs.iter().filter(|r| r.status.passed()).count();
        let differs = rs
            .iter()
            .filter(|r| matches!(r.status, Status::Differs(_)))
            .count();
        let summary = format!("{passed}/{} passed", rs.len());
        let scenarios = if let Some(r) = rs.iter().find(|r| matches!(r.status, Status::Fail(_))) {
            Step::Failed(format!("{summary}; first failure: {}", r.scenario))
        } else if let Some(r) = rs.iter().find(|r| !r.status.passed()) {
            Step::Other(format!("{summary}; {} {}", r.scenario, r.status.short()))
        } else if differs > 0 {
            Step::OkWith(format!(
                "{summary}, {differs} with known driver differences"
            ))
        } else {
            Step::Ok(summary)
        };
        Cell {
            column: column.clone(),
            build: here(),
            open: Step::Ok(String::new()),
            scenarios,
            seconds,
        }
    }
}

/// Merges the reports of shards (`report.json` of each `sinspqa run --shard K/N`) into one:
/// the results of all, the guest kernels of all; they must be of the same libs.
pub fn merge(parts: Vec<RunReport>) -> Result<RunReport, String> {
    let mut it = parts.into_iter();
    let mut out = it.next().ok_or("no report to merge")?;
    for p in it {
        if (p.libs_version.as_str(), p.libs_commit.as_str())
            != (out.libs_version.as_str(), out.libs_commit.as_str())
        {
            return Err(format!(
                "reports of different libs: {} {} and {} {}",
                out.libs_version, out.libs_commit, p.libs_version, p.libs_commit
            ));
        }
        if out.kernel.is_empty() {
            out.kernel = p.kernel;
        }
        for g in p.guests {
            if !out.guests.contains(&g) {
                out.guests.push(g);
            }
        }
        out.timings.extend(p.timings);
        out.seconds = out.seconds.max(p.seconds);
        for r in p.results {
            if out
                .results
                .iter()
                .any(|o| o.scenario == r.scenario && o.column == r.column)
            {
                return Err(format!(
                    "{} on {} is in two shards' reports",
                    r.scenario, r.column
                ));
            }
            out.results.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::EngineKind;

    fn result(scenario: &str, column: &str, status: Status) -> ScenarioResult {
        ScenarioResult {
            scenario: scenario.into(),
            column: column.parse().unwrap(),
            status,
            events_checked: 1,
            events_validated: 1,
            event_types: Default::default(),
            stats: None,
            drops: None,
            seconds: 1.5,
        }
    }

    fn report(results: Vec<ScenarioResult>) -> RunReport {
        RunReport {
            libs_version: "0.20.0".into(),
            libs_commit: "abc".into(),
            results,
            ..Default::default()
        }
    }

    #[test]
    fn merged_shards_print_the_matrix_of_one_run_in_any_order() {
        let all = vec![
            result("file_operations", "modern_bpf", Status::Pass),
            result("spawn_exec_with_args", "modern_bpf", Status::Pass),
            result(
                "spawn_exec_with_args",
                "kmod@6.1.0-57-amd64",
                Status::Differs("d".into()),
            ),
            result(
                "file_operations",
                "kmod@6.1.0-57-amd64",
                Status::Fail("boom".into()),
            ),
        ];
        let one = report(all.clone());
        let a = report(vec![all[3].clone(), all[0].clone()]);
        let b = report(vec![all[2].clone(), all[1].clone()]);
        let merged = merge(vec![b, a]).unwrap();
        assert_eq!(merged.matrix(), one.matrix());
        assert_eq!(merged.markdown(), one.markdown());
        // Rows in the registry's order, this machine's columns before the guests'.
        let (rows, cols) = one.layout();
        assert_eq!(rows, ["spawn_exec_with_args", "file_operations"]);
        assert_eq!(cols[0].kernel, None);
        assert_eq!(cols[1].engine, EngineKind::Kmod);
        // The same result twice, or another libs, is refused.
        assert!(merge(vec![report(all.clone()), report(vec![all[0].clone()])]).is_err());
        let mut other = report(vec![]);
        other.libs_version = "0.25.4".into();
        assert!(merge(vec![report(vec![]), other]).is_err());
    }

    #[test]
    fn a_cell_says_which_step_failed() {
        let r = report(vec![
            result(
                "vm",
                "kmod@5.10.0-32-amd64",
                Status::Fail("scap.ko: error: x".into()),
            ),
            result(
                "spawn_exec_with_args",
                "kmod@6.1.0-57-amd64",
                Status::Fail("insmod scap.ko failed: Invalid module format".into()),
            ),
            result("spawn_exec_with_args", "modern_bpf", Status::Pass),
            result("file_operations", "modern_bpf", Status::Fail("✗ x".into())),
            result(
                "spawn_exec_with_args",
                "bpf@7.2.13+deb14-amd64",
                Status::KnownFailure(
                    "the probe does not build on 7.x [driver does not build for this kernel: probe.o: fs.h: error]".into(),
                ),
            ),
        ]);
        let cells = r.cells();
        let by = |c: &str| cells.iter().find(|x| x.column.to_string() == c).unwrap();
        assert!(
            matches!(&by("kmod@5.10.0-32-amd64").build, Step::Failed(w) if w.contains("scap.ko"))
        );
        assert!(matches!(by("kmod@6.1.0-57-amd64").build, Step::Ok(_)));
        assert!(matches!(&by("kmod@6.1.0-57-amd64").open, Step::Failed(w) if w.contains("insmod")));
        let m = by("modern_bpf");
        assert!(matches!(m.open, Step::Ok(_)));
        assert!(
            matches!(&m.scenarios, Step::Failed(w) if w.contains("1/2 passed") && w.contains("file_operations"))
        );
        assert_eq!(m.seconds, 3.0);
        // A driver known not to build: the build step says so (known), nothing ran.
        let b = by("bpf@7.2.13+deb14-amd64");
        assert!(matches!(&b.build, Step::Other(w) if w.contains("probe.o")));
        assert!(matches!(b.scenarios, Step::Other(_)));
        let md = r.markdown();
        assert!(
            md.contains("| `kmod@5.10.0-32-amd64` | ❌ scap.ko: error: x |"),
            "{md}"
        );
    }
}
