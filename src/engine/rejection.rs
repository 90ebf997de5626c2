//! A driver the kernel refused: which program, and what the verifier said.
//!
//! When a BPF program does not pass the verifier, libbpf logs `prog 'NAME': BPF program load
//! failed`, then the verifier's log between `-- BEGIN PROG LOAD LOG --` and `-- END PROG LOAD LOG
//! --`, then `prog 'NAME': failed to load: -ERRNO`. Those lines reach libs' logger while the engine
//! opens (the shim keeps them, see `sq_open_log`); libscap itself only says "Initialization issues
//! during scap_init". [`Rejection::from_open`] reads the refused program and the verifier's verdict
//! out of that log (or, for the legacy probe, out of libscap's message, which names the program).
use std::fmt;

use serde::{Deserialize, Serialize};

/// How many of the verifier log's last lines a rejection keeps.
pub const LOG_TAIL_LINES: usize = 12;

/// What the kernel said when it refused to load a driver's program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The refused program (libbpf's program name, or the legacy probe's section), if named.
    pub program: Option<String>,
    /// The verdict: the verifier's error line (e.g. `R5 invalid mem access 'scalar'`), or the
    /// loader's error when the verifier wrote no log.
    pub reason: String,
    /// The last lines of the verifier's log (at most [`LOG_TAIL_LINES`]), oldest first.
    pub log_tail: Vec<String>,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.program {
            Some(p) => write!(f, "prog {p}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

const BEGIN: &str = "-- BEGIN PROG LOAD LOG --";
const END: &str = "-- END PROG LOAD LOG --";

/// `prog 'NAME': ...` → `NAME`.
fn prog_name(line: &str) -> Option<&str> {
    let rest = &line[line.find("prog '")? + "prog '".len()..];
    let name = &rest[..rest.find('\'')?];
    (!name.is_empty()).then_some(name)
}

/// A verifier line that is no verdict: an instruction (`121: (61) r8 = ...`), a source line
/// (`; int x = ...`), register state, or the closing statistics.
fn is_noise(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || t.starts_with(';')
        || t.starts_with("processed ")
        || t.starts_with("verification time")
        || t.starts_with("stack depth")
        || t.starts_with("from ")
        || t.starts_with("mark_precise")
        || t.split_once(':').is_some_and(|(n, rest)| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with(" (")
        })
        || t.split_once(':').is_some_and(|(n, rest)| {
            // register state lines: "121: R1=ctx() R5=scalar()"
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && rest.trim_start().starts_with('R')
        })
}

impl Rejection {
    /// Reads a rejection out of libs' open log and error message; `None` when neither says a
    /// program was refused (the open failed for another reason).
    pub fn from_open(log: &str, message: &str) -> Option<Rejection> {
        Self::from_libbpf_log(log).or_else(|| Self::from_legacy_message(message))
    }

    fn from_libbpf_log(log: &str) -> Option<Rejection> {
        let lines: Vec<&str> = log.lines().collect();
        // The refused program: the last "failed to load" / "program load failed" line naming one.
        let failed = lines.iter().rposition(|l| {
            (l.contains("failed to load") || l.contains("program load failed"))
                && prog_name(l).is_some()
        })?;
        let program = prog_name(lines[failed]).map(str::to_string);
        // Its verifier log: the last BEGIN..END block before that line.
        let end = lines[..=failed].iter().rposition(|l| l.contains(END));
        let begin = end.and_then(|e| lines[..e].iter().rposition(|l| l.contains(BEGIN)));
        let block: Vec<&str> = match (begin, end) {
            (Some(b), Some(e)) => {
                let mut v: Vec<&str> = lines[b..=e].to_vec();
                // the markers may share a line with log text
                if let Some(first) = v.first_mut() {
                    *first = first.split(BEGIN).nth(1).unwrap_or("");
                }
                if let Some(last) = v.last_mut() {
                    *last = last.split(END).next().unwrap_or("");
                }
                v.into_iter().filter(|l| !l.trim().is_empty()).collect()
            }
            _ => Vec::new(),
        };
        let reason = block
            .iter()
            .rev()
            .find(|l| !is_noise(l))
            .map(|l| l.trim().to_string())
            .unwrap_or_else(|| {
                // no verifier log: the loader's own words after the program's name
                let l = lines[failed];
                l[l.find("': ").map_or(0, |i| i + 3)..].trim().to_string()
            });
        let log_tail = block[block.len().saturating_sub(LOG_TAIL_LINES)..]
            .iter()
            .map(|l| l.trim_end().to_string())
            .collect();
        Some(Rejection {
            program,
            reason,
            log_tail,
        })
    }

    /// libscap's legacy eBPF loader prints the verifier log to stderr and reports only
    /// `libscap: bpf_load_program() event=SECTION` (with the errno in the scap error).
    fn from_legacy_message(message: &str) -> Option<Rejection> {
        let rest = &message[message.find("bpf_load_program() event=")? + 25..];
        let program = rest.split_whitespace().next().map(str::to_string);
        Some(Rejection {
            program,
            reason: "the verifier refused it (its log went to stderr)".into(),
            log_tail: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What libs 0.20.0's modern probe logs on Linux 6.18 (libbpf 1.4, through libpman).
    const LOG: &str = "libbpf: prog 'signal_deliver': BPF program load failed: Permission denied
libbpf: prog 'signal_deliver': -- BEGIN PROG LOAD LOG --
0: R1=ctx() R10=fp0
; int BPF_PROG(signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka) {
0: (79) r7 = *(u64 *)(r1 +8)
120: (bf) r5 = r7
121: (61) r8 = *(u32 *)(r5 +0)
R5 invalid mem access 'scalar'
processed 118 insns (limit 1000000) max_states_per_insn 0 total_states 9 peak_states 9 mark_read 3
-- END PROG LOAD LOG --
libbpf: prog 'signal_deliver': failed to load: -13
libbpf: failed to load object 'bpf_probe'
libpman: failed to load BPF object (errno: 13 | message: Permission denied)
";

    #[test]
    fn verifier_verdict_and_program_from_libbpf_log() {
        let r = Rejection::from_open(LOG, "Initialization issues during scap_init").unwrap();
        assert_eq!(r.program.as_deref(), Some("signal_deliver"));
        assert_eq!(r.reason, "R5 invalid mem access 'scalar'");
        assert_eq!(
            r.to_string(),
            "prog signal_deliver: R5 invalid mem access 'scalar'"
        );
        assert_eq!(r.log_tail.last().unwrap(), "processed 118 insns (limit 1000000) max_states_per_insn 0 total_states 9 peak_states 9 mark_read 3");
        assert!(r.log_tail.iter().any(|l| l.contains("121: (61)")));
        assert!(r.log_tail.len() <= LOG_TAIL_LINES);
    }

    #[test]
    fn loader_error_when_no_verifier_log() {
        let log = "libbpf: prog 'dump_task': failed to load: -22\n";
        let r = Rejection::from_open(log, "").unwrap();
        assert_eq!(r.program.as_deref(), Some("dump_task"));
        assert_eq!(r.reason, "failed to load: -22");
        assert!(r.log_tail.is_empty());
    }

    #[test]
    fn other_open_failures_are_no_rejection() {
        let log = "libpman: unable to mmap the ring buffer (errno: 12)\n";
        assert_eq!(
            Rejection::from_open(log, "Initialization issues during scap_init"),
            None
        );
        assert_eq!(
            Rejection::from_open("", "error opening device /dev/scap0"),
            None
        );
    }

    #[test]
    fn legacy_probe_names_its_section() {
        let r = Rejection::from_open(
            "",
            "libscap: bpf_load_program() event=raw_tracepoint/sys_enter",
        )
        .unwrap();
        assert_eq!(r.program.as_deref(), Some("raw_tracepoint/sys_enter"));
    }
}
