//! Replays of files we are handed run in a child process, so that libsinsp dying on a hostile
//! capture is a finding the tool reports, not the tool's own death.
//!
//! `sinspqa capture -r FILE` re-runs itself as a *guarded child* (environment
//! [`GUARDED_ENV`]) with stdout inherited, so events flow straight to the user. The child
//! publishes the number of the last event it handed out in a shared 8-byte file
//! ([`Progress`]) and, should it die of a signal, prints the innermost frames of the crashing
//! thread on stderr (prefixed [`FRAME_PREFIX`]) before dying of that signal. The parent then says
//! who crashed, after which event, and with which frames ([`Crash`]).
//!
//! An in-process caller of the library ([`crate::Capture`] on a savefile) gets no such guard: a
//! libsinsp crash on a hostile file ends its process, as it ends sinsp-example's. Run hostile
//! files through [`run_guarded`] (or `sinspqa capture -r`) when that matters.
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicPtr, Ordering};

/// Set in the guarded child's environment: the path of its progress file.
pub const GUARDED_ENV: &str = "SINSPQA_GUARDED_PROGRESS";

/// Prefix of the crash-frame lines the guarded child prints on stderr.
pub const FRAME_PREFIX: &str = "sinspqa-crash-frame: ";

/// Who a crash's innermost frames belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Culprit {
    /// libsinsp or libscap (C/C++ frames of libs): a libs bug.
    Libs,
    /// This crate's Rust code: a bug of ours.
    Ours,
    /// The frames did not say (stripped, or no frame printed).
    Unknown,
}

/// A guarded child that died of a signal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Crash {
    /// The signal number.
    pub signal: i32,
    /// Its name (`SIGSEGV`, ...).
    pub signal_name: String,
    /// The last event handed out before the crash (None: none was).
    pub after_event: Option<u64>,
    /// Who the innermost frames belong to.
    pub culprit: Culprit,
    /// The innermost frames, innermost first.
    pub frames: Vec<String>,
}

impl Crash {
    /// The one-line report: "libsinsp crashed (SIGSEGV) after event N of FILE: a libs bug".
    pub fn report(&self, file: &Path) -> String {
        let after = match self.after_event {
            Some(n) => format!("after event {n}"),
            None => "before its first event".to_string(),
        };
        let (who, verdict) = match self.culprit {
            Culprit::Libs => ("libsinsp", "a libs bug"),
            Culprit::Ours => ("sinspqa", "a bug of sinspqa"),
            Culprit::Unknown => ("the replay", "no frame says whose bug"),
        };
        let top: Vec<&str> = self
            .frames
            .iter()
            .filter(|f| !is_noise(f.split(" at ").next().unwrap_or(f)))
            .take(3)
            .map(|s| s.as_str())
            .collect();
        format!(
            "{who} crashed ({}) {after} of {}: {verdict}{}",
            self.signal_name,
            file.display(),
            if top.is_empty() {
                String::new()
            } else {
                format!(" (innermost: {})", top.join(" <- "))
            }
        )
    }
}

/// The name of a signal.
pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGBUS => "SIGBUS".into(),
        libc::SIGFPE => "SIGFPE".into(),
        libc::SIGILL => "SIGILL".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        n => format!("signal {n}"),
    }
}

/// Frames that say nothing of the crash: the handler's, std's, libc's, unsymbolized ones.
fn is_noise(sym: &str) -> bool {
    sym.contains("sinspqa::guard")
        || sym.starts_with("std::")
        || sym.starts_with("core::")
        || sym.starts_with("__")
        || sym.contains("<unknown>")
}

/// Whose frames these are: the innermost frame that is neither the handler's nor std's nor
/// libc's decides. A frame whose source file is this crate's (its Rust code or the shim under
/// `sys/shim/`) is ours; one in libs' sources, or naming libsinsp or libscap (libs is built
/// without debug info), is libs'.
pub fn culprit(frames: &[String]) -> Culprit {
    let ours = env!("CARGO_MANIFEST_DIR");
    for f in frames {
        let (sym, file) = match f.split_once(" at ") {
            Some((s, at)) => (s, Some(at)),
            None => (f.as_str(), None),
        };
        if is_noise(sym) {
            continue;
        }
        if let Some(file) = file {
            if file.contains("/userspace/libsinsp/") || file.contains("/userspace/libscap/") {
                return Culprit::Libs;
            }
            if file.starts_with(ours) {
                return Culprit::Ours;
            }
        }
        if sym.contains("sinspqa") || sym.contains("sq_") {
            return Culprit::Ours;
        }
        if sym.contains("sinsp") || sym.contains("scap") {
            return Culprit::Libs;
        }
    }
    Culprit::Unknown
}

/// The guarded child's progress: the last event number it handed out, in a shared file the
/// parent reads after the child died.
pub struct Progress {
    ptr: *mut u64,
}

static PROGRESS: AtomicPtr<u64> = AtomicPtr::new(std::ptr::null_mut());

