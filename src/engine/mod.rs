//! Capture engines. One module per engine: each knows whether it can run here and how to open.
use std::path::PathBuf;

use crate::error::Error;
use crate::ffi::{self, Inspector, ShimError, ShimErrorKind};

pub mod kmod;
pub mod legacy_bpf;
pub mod modern_bpf;
mod rejection;
pub mod savefile;

pub use rejection::Rejection;

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// The modern eBPF probe (CO-RE, BTF), embedded in libscap.
    ModernBpf,
    /// The kernel module, through `/dev/scap*`.
    Kmod,
    /// The legacy eBPF probe: a `probe.o` built for the running kernel.
    LegacyBpf {
        /// Path of the compiled probe object.
        probe: PathBuf,
    },
    /// A `.scap` capture file.
    Savefile(PathBuf),
}

/// Engine-independent options used when opening.
#[derive(Debug, Clone)]
pub(crate) struct OpenOptions {
    pub buffer_size: u64,
    pub all_syscalls: bool,
}

impl Engine {
    /// The engine's name as libs spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::ModernBpf => "modern_bpf",
            Engine::Kmod => "kmod",
            Engine::LegacyBpf { .. } => "bpf",
            Engine::Savefile(_) => "savefile",
        }
    }

    /// The live engine's kind (its matrix column); `None` for a capture file.
    pub fn kind(&self) -> Option<crate::column::EngineKind> {
        use crate::column::EngineKind;
        match self {
            Engine::ModernBpf => Some(EngineKind::ModernBpf),
            Engine::Kmod => Some(EngineKind::Kmod),
            Engine::LegacyBpf { .. } => Some(EngineKind::LegacyBpf),
            Engine::Savefile(_) => None,
        }
    }

    /// Whether this engine is a live one (events from the kernel, which drops when we are slow).
    pub fn is_live(&self) -> bool {
        !matches!(self, Engine::Savefile(_))
    }

    /// Whether the libs this crate was built from has this engine at all (its build option was
    /// on and the version ships it: the legacy eBPF engine is gone from libs 0.24).
    pub fn built_in(&self) -> bool {
        ffi::has_engine(self.name())
    }

    /// Checks, without opening anything, whether the engine can run here; the error says why not.
    pub fn availability(&self) -> Result<(), Error> {
        match self {
            Engine::ModernBpf => modern_bpf::availability(),
            Engine::Kmod => kmod::availability(),
            Engine::LegacyBpf { probe } => legacy_bpf::availability(probe),
            Engine::Savefile(p) => savefile::availability(p),
        }
    }

    /// Opens the engine for real and closes it again: loads (and unloads) its probe, or opens
    /// the device or the file. Where [`Self::availability`] only looks at the machine, this asks
    /// the kernel, so a driver its verifier refuses shows here as [`Error::DriverRejected`].
    pub fn load_check(&self) -> Result<(), Error> {
        // `open` checks availability first
        let _slot = crate::capture::LiveSlot::acquire(self)?;
        let mut insp = Inspector::new().map_err(|e| Error::Libs(e.message))?;
        let o = OpenOptions {
            buffer_size: 0,
            all_syscalls: false,
        };
        let r = self.open(&mut insp, &o);
        insp.close();
        r
    }

    pub(crate) fn open(&self, insp: &mut Inspector, o: &OpenOptions) -> Result<(), Error> {
        self.availability()?;
        let r = match self {
            Engine::ModernBpf => insp.open_modern_bpf(o.buffer_size, 1, o.all_syscalls),
            Engine::Kmod => insp.open_kmod(o.buffer_size, o.all_syscalls),
            Engine::LegacyBpf { probe } => insp.open_bpf(probe, o.buffer_size, o.all_syscalls),
            Engine::Savefile(p) => insp.open_savefile(p),
        };
        r.map_err(|e| self.classify_open_error(e))
    }

    /// The error of a failed open, by the shim's code and the OS error behind it (the errno
    /// libscap wrote into its message, else errno after the failure: see `sq_error` in
    /// shim.h), never by the message's wording; a driver the verifier refused is told by the
    /// verifier's log of the open.
    fn classify_open_error(&self, e: ShimError) -> Error {
        if e.kind == ShimErrorKind::NotSupported {
            return Error::EngineUnavailable {
                engine: self.name(),
                reason: e.message,
            };
        }
        if let Engine::Savefile(p) = self {
            return Error::CorruptFile {
                path: p.clone(),
                message: e.message,
            };
        }
        if let Some(rejection) = Rejection::from_open(&e.log, &e.message) {
            return Error::DriverRejected {
                engine: self.name(),
                rejection,
                message: e.message,
            };
        }
        if e.is_permission() {
            Error::NotPermitted {
                engine: self.name(),
                message: e.message,
            }
        } else {
            Error::EngineUnavailable {
                engine: self.name(),
                reason: e.message,
            }
        }
    }
}

/// Effective capabilities of this process (bit n = capability n), from /proc/self/status.
pub(crate) fn effective_caps() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(0)
}

const CAP_SYS_ADMIN: u64 = 21;
const CAP_PERFMON: u64 = 38;
const CAP_BPF: u64 = 39;

/// Whether this process may load and attach BPF programs for tracing.
pub(crate) fn can_load_bpf() -> Result<(), String> {
    let caps = effective_caps();
    let has = |c: u64| caps & (1 << c) != 0;
    if has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)) {
        Ok(())
    } else {
        Err(format!(
            "needs root or CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN); effective capabilities are {caps:#x}"
        ))
    }
}

/// Every live engine libs was built with, in matrix order (the legacy probe needs a path).
pub fn live_engines() -> Vec<Engine> {
    vec![Engine::ModernBpf, Engine::Kmod]
}
