//! Hostile captures: mutated copies of every fixture and of libs' reference captures (a fixed
//! seed: the same files every run) replayed with `sinspqa capture -r F --json`. Each must end
//! with events (status 0), a typed one-line error (status 1), or a reported libsinsp crash
//! (status 3: "libsinsp crashed (SIGSEGV) after event N of F: a libs bug", the file kept among
//! the findings); never a crash of ours (status 4, or the command dying) and never a hang.
//!
//! `SINSPQA_MUTATIONS` sets how many (default 200; `make mutate` runs 10 000),
//! `SINSPQA_MUTATION_SEED` the seed.
mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// xorshift64*: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The uncompressed bytes of a capture (gzip-compressed ones through `gzip -dc`).
fn plain_bytes(p: &Path) -> Vec<u8> {
    let raw = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    if raw.starts_with(&[0x1f, 0x8b]) {
        let out = Command::new("gzip")
            .arg("-dc")
            .arg(p)
            .output()
            .expect("gzip");
        assert!(out.status.success(), "gzip -dc {}", p.display());
        out.stdout
    } else {
        raw
    }
}

/// The captures mutated: our fixtures and libs' reference captures of at most 2 MB.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = [
        "file_operations.scap",
        "spawn_exec_with_args.scap",
        "tcp_client_server.scap",
    ]
    .iter()
    .map(|f| common::fixture(f))
    .collect();
    files.extend(common::libs_captures());
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                plain_bytes(&p),
            )
        })
        .filter(|(_, b)| b.len() <= 2 << 20)
        .collect()
}

enum Verdict {
    Events,
    TypedError,
    LibsCrash(String),
    Ours(String),
}

fn replay(exe: &str, file: &Path, findings: &Path) -> Verdict {
    let mut child = Command::new(exe)
        .args(["capture", "--json", "-r"])
        .arg(file)
        .env("SINSPQA_FINDINGS", findings)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sinspqa");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Verdict::Ours("hung for 60 s (killed)".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let last = err
        .lines()
        .rev()
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    if let Some(v) = sanitizer_report(&err, file) {
        return v;
    }
    match status.code() {
        Some(0) => Verdict::Events,
        Some(1) if last.starts_with("sinspqa: ") => Verdict::TypedError,
        Some(3) => {
            let line = err
                .lines()
                .find(|l| l.contains("libsinsp crashed ("))
                .unwrap_or("")
                .to_string();
            if line.contains(" of ") && line.contains("a libs bug") {
                Verdict::LibsCrash(line)
            } else {
                Verdict::Ours(format!("status 3 without the report: {err}"))
            }
        }
        _ => Verdict::Ours(format!("{status:?}: {err}")),
    }
}

/// Under `make test-asan` (libs and the shim built with ASan/UBSan): a sanitizer report on the
/// child's stderr is a finding. It is libs' when our code (the shim, the Rust crate) reached it
/// through libsinsp's API (`sinsp::next`, `sinsp::open*`), or when no frame of ours is on the
/// stack; it is ours when our code called anything else there (a param accessor, say) or crashed
/// itself.
fn sanitizer_report(err: &str, file: &Path) -> Option<Verdict> {
    let head = err
        .lines()
        .find(|l| l.contains("ERROR: AddressSanitizer: ") || l.contains(": runtime error: "))?;
    let kind = head
        .split("ERROR: AddressSanitizer: ")
        .nth(1)
        .or_else(|| head.split(": runtime error: ").nth(1))
        .unwrap_or(head)
        .split(" on ")
        .next()
        .unwrap_or("")
        .to_string();
    let ours_src = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");
    let mut frames: Vec<String> = Vec::new();
    let mut libs = true;
    for l in err.lines().map(str::trim_start) {
        // "#3 0x55d0c0 in sinsp_parser::reset(sinsp_evt*) /path/parsers.cpp:599:68"
        let Some((_, rest)) = l.strip_prefix('#').and_then(|r| r.split_once(" in ")) else {
            continue;
        };
        let (func, loc) = rest.rsplit_once(' ').unwrap_or((rest, ""));
        if ["__asan", "__ubsan", "__sanitizer", "__interceptor"]
            .iter()
            .any(|p| func.starts_with(p))
            || loc.contains("compiler-rt")
        {
            continue;
        }
        let func = func.split('(').next().unwrap_or(func).to_string();
        if loc.contains("/sys/shim/") || loc.starts_with(ours_src) {
            libs = frames
                .last()
                .is_some_and(|f| f.starts_with("sinsp::next") || f.starts_with("sinsp::open"));
            break;
        }
        frames.push(func);
    }
    frames.truncate(3);
    let line = format!(
        "sanitizer: {kind} in {} (innermost: {})",
        file.display(),
        frames.join(" <- ")
    );
    Some(if libs {
        Verdict::LibsCrash(format!("{line}: a libs bug"))
    } else {
        Verdict::Ours(format!("{line}: reached from our code\n{err}"))
    })
}

