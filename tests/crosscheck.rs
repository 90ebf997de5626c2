//! Cross-check with sinsp-example (built from the same libs source): on every fixture, on libs'
//! own reference captures, and on a fresh recording of every QA scenario (root).
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use sinspqa::crosscheck::crosscheck;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "scap"))
        .collect();
    v.sort();
    v
}

fn assert_agrees(file: &Path, filter: Option<&str>) -> sinspqa::crosscheck::CrossReport {
    let r = crosscheck(file, filter, None).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(
        r.ok(),
        "{}: sinsp-example disagrees:\n{}",
        file.display(),
        r.render(30)
    );
    assert!(
        r.events_compared > 0 && r.fields_compared > 10 * r.events_compared as u64,
        "{}",
        r.render(0)
    );
    eprintln!("{}: {}", file.display(), r.render(0).trim());
    r
}

#[test]
fn every_fixture_agrees_with_sinsp_example() {
    let fx = fixtures();
    assert!(
        fx.len() >= 3,
        "expected the process, file and network fixtures, found {fx:?}"
    );
    for f in fx {
        assert_agrees(&f, None);
    }
}

#[test]
fn libs_reference_captures_agree_with_sinsp_example() {
    for f in common::libs_captures() {
        assert_agrees(&f, None);
    }
}

#[test]
fn a_filter_applies_on_both_sides() {
    let f = fixtures()
        .into_iter()
        .find(|p| p.ends_with("file_operations.scap"))
        .unwrap();
    let all = assert_agrees(&f, None);
    let opens = assert_agrees(&f, Some("evt.type=openat"));
    assert!(opens.events_compared < all.events_compared);
}

#[test]
fn the_cli_reports_ok_and_fails_on_bad_input() {
    let bin = env!("CARGO_BIN_EXE_sinspqa");
    let f = &fixtures()[0];
    let out = Command::new(bin).arg("crosscheck").arg(f).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("mismatches 0") && text.contains("crosscheck: OK"),
        "{text}"
    );
    let out = Command::new(bin)
        .args(["crosscheck", "/nonexistent.scap"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn a_fresh_recording_of_every_scenario_agrees_with_sinsp_example() {
    let Some(_live) =
        common::live_or_skip("a_fresh_recording_of_every_scenario_agrees_with_sinsp_example")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut opts = sinspqa::suite::RunOptions::new(env!("CARGO_BIN_EXE_sinspqa"));
    opts.record_to = Some(dir.path().to_path_buf());
    for s in sinspqa::scenarios::all() {
        let (live, _replay) = sinspqa::suite::run_scenario(s, &sinspqa::Engine::ModernBpf, &opts);
        // A pass with a known driver difference (known.rs; e.g. an exec's overlay layer flag in
        // a container) is a pass: the recording is what is cross-checked.
        assert!(live.status.passed(), "{}: {:?}", s.name, live.status);
        assert_agrees(
            &dir.path().join(format!("{}-modern_bpf.scap", s.name)),
            None,
        );
    }
}
