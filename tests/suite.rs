//! The main job end to end: `sinspqa run` prints the matrix, writes JUnit XML and a JSON report,
//! asserts at least 40 distinct event types, and every scenario that can run here passes.
mod common;

use std::process::Command;

#[test]
fn sinspqa_run_prints_the_matrix_and_writes_reports() {
    let Some(_live) = common::live_or_skip("sinspqa_run_prints_the_matrix_and_writes_reports")
    else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let res = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
        .arg("run")
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "sinspqa run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    // the first line names the libs version the binary was built from, then the table's header
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("libs {} (", sinspqa::LIBS_VERSION)),
        "{first}"
    );
    let header = stdout.lines().find(|l| l.starts_with("scenario")).unwrap();
    for col in ["modern_bpf", "modern_bpf+replay", "kmod", "bpf"] {
        assert!(
            header.split_whitespace().any(|c| c == col),
            "no column {col}: {header}"
        );
    }
    let n_scen = sinspqa::scenarios::all().len();
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.ends_with("known failures"))
        .unwrap();
    assert!(
        summary.starts_with(&format!("{} passed, 0 failed", 2 * n_scen)),
        "{summary}"
    );

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let results = report["results"].as_array().unwrap();
    let types: std::collections::BTreeSet<&str> = results
        .iter()
        // passed, as written or with a known driver difference (the matrix counts both)
        .filter(|r| matches!(r["status"]["status"].as_str(), Some("pass" | "differs")))
        .flat_map(|r| {
            r["event_types"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
        })
        .collect();
    assert!(
        types.len() >= 40,
        "only {} distinct event types asserted: {types:?}",
        types.len()
    );
    assert!(stdout.contains(&format!("{} distinct event types asserted", types.len())));

    let xml = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(
        xml.contains("<testsuites") && xml.contains("name=\"spawn_exec_with_args\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase").count(), results.len());
}

#[test]
fn sinspqa_schema_prints_a_draft_2020_12_schema() {
    let res = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(res.status.success());
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(v["$defs"].as_object().unwrap().len() > 300);
}

#[test]
fn a_workload_that_dies_is_a_typed_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_sinspqa"));
    let w = sinspqa::workload::Workload::spawn(exe, "no-such-workload", dir.path()).unwrap();
    let err = w.go(std::time::Duration::from_secs(10)).unwrap_err();
    assert!(
        matches!(err, sinspqa::workload::WorkloadError::Failed { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("unknown workload"), "{err}");
}
