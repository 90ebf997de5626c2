//! The legacy eBPF engine: a `probe.o` compiled for the running kernel (libs up to 0.23 has it;
//! 0.24 removed it).
use std::path::Path;

use crate::engine::can_load_bpf;
use crate::error::Error;
use crate::ffi;

const NAME: &str = "bpf";

/// Whether the legacy probe exists and may be loaded.
pub fn availability(probe: &Path) -> Result<(), Error> {
    if !ffi::has_engine(NAME) {
        return Err(Error::EngineUnavailable {
            engine: NAME,
            reason: format!(
                "libs {} has no legacy eBPF engine (upstream removed it in 0.24)",
                crate::LIBS_VERSION
            ),
        });
    }
    if !probe.is_file() {
        return Err(Error::EngineUnavailable {
            engine: NAME,
            reason: format!(
                "no probe object at {} (build it for this kernel)",
                probe.display()
            ),
        });
    }
    can_load_bpf().map_err(|message| Error::NotPermitted {
        engine: NAME,
        message,
    })
}
