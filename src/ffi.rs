//! The one module that talks to libs: it owns a libsinsp inspector handle (`sq_inspector`),
//! makes every `unsafe` call into the shim, and turns what the shim hands out (raw pointers
//! and lengths, C strings, libs' static tables, error codes) into safe Rust values:
//! [`RawEvent`], a borrowed view of the current event (its encoded bytes, its header, its
//! field values as [`FieldRef`]s), the event table ([`event_table_entries`]), and
//! [`ShimError`] with its [`ShimErrorKind`]. No other module names `sinsp_sys`: the libs
//! constants they use are re-exported from [`abi`], the build facts from [`build`].
use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Mutex;

use sinsp_sys as sys;

use crate::event::{Direction, EventInfo, ParamInfo};

/// libs' constants (event categories and flags, param types) as the bindings spell them.
pub(crate) mod abi {
    pub(crate) use sinsp_sys::{
        EC_FILE, EC_IO_OTHER, EC_IO_READ, EC_IO_WRITE, EC_IPC, EC_MEMORY, EC_NET, EC_OTHER,
        EC_PROCESS, EC_PROCESSING, EC_SCHEDULER, EC_SIGNAL, EC_SLEEP, EC_SYSCALL, EC_SYSTEM,
        EC_TIME, EC_USER, EC_WAIT, EF_LARGE_PAYLOAD, EF_OLD_VERSION, EF_UNUSED, PT_ABSTIME,
        PT_BOOL, PT_BYTEBUF, PT_CHARBUF, PT_CHARBUFARRAY, PT_CHARBUF_PAIR_ARRAY, PT_DOUBLE,
        PT_ENUMFLAGS16, PT_ENUMFLAGS32, PT_ENUMFLAGS8, PT_ERRNO, PT_FD, PT_FDLIST, PT_FLAGS16,
        PT_FLAGS32, PT_FLAGS8, PT_FSPATH, PT_FSRELPATH, PT_GID, PT_INT16, PT_INT32, PT_INT64,
        PT_INT8, PT_IPADDR, PT_IPNET, PT_IPV4ADDR, PT_IPV4NET, PT_IPV6ADDR, PT_IPV6NET, PT_L4PROTO,
        PT_MAX, PT_MODE, PT_PID, PT_PORT, PT_RELTIME, PT_SIGSET, PT_SIGTYPE, PT_SOCKADDR,
        PT_SOCKFAMILY, PT_SOCKTUPLE, PT_SYSCALLID, PT_UID, PT_UINT16, PT_UINT32, PT_UINT64,
        PT_UINT8,
    };
}

/// What the build of libs is: version, source, commit (see `sinsp-sys`).
pub(crate) mod build {
    pub(crate) use sinsp_sys::{
        LIBS_BUILD_DIR, LIBS_COMMIT, LIBS_ORIGIN, LIBS_SCHEMA_VERSION, LIBS_SOURCE_DIR,
        LIBS_VERSION, SINSP_EXAMPLE,
    };
}

/// The kind of a shim failure, from the shim's `SQ_E_*` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShimErrorKind {
    /// `SQ_E_FILTER`: the filter does not compile.
    Filter,
    /// `SQ_E_FIELD`: a field name libsinsp does not know ([`ShimError::item`] says which).
    Field,
    /// `SQ_E_OPEN`: the engine could not be opened (see `scap_rc` and `os_errno`).
    Open,
    /// `SQ_E_READ`: reading the next event failed.
    Read,
    /// `SQ_E_NOT_SUPPORTED`: the engine is not compiled into this libs.
    NotSupported,
    /// `SQ_E_DUMP`: the dump file could not be written.
    Dump,
    /// `SQ_E_GENERIC`, an unknown code, or a failure on the Rust side of the call.
    Other,
}

impl ShimErrorKind {
    fn of(code: i32) -> Self {
        match code {
            sys::SQ_E_FILTER => ShimErrorKind::Filter,
            sys::SQ_E_FIELD => ShimErrorKind::Field,
            sys::SQ_E_OPEN => ShimErrorKind::Open,
            sys::SQ_E_READ => ShimErrorKind::Read,
            sys::SQ_E_NOT_SUPPORTED => ShimErrorKind::NotSupported,
            sys::SQ_E_DUMP => ShimErrorKind::Dump,
            _ => ShimErrorKind::Other,
        }
    }
}

