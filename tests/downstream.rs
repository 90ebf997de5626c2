//! "Depend on sinspqa" is proven, not assumed: `examples/downstream`, a Cargo project of its own
//! that depends on this crate by path as a user's project would, builds against the same libs
//! source as this test (its build script reuses the cached libs build) and replays a capture; its
//! counts must be ours. Its target directory is kept in the cache, per libs version, so only the
//! first run compiles its dependencies.
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use sinspqa::{Capture, Engine};

#[test]
fn a_downstream_crate_builds_and_replays_a_capture() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let capture = top.join("tests/fixtures/file_operations.scap");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["run", "--quiet", "--locked", "--manifest-path"])
        .arg(top.join("examples/downstream/Cargo.toml"))
        .arg("--")
        .arg(&capture)
        .env(
            "CARGO_TARGET_DIR",
            common::cache_dir().join(format!("target-downstream-{}", sinspqa::LIBS_VERSION)),
        )
        // the same libs source as this test binary's
        .env("FALCOSECURITY_LIBS_DIR", sinspqa::LIBS_SOURCE_DIR)
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the downstream crate failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some(format!("libs {}", sinspqa::LIBS_VERSION).as_str())
    );
    let got: BTreeMap<String, u64> = lines
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').expect("`key count` lines");
            (k.to_string(), v.parse().expect("a count"))
        })
        .collect();

    // the same replay, here
    let cap = Capture::builder()
        .engine(Engine::Savefile(capture.clone()))
        .fields(["evt.type"])
        .open()
        .unwrap();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for ev in cap.events().iter() {
        *want.entry(ev.name.to_string()).or_default() += 1;
    }
    let total = cap.finish().unwrap().events_delivered;
    want.insert("total".into(), total);
    assert!(total > 50, "{total} events");
    assert_eq!(got, want);
}
