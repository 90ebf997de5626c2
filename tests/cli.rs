//! CLI manners: what a user sees at the edges of the `sinspqa` command.
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

/// `sinspqa schema | head -c 1`: the reader goes away after one byte of ~500 KB. The command ends
/// as any Unix filter does (killed by SIGPIPE, the shell's status 141), with nothing on stderr:
/// no panic of `println!` and no backtrace.
#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
        .arg("schema")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sinspqa schema");
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    out.read_exact(&mut one).unwrap();
    assert_eq!(&one, b"{");
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGPIPE),
        "{status:?}, stderr: {err}"
    );
    assert_eq!(err, "", "nothing on stderr");
}

/// Misused options are usage errors (status 2, clap's message and the subcommand's usage), not
/// libs errors.
#[test]
fn misused_options_are_usage_errors() {
    for (args, want) in [
        (
            &["capture", "--engine", "savefile"][..],
            "--engine savefile needs --read FILE",
        ),
        (
            &["capture", "--engine", "kmod", "--read", "x.scap"][..],
            "--read implies --engine savefile",
        ),
        (
            &["run", "--scenarios", "no_such_scenario"][..],
            "no scenario matches",
        ),
        (
            &["run", "--engines", "no_such_engine"][..],
            "unknown engine",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error: {want}")),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(&format!("Usage: sinspqa {}", args[0])),
            "{args:?}: {err}"
        );
        assert!(!err.contains("libs error"), "{args:?}: {err}");
    }
}

/// `sinspqa capture -r F --full-json` prints every event in full, and every line validates
/// against the schema `sinspqa schema` prints for the same libs (checked with a validator
/// compiled here from that output, not with the library's own).
#[test]
fn full_json_lines_validate_against_the_printed_schema() {
    let exe = env!("CARGO_BIN_EXE_sinspqa");
    let schema = Command::new(exe).arg("schema").output().unwrap();
    assert!(schema.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    let v = jsonschema::draft202012::new(&schema).expect("the printed schema compiles");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for f in ["file_operations.scap", "tcp_client_server.scap"] {
        let out = Command::new(exe)
            .args(["capture", "--full-json", "-r"])
            .arg(fixtures.join(f))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let mut n = 0;
        let mut with_params = 0;
        for line in text.lines() {
            let ev: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{f}: {e}: {line}"));
            let errs: Vec<String> = v.iter_errors(&ev).map(|e| e.to_string()).collect();
            assert!(errs.is_empty(), "{f}: {line}\n{}", errs.join("\n"));
            for k in [
                "evt.num", "evt.code", "evt.type", "evt.dir", "params", "fields",
            ] {
                assert!(ev.get(k).is_some(), "{f}: no {k} in {line}");
            }
            with_params += usize::from(!ev["params"].as_object().unwrap().is_empty());
            n += 1;
        }
        // libs from 0.22 folds each enter event of these 0.20 recordings into its exit event:
        // about half as many lines (tcp_client_server: 92 on 0.20.0, 46 on 0.25.4).
        assert!(
            n > 40 && with_params > n / 2,
            "{f}: {n} lines, {with_params} with params"
        );
    }
}

/// A capture libsinsp crashes on (a mutated copy of libs' single_ipv6_conn.scap, found by
/// tests/mutation.rs: libs 0.20.0's parser dies in sinsp_parser::reset) is a finding, not our
/// death: `capture -r` says who crashed and after which event, keeps the file, and exits 3.
/// Where libs no longer crashes on it, the replay ends as any other (events or a typed error).
#[test]
fn a_libsinsp_crash_on_a_file_is_reported_as_a_libs_finding() {
    libs_crash_is_reported(&["capture", "--json", "-r"]);
}

/// The cross-check replays the file in-process too: a libsinsp crash there is the same finding
/// (status 3, who crashed and after which event, the file kept), not the death of the command.
#[test]
fn a_libsinsp_crash_in_the_crosscheck_is_reported_as_a_libs_finding() {
    libs_crash_is_reported(&["crosscheck"]);
}

/// Runs `sinspqa ARGS FILE` on the capture libsinsp 0.20.0 crashes on: status 3 with the
/// report (who crashed, after which event, the innermost frames), the file kept among the
/// findings; where libs no longer crashes on it, events or a typed error (status 0 or 1).
fn libs_crash_is_reported(args: &[&str]) {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/crashers/libsinsp-0.20.0-parser-reset-segv.scap");
    let findings = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
        .args(args)
        .arg(&file)
        .env("SINSPQA_FINDINGS", findings.path())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(3) => {
            let line = err.lines().find(|l| l.contains("crashed")).unwrap_or("");
            assert!(
                line.starts_with("sinspqa: libsinsp crashed (SIGSEGV) after event ")
                    && line.contains(&format!(" of {}: a libs bug", file.display())),
                "{args:?}: {err}"
            );
            assert!(line.contains("(innermost: "), "{args:?}: {err}");
            assert!(
                findings.path().join(file.file_name().unwrap()).exists(),
                "{args:?}: {err}"
            );
        }
        // Where libs no longer crashes on it: events, a typed error, or (crosscheck)
        // sinsp-example's own crash said as such.
        Some(0) | Some(1) => assert_ne!(
            sinspqa::LIBS_VERSION,
            "0.20.0",
            "{args:?}: libs 0.20.0 crashes on this file, yet: {err}"
        ),
        other => panic!("{args:?}: status {other:?}: {err}"),
    }
}

/// Mutated captures that crashed our own code (tests/mutation.rs found them: an event name read
/// through a corrupt generic event's syscall code or an async event's unterminated name; the
/// fuzzer: a generic event's syscall-code param read without checking its length) now end in
/// events or a typed error, or, where libs itself dies on the file, a reported libs crash.
#[test]
fn captures_that_once_crashed_our_code_end_in_events_or_a_typed_error() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crashers");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if !p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ours-")
        {
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_sinspqa"))
            .args(["capture", "--json", "-r"])
            .arg(&p)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // From libs 0.22 the savefile reader's event converter copies an event by its header's
        // length (scap_savefile.c, `memcpy(m_to_convert_evt, *pevent, (*pevent)->len)`), and
        // libscap itself dies on the fuzzer's file: there the guard reports a libs crash
        // (status 3), which is not ours either.
        let libs_crash = out.status.code() == Some(3)
            && sinspqa::LIBS_VERSION != "0.20.0"
            && err.contains("a libs bug (innermost: ");
        assert!(
            (matches!(out.status.code(), Some(0 | 1)) || libs_crash)
                && err
                    .lines()
                    .last()
                    .is_some_and(|l| l.starts_with("sinspqa: ")),
            "{}: {:?}: {err}",
            p.display(),
            out.status
        );
        n += 1;
    }
    assert!(n >= 2, "no regression captures in {}", dir.display());
}
