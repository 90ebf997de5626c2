//! Known driver incompatibilities of the pinned libs, each with its evidence. A failure that
//! matches one is reported as `xfail` (expected failure) instead of `FAIL`; a known failure that
//! stops happening shows up as a plain pass in that column, and the test that pins it fails, so
//! the table cannot go stale silently.
use crate::column::{Column, EngineKind};
use crate::expect::{absent, eq, present, EventMatcher, Expectation, Pred};
use crate::suite::{ScenarioResult, Status};

/// One known incompatibility.
#[derive(Debug, Clone, Copy)]
pub struct KnownIssue {
    /// The engine (on every column of it: live, replayed, in any kernel).
    pub engine: EngineKind,
    /// Text that identifies the failure in its report.
    pub needle: &'static str,
    /// Why it happens.
    pub why: &'static str,
}

/// The known issues of libs 0.20.0 on the kernels of the matrix.
#[rustfmt::skip]
pub const KNOWN_ISSUES: &[KnownIssue] = &[KnownIssue {
    engine: EngineKind::LegacyBpf,
    needle: "unable to mmap the perf-buffer",
    why: "libs 0.20's legacy eBPF engine maps each perf ring buffer twice with an overlapping \
          MAP_FIXED mapping (to mirror the data pages); current stable kernels refuse to split a \
          perf buffer mapping, so the second mmap fails with ENOMEM (strace: mmap(..., MAP_SHARED|\
          MAP_FIXED, <perf fd>, 0) = -1 ENOMEM). libs' own sinsp-example -b aborts the same way.",
},
KnownIssue {
    engine: EngineKind::LegacyBpf,
    needle: "sizeof(struct filename) % 64 == 0",
    why: "libs 0.20's legacy eBPF probe does not build against 7.x kernel headers: clang stops at \
          include/linux/fs.h's static assertion that sizeof(struct filename) is a multiple of 64 \
          (trixie-backports 7.3.4 and sid 7.2.13 headers; kmod and modern eBPF still run there).",
},
// Where the drivers disagree on a param, see KNOWN_DIFFERENCES; here the differences that a
// param cannot express (found by the whole-call scenarios in the bookworm 6.1 guest, libs 0.20.0).
KnownIssue {
    engine: EngineKind::Kmod,
    needle: "\"getresuid on bad pointers\" unmatched",
    why: "kmod emits no getresuid exit event when the result pointers are bad (EFAULT): the event \
          is lost; modern eBPF reports it with res -14 and 0 ids (libs 0.20.0, bookworm 6.1 guest).",
}];

/// A param on which two drivers disagree. The scenarios assert what modern eBPF reports; on
/// `engine`, a matcher of the `event` (`evt.type` and `evt.dir`) that `applies` selects may see
/// `seen` in `key` instead. Every other param of the event, and every other event of the
/// scenario, is still asserted: such a run is "pass with a known difference"
/// ([`Status::Differs`], `pass*` in the matrix, each difference listed under it), and a failure
/// elsewhere is a failure.
#[derive(Debug, Clone, Copy)]
pub struct KnownDifference {
    /// The engines (on every column of each: live, replayed, in any kernel).
    pub engines: &'static [EngineKind],
    /// The event: its type and direction (`>` enter, `<` exit).
    pub event: (&'static str, &'static str),
    /// The param's key, e.g. `param.tuple`.
    pub key: &'static str,
    /// Which matchers of that event it concerns (what they expect says whether the case is
    /// the one the driver reports differently).
    pub applies: fn(&EventMatcher) -> bool,
    /// What the engine reports instead.
    pub seen: fn() -> Pred,
    /// Smoke scenarios whose runs on `engine` show it (the guest test checks that they still
    /// do, so the table cannot go stale silently).
    pub shown_by: &'static [&'static str],
    /// Why, with the evidence.
    pub why: &'static str,
}

/// The matcher expects `key` to be set (a tuple, an address).
fn expects_value(m: &EventMatcher, key: &str) -> bool {
    m.preds_on(key).any(|p| !matches!(p, Pred::Absent))
}

