//! The kernel-module engine: reads `/dev/scap<cpu>` created by a loaded `scap.ko`.
use std::path::Path;

use crate::engine::effective_caps;
use crate::error::Error;
use crate::ffi;

const NAME: &str = "kmod";

/// Whether the kernel module is loaded and its devices can be opened.
pub fn availability() -> Result<(), Error> {
    if !ffi::has_engine(NAME) {
        return Err(Error::EngineUnavailable {
            engine: NAME,
            reason: "libs was built without it".into(),
        });
    }
    if !Path::new("/dev/scap0").exists() {
        return Err(Error::EngineUnavailable {
            engine: NAME,
            reason:
                "scap.ko is not loaded (no /dev/scap0); this kernel may not load modules at all"
                    .into(),
        });
    }
    if effective_caps() & (1 << 21) == 0 {
        return Err(Error::NotPermitted {
            engine: NAME,
            message: "needs root (CAP_SYS_ADMIN)".into(),
        });
    }
    Ok(())
}
