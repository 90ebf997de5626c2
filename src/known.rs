//! Known driver incompatibilities of the pinned libs, each with its evidence. A failure that
//! matches one is reported as `xfail` (expected failure) instead of `FAIL`; a known failure that
//! stops happening shows up as a plain pass in that column, and the test that pins it fails, so
//! the table cannot go stale silently.
use crate::suite::{ScenarioResult, Status};

/// One known incompatibility.
#[derive(Debug, Clone, Copy)]
pub struct KnownIssue {
    /// Engine name (the column's prefix).
    pub engine: &'static str,
    /// Text that identifies the failure in its report.
    pub needle: &'static str,
    /// Why it happens.
    pub why: &'static str,
}

/// The known issues of libs 0.20.0 on the kernels of the matrix.
#[rustfmt::skip]
pub const KNOWN_ISSUES: &[KnownIssue] = &[KnownIssue {
    engine: "bpf",
    needle: "unable to mmap the perf-buffer",
    why: "libs 0.20's legacy eBPF engine maps each perf ring buffer twice with an overlapping \
          MAP_FIXED mapping (to mirror the data pages); current stable kernels refuse to split a \
          perf buffer mapping, so the second mmap fails with ENOMEM (strace: mmap(..., MAP_SHARED|\
          MAP_FIXED, <perf fd>, 0) = -1 ENOMEM). libs' own sinsp-example -b aborts the same way.",
},
// Where the drivers disagree (found by the whole-call scenarios in the bookworm 6.1 guest,
// libs 0.20.0): modern eBPF's behaviour is what the scenario asserts; kmod's is recorded here.
KnownIssue {
    engine: "kmod",
    needle: "\"sendto on the connection (NULL address) (enter)\" unmatched",
    why: "kmod's sendto enter event carries no tuple when the call gives no address (a connected \
          socket); modern eBPF's carries the socket's tuple (libs 0.20.0, where sendto has an enter \
          event; seen in the bookworm 6.1 guest).",
},
KnownIssue {
    engine: "kmod",
    needle: "\"the client sends (enter)\" unmatched",
    why: "kmod's sendto enter event carries no tuple when the call gives no address (a connected \
          socket); modern eBPF's carries the socket's tuple (libs 0.20.0, where sendto has an enter \
          event; seen in the bookworm 6.1 guest with net_ipv4's and net_ipv6's same call).",
},
KnownIssue {
    engine: "kmod",
    needle: "\"sendmsg on the pair (enter)\" unmatched",
    why: "kmod's sendmsg enter event on a connected AF_UNIX socket carries no tuple; modern eBPF's \
          carries the pair's (libs 0.20.0, bookworm 6.1 guest, as net_unix's same call).",
},
KnownIssue {
    engine: "kmod",
    needle: "\"sendmsg on the socketpair (enter)\" unmatched",
    why: "kmod's sendmsg enter event on a connected AF_UNIX socket carries no tuple; modern eBPF's \
          carries the pair's (libs 0.20.0, bookworm 6.1 guest).",
},
KnownIssue {
    engine: "kmod",
    needle: "\"connect to a port nobody listens on is refused\" unmatched",
    why: "kmod reports the tuple of a refused connect (0.0.0.0:<ephemeral> -> 127.0.0.1:<port>); \
          modern eBPF reports an empty tuple (libs 0.20.0, bookworm 6.1 guest).",
},
KnownIssue {
    engine: "kmod",
    needle: "\"getresuid on bad pointers\" unmatched",
    why: "kmod emits no getresuid exit event when the result pointers are bad (EFAULT): the event \
          is lost; modern eBPF reports it with res -14 and 0 ids (libs 0.20.0, bookworm 6.1 guest).",
},
KnownIssue {
    engine: "kmod",
    needle: "\"execveat of /bin/true through its fd: the exec\" unmatched",
    why: "in the bookworm guest (root on an overlay), the exec made by execveat(fd, \"\", \
          AT_EMPTY_PATH) reports flags 9 (EXE_WRITABLE|EXE_LOWER_LAYER) where the same kind of \
          binary exec'd by path reports 1 (both engines, libs 0.20.0, kernel 6.1).",
},
KnownIssue {
    engine: "modern_bpf",
    needle: "\"execveat of /bin/true through its fd: the exec\" unmatched",
    why: "in the bookworm guest (root on an overlay), the exec made by execveat(fd, \"\", \
          AT_EMPTY_PATH) reports flags 9 (EXE_WRITABLE|EXE_LOWER_LAYER) where the same kind of \
          binary exec'd by path reports 1 (both engines, libs 0.20.0, kernel 6.1).",
}];

/// The known issue a result matches, if any.
pub fn matching(r: &ScenarioResult) -> Option<&'static KnownIssue> {
    let Status::Fail(text) = &r.status else {
        return None;
    };
    let engine = r.column.split(['+', '@']).next().unwrap_or("");
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
