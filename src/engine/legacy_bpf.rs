//! The legacy eBPF engine: a `probe.o` compiled for the running kernel (libs 0.20 still has it).
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
            reason: "libs was built without it".into(),
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