/// The matcher expects `key` to be null.
fn expects_null(m: &EventMatcher, key: &str) -> bool {
    m.preds_on(key).any(|p| matches!(p, Pred::Absent))
}

/// The matcher expects a failing call (a negative `res`).
fn expects_failure(m: &EventMatcher) -> bool {
    m.preds_on("param.res")
        .any(|p| matches!(p, Pred::Eq(v) if v.as_i64().is_some_and(|n| n < 0)))
}

/// The matcher expects a negative fd (a bad descriptor).
fn expects_bad_fd(m: &EventMatcher) -> bool {
    m.preds_on("param.fd")
        .any(|p| matches!(p, Pred::Eq(v) if v.as_i64().is_some_and(|n| n < 0)))
}

/// The known param differences between the drivers, found by diffing the kmod and modern eBPF
/// recordings of the network scenarios in the bookworm 6.1 guest (libs 0.20.0;
/// `sinspqa run --kernels bookworm --record DIR` keeps them).
pub const KNOWN_DIFFERENCES: &[KnownDifference] = &[
    KnownDifference {
        engines: &[EngineKind::Kmod],
        event: ("sendto", ">"),
        key: "param.tuple",
        applies: |m| expects_value(m, "param.tuple"),
        seen: absent,
        shown_by: &["tcp_client_server"],
        why: "kmod's sendto enter event carries no tuple when the call gives no address (a \
              connected socket); modern eBPF's carries the socket's",
    },
    KnownDifference {
        engines: &[EngineKind::Kmod],
        event: ("sendmsg", ">"),
        key: "param.tuple",
        applies: |m| expects_value(m, "param.tuple"),
        seen: absent,
        shown_by: &["unix_sockets"],
        why: "kmod's sendmsg enter event carries no tuple when the message has no address (a \
              connected socket); modern eBPF's carries the socket's",
    },
    KnownDifference {
        engines: &[EngineKind::Kmod],
        event: ("recvmsg", "<"),
        key: "param.tuple",
        applies: |m| expects_value(m, "param.tuple"),
        seen: absent,
        shown_by: &["unix_sockets"],
        why: "kmod's recvmsg exit event carries no tuple when the message has no address (a \
              connected socket); modern eBPF's carries the socket's",
    },
    KnownDifference {
        engines: &[EngineKind::Kmod],
        event: ("connect", "<"),
        key: "param.tuple",
        applies: |m| expects_failure(m) && expects_null(m, "param.tuple"),
        seen: present,
        shown_by: &["tcp_client_server"],
        why: "kmod reports the tuple a failed connect attempted (0.0.0.0:<ephemeral> -> \
              127.0.0.1:<port>; unix: \"\" -> the path); modern eBPF reports none",
    },
    KnownDifference {
        engines: &[EngineKind::Kmod],
        event: ("connect", ">"),
        key: "param.addr",
        applies: expects_bad_fd,
        seen: absent,
        shown_by: &[],
        why: "kmod's connect enter event on a bad fd carries no address; modern eBPF's carries \
              the one given",
    },
    KnownDifference {
        engines: &[EngineKind::Kmod, EngineKind::ModernBpf],
        event: ("execve", "<"),
        key: "param.flags",
        applies: |m| m.name() == EXECVEAT_FD,
        seen: || eq(9),
        shown_by: &[],
        why: EXECVEAT_OVERLAY,
    },
    KnownDifference {
        engines: &[EngineKind::ModernBpf],
        event: ("page_fault", ">"),
        key: "param.ip",
        applies: |m| expects_value(m, "param.ip"),
        seen: || eq(0),
        shown_by: &[],
        why: "a libs bug (0.20.0 to master 48dfd53cd): modern eBPF's page_fault programs store \
              the 8 bytes *at* regs->ip (bpf_probe_read_kernel(&ip, sizeof(ip), (void *)regs->ip) \
              in page_fault_user.bpf.c and page_fault_kernel.bpf.c), not regs->ip: a user fault's \
              ip reads as 0 (the kernel read of a user address fails), a kernel fault's as its \
              instruction bytes (0xca010f001f0faaf3: rep stosb; nop; clac)",
    },
];

