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

pub use capture::{Capture, CaptureBuilder, CaptureStats, Events, DEFAULT_FIELDS};
pub use engine::Engine;
pub use error::{Error, Result};
pub use event::{Direction, Event, FieldValue, Param, ParamValue, SockAddr};

/// The libs version this crate was built against ("custom" for a `FALCOSECURITY_LIBS_DIR` checkout).
pub const LIBS_VERSION: &str = sinsp_sys::LIBS_VERSION;

/// Path of the `sinsp-example` binary built from the same libs source.
pub const SINSP_EXAMPLE: &str = sinsp_sys::SINSP_EXAMPLE;

/// The libs source tree this crate was built from (its `test/` holds reference captures).
pub const LIBS_SOURCE_DIR: &str = sinsp_sys::LIBS_SOURCE_DIR;

/// The (cached) CMake build directory of that libs source.
pub const LIBS_BUILD_DIR: &str = sinsp_sys::LIBS_BUILD_DIR;