impl Progress {
    /// In a guarded child: maps the progress file named by [`GUARDED_ENV`] and installs the
    /// crash handler. None outside a guarded child.
    pub fn child() -> Option<Progress> {
        let path = std::env::var_os(GUARDED_ENV)?;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .ok()?;
        f.set_len(8).ok()?;
        use std::os::fd::AsRawFd;
        // SAFETY: mapping 8 bytes of a file we just sized to 8 bytes, shared, read-write; the
        // mapping outlives the fd (closed when `f` drops) and the process (never unmapped).
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                8,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        let ptr = p as *mut u64;
        PROGRESS.store(ptr, Ordering::Release);
        install_crash_handler();
        Some(Progress { ptr })
    }

    /// Records that event `num` was handed out (stored as num + 1; 0 means none).
    pub fn handed_out(&self, num: u64) {
        // SAFETY: `ptr` is an 8-byte aligned shared mapping that lives as long as the process.
        unsafe { std::ptr::write_volatile(self.ptr, num.wrapping_add(1)) };
    }
}

fn install_crash_handler() {
    extern "C" fn on_crash(sig: libc::c_int) {
        // Not async-signal-safe, and it need not be: the process is dying of this signal, and
        // the frames are worth the risk of a hang (the parent's wait is the guard).
        let bt = std::backtrace::Backtrace::force_capture().to_string();
        let mut err = std::io::stderr().lock();
        // "N: symbol" lines, each maybe followed by "at file:line": one line per frame.
        let mut frames: Vec<String> = Vec::new();
        for line in bt.lines() {
            let l = line.trim();
            if let Some(at) = l.strip_prefix("at ") {
                if let Some(last) = frames.last_mut() {
                    last.push_str(" at ");
                    last.push_str(at);
                }
            } else if let Some((idx, sym)) = l.split_once(": ") {
                if idx.chars().all(|c| c.is_ascii_digit()) {
                    frames.push(sym.to_string());
                }
            }
        }
        for f in frames.iter().take(24) {
            let _ = writeln!(err, "{FRAME_PREFIX}{f}");
        }
        let _ = err.flush();
        // SAFETY: restoring the default action and re-raising: the process dies of `sig`.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }
    for sig in [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGABRT,
        libc::SIGFPE,
        libc::SIGILL,
    ] {
        // SAFETY: installing a handler for a fatal signal; it re-raises with the default action.
        unsafe {
            libc::signal(sig, on_crash as *const () as libc::sighandler_t);
        }
    }
}

/// How a guarded run ended.
#[derive(Debug)]
pub enum Guarded {
    /// The child exited with this status code.
    Exited(i32),
    /// The child died of a signal.
    Crashed(Crash),
}

/// Runs `cmd` as a guarded child (stdout and stdin as the caller set them; stderr passed through
/// except the crash frames) and says how it ended.
pub fn run_guarded(mut cmd: Command) -> std::io::Result<Guarded> {
    let progress = tempfile::NamedTempFile::new()?;
    progress.as_file().set_len(8)?;
    cmd.env(GUARDED_ENV, progress.path()).stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let mut frames = Vec::new();
    if let Some(err) = child.stderr.take() {
        let mut out = std::io::stderr();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            match line.strip_prefix(FRAME_PREFIX) {
                Some(f) => frames.push(f.to_string()),
                None => {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
    }
    let status: ExitStatus = child.wait()?;
    if let Some(code) = status.code() {
        return Ok(Guarded::Exited(code));
    }
    let signal = status.signal().unwrap_or(0);
    let raw = std::fs::read(progress.path()).unwrap_or_default();
    let n = raw
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .unwrap_or(0);
    Ok(Guarded::Crashed(Crash {
        signal,
        signal_name: signal_name(signal),
        after_event: n.checked_sub(1),
        culprit: culprit(&frames),
        frames,
    }))
}

/// Where crash findings are kept: `$SINSPQA_FINDINGS`, else `target/sinspqa-report/findings`.
pub fn findings_dir() -> PathBuf {
    std::env::var_os("SINSPQA_FINDINGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/sinspqa-report/findings"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_say_whose_crash_it_is() {
        let f = |v: &[&str]| culprit(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            f(&[
                "sinspqa::guard::install_crash_handler::on_crash",
                "__restore_rt",
                "sinsp_parser::parse_group_evt",
                "sinspqa::capture::run"
            ]),
            Culprit::Libs
        );
        assert_eq!(
            f(&[
                "sinspqa::guard::install_crash_handler::on_crash",
                "__restore_rt",
                "sinspqa::batch::append_reserved",
                "sinsp::next"
            ]),
            Culprit::Ours
        );
        let shim = format!(
            "_ZN12_GLOBAL__N_110read_paramIlEEbPK15sinsp_evt_paramPl at {}/sys/shim/shim.cpp:397:7",
            env!("CARGO_MANIFEST_DIR")
        );
        assert_eq!(f(&["__restore_rt", &shim, "sinsp::next"]), Culprit::Ours);
        assert_eq!(f(&["__restore_rt", "<unknown>"]), Culprit::Unknown);
        let c = Crash {
            signal: libc::SIGSEGV,
            signal_name: signal_name(libc::SIGSEGV),
            after_event: Some(41),
            culprit: Culprit::Libs,
            frames: vec!["sinsp_parser::parse_group_evt".into()],
        };
        assert_eq!(
            c.report(Path::new("x.scap")),
            "libsinsp crashed (SIGSEGV) after event 41 of x.scap: a libs bug (innermost: sinsp_parser::parse_group_evt)"
        );
    }
}