const EXECVEAT_FD: &str = "execveat of /bin/true through its fd: the exec";
const EXECVEAT_OVERLAY: &str = "in the bookworm guest (root on an overlay), the exec made by \
    execveat(fd, \"\", AT_EMPTY_PATH) reports flags 9 (EXE_WRITABLE|EXE_LOWER_LAYER) where the \
    same kind of binary exec'd by path reports 1 (both engines)";

impl KnownDifference {
    /// Whether it concerns matcher `m`.
    pub fn concerns(&self, m: &EventMatcher) -> bool {
        m.event_types().iter().any(|t| t == self.event.0)
            && m.direction().as_deref() == Some(self.event.1)
            && (self.applies)(m)
    }
}

/// Allows, in `exp`, the known differences of the engine of `column` (live, replayed: the
/// replay of a recording shows what its driver reported, in any kernel). Returns how many
/// matchers they apply to.
pub fn allow_differences(exp: &mut Expectation, column: &Column) -> usize {
    let engine = column.engine;
    KNOWN_DIFFERENCES
        .iter()
        .filter(|d| d.engines.contains(&engine))
        .map(|d| {
            let why = format!("{} (libs 0.20.0; guests 5.10, 6.1, 7.3)", d.why);
            exp.allow_where(|m| d.concerns(m), d.key, &(d.seen)(), &why)
        })
        .sum()
}

/// The known issue a result matches, if any.
pub fn matching(r: &ScenarioResult) -> Option<&'static KnownIssue> {
    let Status::Fail(text) = &r.status else {
        return None;
    };
    let engine = r.column.engine;
    KNOWN_ISSUES
        .iter()
        .find(|k| k.engine == engine && text.contains(k.needle))
}

/// Turns a failure that matches a known issue into [`Status::KnownFailure`].
pub fn classify(mut r: ScenarioResult) -> ScenarioResult {
    if let Some(k) = matching(&r) {
        if let Status::Fail(text) = &r.status {
            r.status =
                Status::KnownFailure(format!("{} [{}]", k.why, text.lines().next().unwrap_or("")));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios;

    /// Each known difference concerns some matcher of the scenarios (a renamed step or a
    /// changed expectation would silently stop allowing it), and the smoke scenarios it names
    /// have such a matcher.
    #[test]
    fn every_known_difference_concerns_some_scenario() {
        let all: Vec<Expectation> = scenarios::all().iter().map(|s| s.steps.shape()).collect();
        for d in KNOWN_DIFFERENCES {
            let concerned = |e: &Expectation| {
                e.checks()
                    .iter()
                    .flat_map(|c| c.matchers())
                    .any(|m| d.concerns(m))
            };
            // Enter events exist up to libs 0.21 only.
            if d.event.1 == ">" && crate::event::exits_carry_enter_params() {
                continue;
            }
            assert!(all.iter().any(concerned), "{d:?} concerns no matcher");
            for name in d.shown_by {
                let s = scenarios::by_name(name).unwrap_or_else(|| panic!("no scenario {name}"));
                assert!(concerned(&s.steps.shape()), "{name}: {d:?}");
            }
        }
    }

    /// A difference is allowed on its engine's columns (live, replay, in a guest) only, and
    /// only where the matcher expects what the other driver reports.
    #[test]
    fn differences_apply_to_their_engine_and_case_only() {
        let s = scenarios::by_name("net_failures").unwrap();
        for (col, allowed) in [
            ("kmod", true),
            ("kmod+replay@6.1.0-57-amd64", true),
            ("modern_bpf", false),
            ("modern_bpf+replay", false),
        ] {
            let mut exp = s.steps.shape();
            allow_differences(&mut exp, &col.parse().unwrap());
            let connects: Vec<_> = exp
                .checks()
                .iter()
                .flat_map(|c| c.matchers())
                .filter(|m| m.event_types() == ["connect"] && m.direction().as_deref() == Some("<"))
                .collect();
            assert!(!connects.is_empty());
            for m in connects {
                // Failing connects expect no tuple; kmod reports one.
                assert_eq!(
                    m.allows("param.tuple"),
                    allowed && expects_failure(m),
                    "{col}: {}",
                    m.name()
                );
            }
        }
    }
}
