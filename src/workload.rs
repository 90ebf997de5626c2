//! Workloads: small programs that each do one real thing in a child process.
//!
//! The harness starts `sinspqa workload NAME DIR` ([`Workload::spawn`]); the child waits for a
//! line on stdin ("go") so the capture can be opened first and scoped to its pid, then issues
//! exact raw syscalls (through `libc::syscall`, so no libc wrapper picks another syscall), and
//! prints one JSON line of facts (paths, ports, child pids) that the expectations are built
//! from. A workload that fails, dies or hangs is a typed error, never a hang of the harness.
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A failure of a workload, reported with what it printed.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// It could not be started.
    #[error("cannot start workload {name}: {source}")]
    Spawn {
        /// Workload name.
        name: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// It exited with an error or was killed by a signal.
    #[error("workload {name} failed ({status}): {stderr}")]
    Failed {
        /// Workload name.
        name: String,
        /// Exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// It ran past its deadline and was killed.
    #[error("workload {name} did not finish within {secs} s and was killed")]
    Timeout {
        /// Workload name.
        name: String,
        /// The deadline.
        secs: u64,
    },
    /// Its facts line was not JSON.
    #[error("workload {name} printed no facts: {stdout:?}")]
    NoFacts {
        /// Workload name.
        name: String,
        /// What it printed.
        stdout: String,
    },
}

/// A workload child process, waiting for "go".
pub struct Workload {
    name: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

impl Workload {
    /// Starts `exe workload NAME DIR` (exe = the `sinspqa` binary); it waits for [`Workload::go`].
    pub fn spawn(exe: &Path, name: &str, dir: &Path) -> Result<Workload, WorkloadError> {
        let mut child = Command::new(exe)
            .arg("workload")
            .arg(name)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| WorkloadError::Spawn {
                name: name.into(),
                source,
            })?;
        let stdin = child.stdin.take();
        Ok(Workload {
            name: name.into(),
            child: Some(child),
            stdin,
        })
    }

    /// The workload's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Lets it run, waits at most `timeout` for it to finish, and returns its facts (with
    /// `"pid"` added). On timeout the child is killed and reaped.
    pub fn go(mut self, timeout: Duration) -> Result<Value, WorkloadError> {
        let name = self.name.clone();
        if let Some(mut s) = self.stdin.take() {
            let _ = s.write_all(b"go\n");
        }
        let mut child = self.child.take().expect("child");
        let pid = child.id();
        let deadline = Instant::now() + timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(WorkloadError::Timeout {
                        name,
                        secs: timeout.as_secs(),
                    });
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(WorkloadError::Spawn { name, source: e }),
            }
        };
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut o) = child.stdout.take() {
            let _ = o.read_to_string(&mut out);
        }
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        if !status.success() {
            return Err(WorkloadError::Failed {
                name,
                status: status.to_string(),
                stderr: err.trim().to_string(),
            });
        }
        let mut facts: Value = out
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| WorkloadError::NoFacts {
                name: name.clone(),
                stdout: out.clone(),
            })?;
        facts["pid"] = json!(pid);
        Ok(facts)
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ----- the child side -------------------------------------------------------------------------

/// Runs scenario `name`'s action in this process (the `sinspqa workload` subcommand): waits
/// for "go" on stdin, acts, prints the facts as one JSON line.
pub fn run_child(name: &str, dir: &Path) -> Result<(), String> {
    let s = crate::scenarios::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = crate::scenarios::all().iter().map(|s| s.name).collect();
        format!("unknown workload {name:?}; known: {}", known.join(", "))
    })?;
    let mut line = String::new();
    BufReader::new(std::io::stdin())
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let facts = s.steps.act(dir)?;
    println!("{facts}");
    Ok(())
}