/// An error reported by the shim: its kind (from the shim's code), libscap's return code, the
/// OS error behind it, and libs' message.
#[derive(Debug, Clone)]
pub(crate) struct ShimError {
    /// The shim's code, as a kind.
    pub kind: ShimErrorKind,
    /// libscap's return code when known, else 0.
    #[allow(dead_code)]
    pub scap_rc: i32,
    /// The errno behind the failure (the one libscap wrote into its message, else errno right
    /// after the failure), 0 if none.
    pub os_errno: i32,
    /// Which item of the call failed (the field of `sq_set_fields`), when the shim says.
    pub item: Option<usize>,
    /// libs' message.
    pub message: String,
    /// libs' log lines written while a failing open ran (empty for other calls).
    pub log: String,
}

impl ShimError {
    fn from_raw(e: &sys::sq_error) -> Self {
        // The shim always NUL-terminates `msg` (snprintf into the fixed buffer); looking for
        // the NUL within the array makes that a checked fact rather than a trusted one.
        // SAFETY: `c_char` and `u8` have the same size and alignment; the slice covers exactly
        // the array `msg`, which lives as long as `e`.
        let bytes: &[u8] =
            unsafe { std::slice::from_raw_parts(e.msg.as_ptr().cast::<u8>(), e.msg.len()) };
        let message = CStr::from_bytes_until_nul(bytes)
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned());
        ShimError {
            kind: ShimErrorKind::of(e.code),
            scap_rc: e.scap_rc,
            os_errno: e.os_errno,
            item: usize::try_from(e.item).ok(),
            message,
            log: String::new(),
        }
    }
    fn local(message: impl Into<String>) -> Self {
        ShimError {
            kind: ShimErrorKind::Other,
            scap_rc: 0,
            os_errno: 0,
            item: None,
            message: message.into(),
            log: String::new(),
        }
    }

    /// Whether the OS refused for lack of privilege (EPERM or EACCES).
    pub fn is_permission(&self) -> bool {
        self.os_errno == libc::EPERM || self.os_errno == libc::EACCES
    }
}

