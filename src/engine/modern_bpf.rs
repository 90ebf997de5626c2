//! The modern eBPF engine: CO-RE probe embedded in libpman; needs BTF and BPF privileges.
use std::path::Path;

use crate::engine::can_load_bpf;
use crate::error::Error;
use crate::ffi;

const NAME: &str = "modern_bpf";

/// Whether modern eBPF capture can run on this machine.
pub fn availability() -> Result<(), Error> {
    if !ffi::has_engine(NAME) {
        return Err(Error::EngineUnavailable {
            engine: NAME,
            reason: "libs was built without it".into(),
        });
    }
    can_load_bpf().map_err(|message| Error::NotPermitted {
        engine: NAME,
        message,
    })?;
    if !Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Err(Error::EngineUnavailable {
            engine: NAME,
            reason: "the kernel exposes no BTF (/sys/kernel/btf/vmlinux missing)".into(),
        });
    }
    if !ffi::modern_bpf_supported() {
        return Err(Error::EngineUnavailable {
            engine: NAME,
            reason: "the kernel lacks ring buffer maps or raw tracepoint programs (libpman check)"
                .into(),
        });
    }
    Ok(())
}
