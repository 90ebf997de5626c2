//! The matrix split across machines: `sinspqa run --shard K/N` runs a share of the units, and
//! `sinspqa report merge` joins the shards' reports into the same matrix one run gives.
mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const SCENARIOS: &str = "spawn_exec_with_args,file_operations,drop_privileges";

fn run(out: &Path, shard: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sinspqa"));
    cmd.args([
        "run",
        "--engines",
        "modern_bpf,kmod",
        "--scenarios",
        SCENARIOS,
        "--out",
    ])
    .arg(out);
    if let Some(s) = shard {
        cmd.args(["--shard", s]);
    }
    cmd.output().unwrap()
}

/// (scenario, column, status) of every result of a report.
fn grid(dir: &Path) -> BTreeSet<(String, String, String)> {
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["scenario"].as_str().unwrap().to_string(),
                r["column"].as_str().unwrap().to_string(),
                r["status"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn matrix_of(stdout: &[u8]) -> String {
    // The matrix: from its header line to the blank line before the totals.
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .skip_while(|l| !l.starts_with("scenario "))
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn two_shards_merged_give_the_matrix_of_one_run() {
    let Some(_live) = common::live_or_skip("two_shards_merged_give_the_matrix_of_one_run") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (one, s1, s2, merged) = (
        dir.path().join("one"),
        dir.path().join("s1"),
        dir.path().join("s2"),
        dir.path().join("merged"),
    );
    let whole = run(&one, None);
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stdout)
    );
    for (out, k) in [(&s1, "1/2"), (&s2, "2/2")] {
        let o = run(out, Some(k));
        assert!(
            o.status.success(),
            "shard {k}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    // Each shard ran a part, neither all, and no result twice.
    let (g1, g2) = (grid(&s1), grid(&s2));
    assert!(!g1.is_empty() && !g2.is_empty(), "{g1:?} {g2:?}");
    let key = |g: &BTreeSet<(String, String, String)>| {
        g.iter()
            .map(|(s, c, _)| (s.clone(), c.clone()))
            .collect::<BTreeSet<_>>()
    };
    assert!(key(&g1).is_disjoint(&key(&g2)));
    let m = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
        .args(["report", "merge"])
        .arg(&s1)
        .arg(&s2)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    // The merged report holds what one run holds, status for status, and prints the same matrix.
    assert_eq!(grid(&merged), grid(&one));
    assert_eq!(matrix_of(&m.stdout), matrix_of(&whole.stdout));
    assert!(!matrix_of(&m.stdout).is_empty());
    let md = std::fs::read_to_string(merged.join("report.md")).unwrap();
    for cell in ["`modern_bpf`", "`modern_bpf+replay`", "`kmod`"] {
        assert!(md.contains(cell), "report.md lacks {cell}:\n{md}");
    }
    // Shards of another run are refused, not mixed: merging a shard with itself repeats results.
    let twice = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
        .args(["report", "merge"])
        .arg(&s1)
        .arg(&s1)
        .arg("--out")
        .arg(dir.path().join("bad"))
        .output()
        .unwrap();
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("is in two shards' reports"));
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    for bad in ["0/2", "3/2", "1/0", "x", "1-2"] {
        let o = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
            .args(["run", "--engines", "modern_bpf", "--shard", bad])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--shard"),
            "{bad}"
        );
    }
}