/// A field value of the current event, borrowed from the inspector (valid until its next call).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FieldRef<'a> {
    /// The field has no value for this event.
    Null,
    /// A signed number.
    I64(i64),
    /// An unsigned number.
    U64(u64),
    /// A floating point number.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// A string's bytes (UTF-8 not checked).
    Str(&'a [u8]),
    /// A string's bytes, which the shim has checked are ASCII.
    Ascii(&'a [u8]),
    /// JSON text of a list or an object.
    Json(&'a [u8]),
    /// A string with static storage (the shim's literals: result and category names, ...).
    Static(&'static str),
}

/// The field values of the current event, in the order given to [`Inspector::set_fields`].
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a>(&'a [sys::sq_value]);

impl<'a> Fields<'a> {
    /// Number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The bytes of every text value (strings and JSON) together: what copying them takes.
    #[inline(always)]
    pub fn text_len(&self) -> usize {
        self.0
            .iter()
            .filter(|v| matches!(v.kind, sys::SQ_V_STR | sys::SQ_V_STR_ASCII | sys::SQ_V_JSON))
            .map(|v| v.len as usize)
            .sum()
    }

    /// The values, in order.
    #[inline(always)]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = FieldRef<'a>> + 'a {
        self.0.iter().map(field_ref)
    }
}

/// The bytes of a text value (`SQ_V_STR`, `SQ_V_STR_ASCII`, `SQ_V_JSON`).
#[inline(always)]
fn text_bytes(v: &sys::sq_value) -> &[u8] {
    // SAFETY: for the text kinds (this function's only callers) the shim's contract (shim.h) is
    // that `s` points to `len` bytes it owns (or is NULL), valid until the next call on the
    // inspector; the borrow of `v` comes from the inspector's `&mut self` borrow, which ends
    // before any next call.
    unsafe { slice_or_empty(v.s.cast::<u8>(), v.len as usize) }
}

/// One value as the shim filled it, as a safe [`FieldRef`].
#[inline(always)]
fn field_ref(v: &sys::sq_value) -> FieldRef<'_> {
    match v.kind {
        sys::SQ_V_I64 => FieldRef::I64(v.i),
        sys::SQ_V_U64 => FieldRef::U64(v.u),
        sys::SQ_V_F64 => FieldRef::F64(v.d),
        sys::SQ_V_BOOL => FieldRef::Bool(v.i != 0),
        sys::SQ_V_STR => FieldRef::Str(text_bytes(v)),
        sys::SQ_V_STR_ASCII => FieldRef::Ascii(text_bytes(v)),
        sys::SQ_V_JSON => FieldRef::Json(text_bytes(v)),
        sys::SQ_V_STR_STATIC => {
            // SAFETY: for this kind the shim's contract (shim.h) is that `s` points to `len`
            // bytes of one of its ASCII string literals (static storage, valid for the process's
            // life; ASCII is UTF-8), or is NULL. Not validated per event: that was measurable on
            // the hot path (~5 ns/event), and the shim's literals are fixed (debug builds check).
            let s: &'static str = unsafe {
                let b: &'static [u8] = slice_or_empty(v.s.cast::<u8>(), v.len as usize);
                debug_assert!(b.is_ascii());
                std::str::from_utf8_unchecked(b)
            };
            FieldRef::Static(s)
        }
        _ => FieldRef::Null,
    }
}

/// Size of libscap's event header (`struct ppm_evt_hdr`, packed): ts, tid, len, type, nparams.
pub(crate) const EVT_HDR_LEN: usize = 26;

/// The current event, as a safe view of what the shim hands out: its header's facts, its
/// encoding as libscap wrote it (header, params' lengths, params' bytes) and its field values.
/// Borrowed from the [`Inspector`]: valid until its next call.
pub(crate) struct RawEvent<'a> {
    /// sinsp event number (`evt.num`).
    pub num: u64,
    /// Timestamp in ns since the epoch.
    pub ts: u64,
    /// Thread id.
    pub tid: i64,
    /// libs' event code (`ppm_event_code`).
    pub code: u16,
    /// Enter or exit.
    pub direction: Direction,
    /// Whether the thread is the main thread of its process.
    pub is_main_thread: bool,
    /// libs' category flags.
    pub category: u32,
    /// CPU the event was captured on.
    pub cpu: u16,
    /// Event type name as `evt.type` reports it, with static storage (interned when libs'
    /// is not static).
    pub name: &'static str,
    /// The event's encoding, cut by the shim to what its params account for (never past the
    /// event's own bytes); see [`RawEvent::defect`] for an event whose header disagrees.
    pub bytes: &'a [u8],
    /// The extracted field values.
    pub fields: Fields<'a>,
}

impl RawEvent<'_> {
    /// What is wrong with the event's encoding, if anything: shorter than a header, or a header
    /// whose length disagrees with the bytes its params account for (the shim then hands the
    /// event out cut to its params, as libsinsp reads it).
    #[inline(always)]
    pub fn defect(&self) -> Option<crate::error::EventDefect> {
        use crate::error::EventDefect;
        let Some(len) = self.bytes.get(16..20) else {
            return Some(EventDefect::ShortHeader {
                bytes: self.bytes.len() as u32,
            });
        };
        let claimed = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
        if self.bytes.len() < EVT_HDR_LEN {
            Some(EventDefect::ShortHeader {
                bytes: self.bytes.len() as u32,
            })
        } else if claimed as usize != self.bytes.len() {
            Some(EventDefect::LengthMismatch {
                header_len: claimed,
                params_extent: self.bytes.len() as u32,
            })
        } else {
            None
        }
    }
}

/// Field values built from [`FieldRef`]s, as the shim would hand them out (unit tests).
#[cfg(test)]
pub(crate) struct TestFields<'a>(Vec<sys::sq_value>, std::marker::PhantomData<&'a [u8]>);

