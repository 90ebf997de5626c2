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
