//! Typed errors of the capture core.
use std::path::PathBuf;

/// Everything that can go wrong when opening or running a capture.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The sinsp filter does not compile; `message` is libs' own message.
    #[error("invalid filter {filter:?}: {message}")]
    InvalidFilter {
        /// The filter as given.
        filter: String,
        /// libsinsp's compiler message.
        message: String,
    },
    /// A requested output field does not exist in libsinsp.
    #[error("invalid field {field:?}: {message}")]
    InvalidField {
        /// The field name as given.
        field: String,
        /// Why it was rejected.
        message: String,
    },
    /// The engine needs privileges this process does not have (root, CAP_BPF/CAP_SYS_ADMIN).
    #[error("not permitted to open the {engine} engine: {message}")]
    NotPermitted {
        /// Engine name.
        engine: &'static str,
        /// What is missing, or libs' message.
        message: String,
    },
    /// The engine cannot run here (not compiled in, kernel lacks support, driver not loaded).
    #[error("engine {engine} unavailable: {reason}")]
    EngineUnavailable {
        /// Engine name.
        engine: &'static str,
        /// Why.
        reason: String,
    },
    /// The kernel refused to load the engine's driver: the BPF verifier rejected one of its
    /// programs. `rejection` names the program and the verifier's verdict (with its log's last
    /// lines); `message` is libscap's own (often only "Initialization issues during scap_init").
    #[error("{engine} rejected by this kernel: {rejection}")]
    DriverRejected {
        /// Engine name.
        engine: &'static str,
        /// The refused program and what the verifier said.
        rejection: crate::engine::Rejection,
        /// libscap's message.
        message: String,
    },
    /// A capture file that does not exist.
    #[error("capture file not found: {}", .0.display())]
    FileNotFound(PathBuf),
    /// A capture file that libscap cannot read at all (garbage, wrong format).
    #[error("corrupt capture file {}: {message}", path.display())]
    CorruptFile {
        /// The file.
        path: PathBuf,
        /// libscap's message.
        message: String,
    },
    /// A capture file that ends in the middle of its data: the events before the cut were delivered.
    #[error("truncated capture file {}: {message} (after {events_delivered} events)", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// How many events were read before the cut.
        events_delivered: u64,
        /// libscap's message.
        message: String,
    },
    /// One event's encoding is corrupt (a capture file's, or a driver's bug): the capture went
    /// on past it, as libsinsp does, delivering the event cut to what its params account for
    /// (never read past its bytes). Reported by [`crate::Capture::event_errors`].
    #[error("corrupt event {num}: {defect}")]
    CorruptEvent {
        /// sinsp's event number (`evt.num`).
        num: u64,
        /// What is wrong with it.
        defect: EventDefect,
    },
    /// The dump file could not be written.
    #[error("cannot write capture file {}: {message}", path.display())]
    Dump {
        /// The file.
        path: PathBuf,
        /// libs' message.
        message: String,
    },
    /// A live capture failed while reading events.
    #[error("capture failed on {engine}: {message}")]
    Capture {
        /// Engine name.
        engine: &'static str,
        /// libs' message.
        message: String,
    },
    /// Any other failure reported by libs.
    #[error("libs error: {0}")]
    Libs(String),
    /// An I/O error of the harness itself.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The error as a report: its one-line message, then what the kernel said when it refused
    /// a driver (the verifier log's last lines, indented), and what to do about it.
    pub fn report(&self) -> String {
        let mut out = self.to_string();
        if let Error::DriverRejected {
            rejection, message, ..
        } = self
        {
            if !rejection.log_tail.is_empty() {
                out.push_str("\n  the verifier's last lines:");
                for l in &rejection.log_tail {
                    out.push_str("\n    ");
                    out.push_str(l);
                }
            }
            out.push_str(&format!("\n  libscap said: {message}"));
            out.push_str(
                "\n  this libs' driver does not load on this kernel: a libs bug to report (or to fix \
                 with a patch, see the README's \"A driver this kernel rejects\")",
            );
        }
        out
    }
}

/// What is wrong with one event's encoding (libscap's header, the params' lengths, their bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "defect", rename_all = "snake_case")]
pub enum EventDefect {
    /// Fewer bytes than libscap's event header (26).
    ShortHeader {
        /// The bytes the event has.
        bytes: u32,
    },
    /// The header's length disagrees with the bytes the params' lengths account for: the event
    /// was delivered as `params_extent` bytes, the params that are whole.
    LengthMismatch {
        /// The length the header claims.
        header_len: u32,
        /// The bytes the header and the params' lengths account for, within the event.
        params_extent: u32,
    },
}

impl std::fmt::Display for EventDefect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventDefect::ShortHeader { bytes } => {
                write!(f, "{bytes} bytes, shorter than an event header")
            }
            EventDefect::LengthMismatch {
                header_len,
                params_extent,
            } => write!(
                f,
                "its header claims {header_len} bytes, its params account for {params_extent}; \
                 delivered cut to {params_extent}"
            ),
        }
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