#[cfg(test)]
impl<'a> TestFields<'a> {
    /// The values, borrowing their bytes.
    pub fn new(values: &[FieldRef<'a>]) -> Self {
        let text = |kind: u32, b: &[u8]| sys::sq_value {
            kind,
            len: b.len() as u32,
            s: b.as_ptr().cast(),
            ..Default::default()
        };
        let v = values
            .iter()
            .map(|f| match *f {
                FieldRef::Null => sys::sq_value::default(),
                FieldRef::I64(i) => sys::sq_value {
                    kind: sys::SQ_V_I64,
                    i,
                    ..Default::default()
                },
                FieldRef::U64(u) => sys::sq_value {
                    kind: sys::SQ_V_U64,
                    u,
                    ..Default::default()
                },
                FieldRef::F64(d) => sys::sq_value {
                    kind: sys::SQ_V_F64,
                    d,
                    ..Default::default()
                },
                FieldRef::Bool(b) => sys::sq_value {
                    kind: sys::SQ_V_BOOL,
                    i: b as i64,
                    ..Default::default()
                },
                FieldRef::Str(b) => text(sys::SQ_V_STR, b),
                FieldRef::Ascii(b) => text(sys::SQ_V_STR_ASCII, b),
                FieldRef::Json(b) => text(sys::SQ_V_JSON, b),
                FieldRef::Static(s) => text(sys::SQ_V_STR_STATIC, s.as_bytes()),
            })
            .collect();
        TestFields(v, std::marker::PhantomData)
    }

    /// The values as an event's [`Fields`].
    pub fn fields(&self) -> Fields<'_> {
        Fields(&self.0)
    }
}

/// Outcome of [`Inspector::next`].
pub(crate) enum Next<'a> {
    /// An event passed the filter.
    Event(RawEvent<'a>),
    /// No event right now (live engines).
    Timeout,
    /// An event was read and the filter rejected it.
    Filtered,
    /// The end of a capture file.
    Eof,
}

/// Driver-side counters of an open engine.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DriverStats {
    /// Events the driver produced.
    pub events: u64,
    /// Events it dropped.
    pub drops: u64,
    /// Of which: dropped because a buffer was full.
    pub drops_buffer: u64,
}

/// Owner of an inspector. Not `Sync`; it is created, used and dropped on one thread.
pub(crate) struct Inspector {
    h: NonNull<sys::sq_inspector>,
    ev: sys::sq_event,
    err: Box<sys::sq_error>,
    names: NameCache,
}

// SAFETY: the handle may move to another thread as long as only one thread uses it at a time,
// which `&mut self` on every call enforces.
unsafe impl Send for Inspector {}

fn cstr(s: &str) -> Result<CString, ShimError> {
    CString::new(s).map_err(|_| ShimError::local(format!("{s:?} contains a NUL byte")))
}

fn cpath(p: &Path) -> Result<CString, ShimError> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).map_err(|_| ShimError::local("path contains a NUL byte"))
}

/// The most the shim keeps of an open's log: 1 MiB of lines plus one message's 64 KiB and a newline.
const OPEN_LOG_MAX: usize = (1 << 20) + (64 << 10) + 1;

impl Inspector {
    /// A new inspector (nothing opened).
    pub fn new() -> Result<Self, ShimError> {
        let mut err: Box<sys::sq_error> = Box::default();
        // SAFETY: `err` is a valid, writable sq_error.
        let h = unsafe { sys::sq_new(&mut *err) };
        let h = NonNull::new(h).ok_or_else(|| ShimError::from_raw(&err))?;
        Ok(Inspector {
            h,
            ev: sys::sq_event::default(),
            err,
            names: NameCache::new(),
        })
    }

    fn check(&self, rc: i32) -> Result<(), ShimError> {
        if rc < 0 {
            Err(ShimError::from_raw(&self.err))
        } else {
            Ok(())
        }
    }

    /// Like [`Self::check`] for an open: a failure carries libs' log of that open.
    fn check_open(&self, rc: i32) -> Result<(), ShimError> {
        self.check(rc).map_err(|mut e| {
            e.log = self.open_log();
            e
        })
    }

    /// libs' log lines (libscap, libpman, libbpf) of the last open on this handle.
    pub fn open_log(&self) -> String {
        let mut len = 0usize;
        // SAFETY: valid handle and length out-pointer; the text is owned by the handle.
        let p = unsafe { sys::sq_open_log(self.h.as_ptr(), &mut len) };
        if p.is_null() || len == 0 {
            return String::new();
        }
        if len > OPEN_LOG_MAX {
            return format!(
                "(libs' open log claims {len} bytes, more than the shim keeps; not read)"
            );
        }
        // SAFETY: the shim returns its std::string's buffer, `len` initialized bytes, valid until
        // the next open on this handle, which cannot happen while `self` is borrowed; `len` is
        // bounded above by what the shim can hold.
        let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
        String::from_utf8_lossy(bytes).into_owned()
    }

    /// Compiles and sets a sinsp filter.
    pub fn set_filter(&mut self, filter: &str) -> Result<(), ShimError> {
        let f = cstr(filter)?;
        // SAFETY: valid handle, NUL-terminated string, valid error buffer.
        let rc = unsafe { sys::sq_set_filter(self.h.as_ptr(), f.as_ptr(), &mut *self.err) };
        self.check(rc)
    }

