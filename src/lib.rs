//! sinspqa: capture core and integration-test harness for falcosecurity/libs.
//!
//! Open a capture on an engine (modern eBPF, kmod, legacy eBPF or a `.scap` file); a thread
//! drives libsinsp's event loop in-process and hands owned [`Event`]s to the consumer over a
//! bounded channel:
//!
//! ```no_run
//! use sinspqa::{Capture, Engine};
//! let cap = Capture::builder()
//!     .engine(Engine::ModernBpf)
//!     .filter("evt.type=openat and evt.dir=<")
//!     .open()?;
//! let ev = cap.events().recv().unwrap();
//! println!("{} {}", ev.name, serde_json::to_string(&ev).unwrap());
//! let stats = cap.stop()?;
//! # Ok::<(), sinspqa::Error>(())
//! ```
#![warn(missing_docs)]

mod batch;
pub mod bench;
pub mod capture;
pub mod column;
pub mod coverage;
pub mod crosscheck;
pub mod engine;
pub mod error;
pub mod event;
pub mod expect;
mod ffi;
pub mod guard;
pub mod known;
pub mod report;
pub mod scenarios;
pub mod schema;
pub mod suite;
pub mod vm;
pub mod workload;

pub use capture::{
    Capture, CaptureBuilder, CaptureStats, Events, DEFAULT_FIELDS, MAX_EVENT_ERRORS,
};
pub use engine::Engine;
pub use error::{Error, EventDefect, Result};
pub use event::{Direction, Event, FieldValue, Param, ParamValue, SockAddr};

/// The libs version this crate was built against ("custom" for a `FALCOSECURITY_LIBS_DIR` checkout).
pub const LIBS_VERSION: &str = ffi::build::LIBS_VERSION;

/// Path of the `sinsp-example` binary built from the same libs source.
pub const SINSP_EXAMPLE: &str = ffi::build::SINSP_EXAMPLE;

/// The libs source tree this crate was built from (its `test/` holds reference captures).
pub const LIBS_SOURCE_DIR: &str = ffi::build::LIBS_SOURCE_DIR;

/// The (cached) CMake build directory of that libs source.
pub const LIBS_BUILD_DIR: &str = ffi::build::LIBS_BUILD_DIR;

/// The upstream commit of that libs source (empty when unknown).
pub const LIBS_COMMIT: &str = ffi::build::LIBS_COMMIT;

/// How that libs source came: "debian", "tarball", "submodule" or "checkout".
pub const LIBS_ORIGIN: &str = ffi::build::LIBS_ORIGIN;

/// That libs source's `driver/SCHEMA_VERSION`.
pub const LIBS_SCHEMA_VERSION: &str = ffi::build::LIBS_SCHEMA_VERSION;
