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