    /// The fields the shim extracts for every event, in this order; a failure names the field
    /// ([`ShimError::item`]).
    pub fn set_fields(&mut self, fields: &[String]) -> Result<(), ShimError> {
        let owned = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                cstr(f).map_err(|mut e| {
                    e.item = Some(i);
                    e
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ptrs: Vec<*const std::os::raw::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        // SAFETY: `ptrs` holds `len` valid C strings kept alive by `owned` for the call.
        let rc = unsafe {
            sys::sq_set_fields(self.h.as_ptr(), ptrs.as_ptr(), ptrs.len(), &mut *self.err)
        };
        self.check(rc).map_err(|mut e| {
            // an index the shim reports must be one of ours
            e.item = e.item.filter(|&i| i < fields.len());
            e
        })
    }

    /// Asks the kernel only for the syscalls and tracepoints producing `names` (evt.type names),
    /// plus libsinsp's state set and the filter's. Returns the names nothing in the kernel
    /// produces (libsinsp's meta events, or names this libs does not know).
    pub fn select_events(&mut self, names: &[String]) -> Result<Vec<String>, ShimError> {
        let owned = names
            .iter()
            .map(|f| cstr(f))
            .collect::<Result<Vec<_>, _>>()?;
        let ptrs: Vec<*const std::os::raw::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        let mut unknown = vec![0u8; 4096];
        // SAFETY: `ptrs` holds `len` valid C strings kept alive by `owned` for the call; the
        // shim writes at most `unknown.len()` bytes, NUL included, into `unknown`.
        let rc = unsafe {
            sys::sq_select_events(
                self.h.as_ptr(),
                ptrs.as_ptr(),
                ptrs.len(),
                unknown.as_mut_ptr().cast(),
                unknown.len(),
                &mut *self.err,
            )
        };
        self.check(rc)?;
        let end = unknown
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(unknown.len());
        Ok(String::from_utf8_lossy(&unknown[..end])
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect())
    }

    /// Whether sinsp imports the user and group tables.
    pub fn set_import_users(&mut self, on: bool) {
        // SAFETY: valid handle.
        unsafe { sys::sq_set_import_users(self.h.as_ptr(), on as i32) }
    }

    /// Opens the modern eBPF engine.
    pub fn open_modern_bpf(
        &mut self,
        buffer: u64,
        cpus_per_buffer: u16,
        all: bool,
    ) -> Result<(), ShimError> {
        // SAFETY: valid handle and error buffer.
        let rc = unsafe {
            sys::sq_open_modern_bpf(
                self.h.as_ptr(),
                buffer,
                cpus_per_buffer,
                all as i32,
                &mut *self.err,
            )
        };
        self.check_open(rc)
    }

    /// Opens the kernel module engine.
    pub fn open_kmod(&mut self, buffer: u64, all: bool) -> Result<(), ShimError> {
        // SAFETY: valid handle and error buffer.
        let rc = unsafe { sys::sq_open_kmod(self.h.as_ptr(), buffer, all as i32, &mut *self.err) };
        self.check_open(rc)
    }

    /// Opens the legacy eBPF engine with the probe at `probe`.
    pub fn open_bpf(&mut self, probe: &Path, buffer: u64, all: bool) -> Result<(), ShimError> {
        let p = cpath(probe)?;
        // SAFETY: valid handle, C string and error buffer.
        let rc = unsafe {
            sys::sq_open_bpf(
                self.h.as_ptr(),
                p.as_ptr(),
                buffer,
                all as i32,
                &mut *self.err,
            )
        };
        self.check_open(rc)
    }

    /// Opens a capture file.
    pub fn open_savefile(&mut self, path: &Path) -> Result<(), ShimError> {
        let p = cpath(path)?;
        // SAFETY: valid handle, C string and error buffer.
        let rc = unsafe { sys::sq_open_savefile(self.h.as_ptr(), p.as_ptr(), &mut *self.err) };
        self.check_open(rc)
    }

    /// Writes every event `next` returns (filtered ones excluded) to a `.scap` file.
    pub fn dump_open(&mut self, path: &Path, compress: bool) -> Result<(), ShimError> {
        let p = cpath(path)?;
        // SAFETY: valid handle, C string and error buffer.
        let rc = unsafe {
            sys::sq_dump_open(self.h.as_ptr(), p.as_ptr(), compress as i32, &mut *self.err)
        };
        self.check(rc)
    }

    /// Flushes and closes the dump file, if any.
    pub fn dump_close(&mut self) -> Result<(), ShimError> {
        // SAFETY: valid handle and error buffer.
        let rc = unsafe { sys::sq_dump_close(self.h.as_ptr(), &mut *self.err) };
        self.check(rc)
    }

    /// Starts the capture.
    pub fn start(&mut self) -> Result<(), ShimError> {
        // SAFETY: valid handle and error buffer.
        let rc = unsafe { sys::sq_start(self.h.as_ptr(), &mut *self.err) };
        self.check(rc)
    }

    /// Stops the capture and closes the engine: BPF programs are detached here.
    pub fn close(&mut self) {
        // SAFETY: valid handle; sq_close is idempotent and never throws.
        unsafe { sys::sq_close(self.h.as_ptr()) }
    }

    /// The next event, as a view valid until the next call.
    #[inline(always)]
    pub fn next(&mut self) -> Result<Next<'_>, ShimError> {
        // SAFETY: valid handle, event and error buffers.
        let rc = unsafe { sys::sq_next(self.h.as_ptr(), &mut self.ev, &mut *self.err) };
        match rc {
            sys::SQ_OK => Ok(Next::Event(self.view())),
            sys::SQ_TIMEOUT => Ok(Next::Timeout),
            sys::SQ_FILTERED => Ok(Next::Filtered),
            sys::SQ_EOF => Ok(Next::Eof),
            _ => Err(ShimError::from_raw(&self.err)),
        }
    }

    /// The event `sq_next` has just filled, as a safe view.
    #[inline(always)]
    fn view(&mut self) -> RawEvent<'_> {
        let ev = &self.ev;
        let name = self.names.name(ev);
        // SAFETY: after SQ_OK the shim's contract (shim.h) is that `raw` points to `raw_len`
        // bytes of the event (cut to what its params account for, never past its buffer) and
        // `fields` to `nfields` values, all valid until the next call on the handle, which the
        // returned borrow of `self` rules out.
        let (bytes, fields) = unsafe {
            (
                slice_or_empty(ev.raw, ev.raw_len as usize),
                slice_or_empty(ev.fields, ev.nfields as usize),
            )
        };
        RawEvent {
            num: ev.num,
            ts: ev.ts,
            tid: ev.tid,
            code: ev.type_,
            direction: if ev.dir == 0 {
                Direction::Enter
            } else {
                Direction::Exit
            },
            is_main_thread: ev.is_main_thread != 0,
            category: ev.category,
            cpu: ev.cpu,
            name,
            bytes,
            fields: Fields(fields),
        }
    }

