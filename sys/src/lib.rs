//! Raw FFI to falcosecurity/libs (libscap + libsinsp) through the `sinspqa` C shim.
//!
//! Everything here is `unsafe` and mirrors `shim/shim.h`; the safe API lives in the `sinspqa`
//! crate. The build script compiles libs from the pinned source (or `FALCOSECURITY_LIBS_DIR`),
//! links it statically and generates these bindings with bindgen.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code
)]
#![allow(clippy::all)]

mod bindings {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}
pub use bindings::*;

/// Path of the `sinsp-example` binary built from the same libs source.
pub const SINSP_EXAMPLE: &str = env!("SINSP_SYS_SINSP_EXAMPLE");
/// The libs source tree this crate was built from.
pub const LIBS_SOURCE_DIR: &str = env!("SINSP_SYS_LIBS_SOURCE");
/// The CMake build directory of libs (inside the shared build cache).
pub const LIBS_BUILD_DIR: &str = env!("SINSP_SYS_LIBS_BUILD");
/// libs version as `libs.sources` names it ("0.20.0", "0.25.4", "master"), "custom" for a
/// user's checkout.
pub const LIBS_VERSION: &str = env!("SINSP_SYS_LIBS_VERSION");
/// The upstream commit of the libs source (empty when unknown).
pub const LIBS_COMMIT: &str = env!("SINSP_SYS_LIBS_COMMIT");
/// How the source came: "debian", "tarball", "submodule" or "checkout" (never patched).
pub const LIBS_ORIGIN: &str = env!("SINSP_SYS_LIBS_ORIGIN");
/// The source's `driver/SCHEMA_VERSION`.
pub const LIBS_SCHEMA_VERSION: &str = env!("SINSP_SYS_LIBS_SCHEMA");