#[test]
fn mutated_captures_end_in_events_a_typed_error_or_a_reported_libs_crash() {
    let n: usize = std::env::var("SINSPQA_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("SINSPQA_MUTATION_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let exe = env!("CARGO_BIN_EXE_sinspqa");
    let seeds = seeds();
    assert!(seeds.len() >= 3, "no captures to mutate");
    let dir = tempfile::tempdir().unwrap();
    let findings = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation-findings");
    let _ = std::fs::remove_dir_all(&findings);
    let mut rng = Rng(seed | 1);
    let (mut events, mut typed) = (0, 0);
    let mut libs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut ours = Vec::new();
    let start = Instant::now();
    for i in 0..n {
        let (name, bytes) = &seeds[rng.below(seeds.len())];
        let mut b = bytes.clone();
        for _ in 0..1 + rng.below(64) {
            let at = rng.below(b.len());
            b[at] = rng.next() as u8;
        }
        if rng.below(5) == 0 {
            b.truncate(rng.below(b.len()));
        }
        let f = dir.path().join(format!("m{i:05}-{name}"));
        std::fs::write(&f, &b).unwrap();
        match replay(exe, &f, &findings) {
            Verdict::Events => events += 1,
            Verdict::TypedError => typed += 1,
            Verdict::LibsCrash(line) => {
                if line.starts_with("sanitizer: ") {
                    // the sanitizer ended the child before sinspqa could keep the file
                    let keep = findings.join("sanitizer");
                    std::fs::create_dir_all(&keep).unwrap();
                    std::fs::copy(&f, keep.join(f.file_name().unwrap())).unwrap();
                }
                // Grouped by the crash's innermost frame.
                let key = line
                    .split("(innermost: ")
                    .nth(1)
                    .and_then(|s| s.split(" <- ").next())
                    .unwrap_or("?")
                    .to_string();
                libs.entry(key).or_default().push(line);
            }
            Verdict::Ours(why) => {
                let keep = findings.join("ours");
                std::fs::create_dir_all(&keep).unwrap();
                std::fs::copy(&f, keep.join(f.file_name().unwrap())).unwrap();
                ours.push(format!(
                    "{}: {why}",
                    f.file_name().unwrap().to_string_lossy()
                ));
            }
        }
        let _ = std::fs::remove_file(&f);
    }
    let crashes: usize = libs.values().map(Vec::len).sum();
    eprintln!(
        "{n} mutated captures (seed {seed:#x}) in {:.0} s: {events} replayed to the end, {typed} typed errors, {crashes} libsinsp crashes reported, {} of ours",
        start.elapsed().as_secs_f64(),
        ours.len()
    );
    for (frame, lines) in &libs {
        eprintln!(
            "  libs crash x{} at {frame}: e.g. {}",
            lines.len(),
            lines[0]
        );
    }
    if crashes > 0 {
        eprintln!("  files kept in {}", findings.display());
    }
    assert!(
        ours.is_empty(),
        "crashes or hangs of ours:\n{}",
        ours.join("\n")
    );
    assert_eq!(events + typed + crashes, n);
    assert!(
        typed > 0,
        "no mutation gave a typed error: the mutations do nothing"
    );
}