    /// The raw libsinsp loop (no extraction), for benchmarks: returns the events counted.
    pub fn count_loop(
        &mut self,
        max_events: u64,
        max: std::time::Duration,
    ) -> Result<u64, ShimError> {
        let mut n = 0u64;
        // SAFETY: valid handle, out pointer and error buffer.
        let rc = unsafe {
            sys::sq_count_loop(
                self.h.as_ptr(),
                max_events,
                max.as_nanos() as u64,
                &mut n,
                &mut *self.err,
            )
        };
        self.check(rc).map(|_| n)
    }

    /// Events handed out so far whose header's length disagreed with their params (corrupt
    /// input); their raw bytes were cut to what the params account for.
    pub fn corrupt_events(&self) -> u64 {
        // SAFETY: valid handle; the call only reads a counter.
        unsafe { sys::sq_corrupt_events(self.h.as_ptr()) }
    }

    /// The driver's counters.
    pub fn stats(&mut self) -> Result<DriverStats, ShimError> {
        let mut st = sys::scap_stats::default();
        // SAFETY: valid handle, stats and error buffers.
        let rc = unsafe { sys::sq_stats(self.h.as_ptr(), &mut st, &mut *self.err) };
        self.check(rc).map(|_| DriverStats {
            events: st.n_evts,
            drops: st.n_drops,
            drops_buffer: st.n_drops_buffer,
        })
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        // SAFETY: the handle came from sq_new and is freed exactly once; sq_free closes first.
        unsafe { sys::sq_free(self.h.as_ptr()) }
    }
}

