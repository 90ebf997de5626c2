//! A driver the kernel refuses is a failure that explains itself. libs 0.20.0 without our patch
//! 0004 has the modern probe every libs release ships, whose `signal_deliver` program this
//! kernel's verifier refuses (Linux 6.18: `R5 invalid mem access 'scalar'`). The test builds
//! `sinspqa` once against that source (cached beside the other libs builds, ~12 min the first
//! time) and checks that `engines`, `capture` and `run` name the program and the verifier's verdict,
//! not libscap's "Initialization issues during scap_init". Needs root and BPF (CI runs it).
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    eprintln!(
        "$ {cmd:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `sinspqa` built against the pinned libs with every patch of ours but the probe fix.
fn sinspqa_without_probe_fix() -> PathBuf {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = common::cache_dir();
    let src = cache.join("src/libs-0.20.0-without-0004");
    let target = cache.join("target-without-0004");
    let out = run(Command::new(top.join("scripts/fetch-libs"))
        .env("LIBS_DEST", &src)
        .env("LIBS_PATCHES_SKIP", "0004")
        .env_remove("FALCOSECURITY_LIBS_DIR"));
    assert!(out.status.success(), "fetch-libs failed");
    let probe = std::fs::read_to_string(
        src.join("driver/modern_bpf/programs/attached/events/signal_deliver.bpf.c"),
    )
    .expect("signal_deliver.bpf.c");
    assert!(
        probe.contains("info->si_code"),
        "the source should carry upstream's direct reads through `info`"
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = run(Command::new(cargo)
        .args(["build", "--bin", "sinspqa", "--quiet"])
        .current_dir(top)
        .env("FALCOSECURITY_LIBS_DIR", &src)
        .env("CARGO_TARGET_DIR", &target));
    assert!(
        out.status.success(),
        "building sinspqa without patch 0004 failed"
    );
    target.join("debug/sinspqa")
}

#[test]
fn a_probe_the_verifier_refuses_names_its_program_and_the_verdict() {
    let Some(_live) =
        common::live_or_skip("a_probe_the_verifier_refuses_names_its_program_and_the_verdict")
    else {
        return;
    };
    let exe = sinspqa_without_probe_fix();

    // `engines` loads the probe: the kernel's verdict, not "available".
    let out = run(Command::new(&exe).arg("engines"));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("modern_bpf"))
        .expect("a modern_bpf line");
    if line.contains("available") && std::env::var_os("CI").is_none() {
        eprintln!("skipped: this kernel accepts upstream's signal_deliver program ({line})");
        return;
    }
    assert!(
        line.starts_with("modern_bpf  rejected by this kernel: prog signal_deliver: "),
        "{line}"
    );
    assert!(
        line.contains("invalid mem access"),
        "the verifier's verdict: {line}"
    );
    assert!(
        stdout.contains("the verifier's last lines:") && stdout.contains("processed "),
        "the verifier log's tail follows:\n{stdout}"
    );

    // A capture fails with the same typed error, exit status 1.
    let out = run(Command::new(&exe).args(["capture", "--engine", "modern-bpf", "-n", "1"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr
        .lines()
        .find(|l| l.starts_with("sinspqa: "))
        .unwrap_or("");
    assert!(
        first.starts_with("sinspqa: modern_bpf rejected by this kernel: prog signal_deliver: "),
        "the error's first line names the program, not libscap's \"Initialization issues\":\n{stderr}"
    );

    // The matrix and report.json carry it.
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new(&exe)
        .args([
            "run",
            "--engines",
            "modern_bpf",
            "--scenarios",
            "spawn_exec_with_args,file_operations",
            "--out",
        ])
        .arg(dir.path()));
    assert!(!out.status.success(), "a refused driver must fail the run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "FAIL spawn_exec_with_args, file_operations on modern_bpf:\ncannot open the capture: \
             modern_bpf rejected by this kernel: prog signal_deliver: "
        ),
        "one failure block for the column, naming the program:\n{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let results = report["results"].as_array().unwrap();
    let live: Vec<_> = results
        .iter()
        .filter(|r| r["column"] == "modern_bpf")
        .collect();
    assert_eq!(live.len(), 2);
    for r in live {
        assert_eq!(r["status"]["status"], "fail");
        let detail = r["status"]["detail"].as_str().unwrap();
        assert!(
            detail.contains("prog signal_deliver: ") && detail.contains("invalid mem access"),
            "{detail}"
        );
    }
}
