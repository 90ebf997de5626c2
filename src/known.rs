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
pub const KNOWN_ISSUES: &[KnownIssue] = &[KnownIssue {
    engine: "bpf",
    needle: "unable to mmap the perf-buffer",
    why: "libs 0.20's legacy eBPF engine maps each perf ring buffer twice with an overlapping \
          MAP_FIXED mapping (to mirror the data pages); current stable kernels refuse to split a \
          perf buffer mapping, so the second mmap fails with ENOMEM (strace: mmap(..., MAP_SHARED|\
          MAP_FIXED, <perf fd>, 0) = -1 ENOMEM). libs' own sinsp-example -b aborts the same way.",
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