/// Whether libs was compiled with the named engine ("modern_bpf", "kmod", "bpf", "savefile").
pub(crate) fn has_engine(name: &str) -> bool {
    let Ok(c) = CString::new(name) else {
        return false;
    };
    // SAFETY: NUL-terminated string.
    unsafe { sys::sq_has_engine(c.as_ptr()) != 0 }
}

/// libpman's runtime check of modern eBPF support (ring buffer maps, raw tracepoint programs).
pub(crate) fn modern_bpf_supported() -> bool {
    // SAFETY: no arguments; the check only probes the kernel.
    unsafe { sys::sq_modern_bpf_supported() != 0 }
}

/// Event type names by the address of libs' static name, so the capture thread does not measure
/// and validate the same C string on every event (a small direct-mapped cache).
struct NameCache([(usize, &'static str); 64]);

impl NameCache {
    fn new() -> Self {
        NameCache([(0, ""); 64])
    }

    /// The event type name with static storage: libs' tables, or interned (async events).
    #[inline(always)]
    fn name(&mut self, raw: &sys::sq_event) -> &'static str {
        if raw.name.is_null() {
            return "";
        }
        if raw.name_is_static == 0 {
            // SAFETY: the shim checked that this name (an async event's, inside the current
            // event) ends with a NUL inside its param; it is copied (interned) here.
            return intern(
                unsafe { CStr::from_ptr(raw.name) }
                    .to_string_lossy()
                    .as_ref(),
            );
        }
        let addr = raw.name as usize;
        let slot = &mut self.0[(addr >> 3) % 64];
        if slot.0 != addr {
            // SAFETY: not NULL, and the shim says the name has static storage (libs' event and
            // syscall tables, or the shim's literals).
            *slot = (addr, unsafe { static_str(raw.name) });
        }
        slot.1
    }
}

/// Interns names that are not static in libs (async event names): a small, bounded set.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap();
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

/// libs' event table (indexed by `ppm_event_code`), read through the shim into owned entries.
pub(crate) fn event_table_entries() -> Vec<EventInfo> {
    let mut n = 0u32;
    // SAFETY: the shim returns libscap's static table and its number of entries in `n`.
    let p = unsafe { sys::sq_event_table(&mut n) };
    // SAFETY: `p` is NULL or points to `n` entries with static storage.
    let t: &'static [sys::ppm_event_info] = unsafe { slice_or_empty(p, n as usize) };
    t.iter()
        .enumerate()
        .map(|(code, e)| EventInfo {
            code: code as u16,
            // SAFETY: names in the event table are static NUL-terminated strings.
            name: unsafe { static_str(e.name.as_ptr()) },
            direction: if code % 2 == 0 {
                Direction::Enter
            } else {
                Direction::Exit
            },
            category: e.category,
            flags: e.flags,
            params: e.params[..(e.nparams as usize).min(e.params.len())]
                .iter()
                .map(|p| ParamInfo {
                    // SAFETY: as above.
                    name: unsafe { static_str(p.name.as_ptr()) },
                    ptype: p.type_,
                    fmt: p.fmt,
                    flags: flag_names(p),
                })
                .collect(),
        })
        .collect()
}

/// The flag names of a flags/mode param (`info` points to a `{NULL, 0}`-terminated array).
fn flag_names(p: &sys::ppm_param_info) -> Vec<(&'static str, u32)> {
    let is_flags = matches!(
        p.type_,
        sys::PT_FLAGS8
            | sys::PT_FLAGS16
            | sys::PT_FLAGS32
            | sys::PT_ENUMFLAGS8
            | sys::PT_ENUMFLAGS16
            | sys::PT_ENUMFLAGS32
            | sys::PT_MODE
    );
    let mut out = Vec::new();
    if !is_flags || p.info.is_null() {
        return out;
    }
    let nv = p.info as *const sys::ppm_name_value;
    // 1024 bounds the walk should a table ever lack its terminator.
    for i in 0..1024 {
        // SAFETY: for these types `info` is a static `ppm_name_value` array in libscap ending
        // with a NULL name; the walk stops there.
        let e = unsafe { &*nv.add(i) };
        if e.name.is_null() {
            break;
        }
        // SAFETY: a non-NULL name in the table is a static NUL-terminated string.
        out.push((unsafe { static_str(e.name) }, e.value));
    }
    out
}

/// C string pointer with static storage (event table names) to `&'static str`.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that lives for the whole program.
unsafe fn static_str(p: *const std::os::raw::c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?")
}

/// `n` items at `p` as a slice; empty when `p` is NULL or `n` is 0.
///
/// # Safety
/// `p` must be NULL or point to `n` valid `T`s that stay valid and unchanged for `'a`.
#[inline(always)]
unsafe fn slice_or_empty<'a, T>(p: *const T, n: usize) -> &'a [T] {
    if p.is_null() || n == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(p, n) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EventDefect;

    fn event_of(bytes: &[u8]) -> RawEvent<'_> {
        RawEvent {
            num: 7,
            ts: 0,
            tid: 1,
            code: 0,
            direction: Direction::Enter,
            is_main_thread: false,
            category: 0,
            cpu: 0,
            name: "x",
            bytes,
            fields: Fields(&[]),
        }
    }

    #[test]
    fn a_raw_event_whose_header_disagrees_with_its_bytes_names_its_defect() {
        let enc = crate::event::encode_event(3, 1, 2, &[b"abc", b""]);
        assert_eq!(event_of(&enc).defect(), None);
        // the header claims more than the shim could account for: delivered cut
        let mut bad = enc.clone();
        bad[16..20].copy_from_slice(&500u32.to_le_bytes());
        assert_eq!(
            event_of(&bad).defect(),
            Some(EventDefect::LengthMismatch {
                header_len: 500,
                params_extent: enc.len() as u32
            })
        );
        for n in [0, 5, 19, 20, 25] {
            assert_eq!(
                event_of(&enc[..n]).defect(),
                Some(EventDefect::ShortHeader { bytes: n as u32 }),
                "{n} bytes"
            );
        }
    }

    #[test]
    fn field_values_come_out_as_the_shim_filled_them() {
        let vals = [
            FieldRef::Null,
            FieldRef::I64(-1),
            FieldRef::U64(2),
            FieldRef::F64(0.5),
            FieldRef::Bool(true),
            FieldRef::Str(b"s\xff"),
            FieldRef::Ascii(b"a"),
            FieldRef::Json(b"[]"),
            FieldRef::Static("SUCCESS"),
            FieldRef::Str(b""),
        ];
        let t = TestFields::new(&vals);
        let got: Vec<FieldRef<'_>> = t.fields().iter().collect();
        assert_eq!(got, vals);
        // a NULL string with a length is empty, never read
        let v = [sys::sq_value {
            kind: sys::SQ_V_STR,
            len: 100,
            ..Default::default()
        }];
        assert_eq!(Fields(&v).iter().next(), Some(FieldRef::Str(b"")));
        // an unknown kind is null
        let v = [sys::sq_value {
            kind: 99,
            ..Default::default()
        }];
        assert_eq!(Fields(&v).iter().next(), Some(FieldRef::Null));
    }

    #[test]
    fn a_refused_field_comes_back_by_its_code_and_index() {
        let mut insp = Inspector::new().unwrap();
        let fields = ["evt.num", "proc.name", "no.such.field", "fd.name"].map(String::from);
        let e = insp.set_fields(&fields).unwrap_err();
        assert_eq!(e.kind, ShimErrorKind::Field, "{e:?}");
        assert_eq!(e.item, Some(2), "{e:?}");
        // a name that cannot cross to C at all names its index too
        let e = insp
            .set_fields(&["evt.num".into(), "a\0b".into()])
            .unwrap_err();
        assert_eq!((e.kind, e.item), (ShimErrorKind::Other, Some(1)));
        insp.set_fields(&fields[..2]).unwrap();
        let e = insp.set_filter("evt.type=").unwrap_err();
        assert_eq!((e.kind, e.item), (ShimErrorKind::Filter, None));
    }

    #[test]
    fn a_failed_open_carries_the_errno_libscap_reported() {
        // the kernel module's device, opened without the module loaded: libscap's message ends
        // with strerror(ENOENT), which the shim turns back into the code
        if !has_engine("kmod") || Path::new("/dev/scap0").exists() {
            return;
        }
        let mut insp = Inspector::new().unwrap();
        let e = insp.open_kmod(0, false).unwrap_err();
        assert_eq!(e.kind, ShimErrorKind::Open, "{e:?}");
        assert_eq!(e.os_errno, libc::ENOENT, "{e:?}");
        assert!(!e.is_permission());
    }
}
