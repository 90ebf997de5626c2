//! The one safe owner of a libsinsp inspector handle (`sq_inspector`), used by the capture thread.
//! Every `unsafe` call into the shim lives in this module.
use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr::NonNull;

use sinsp_sys as sys;

/// An error reported by the shim: its code, libscap's return code, errno and libs' message.
#[derive(Debug, Clone)]
pub(crate) struct ShimError {
    #[allow(dead_code)]
    pub code: i32,
    #[allow(dead_code)]
    pub scap_rc: i32,
    pub os_errno: i32,
    pub message: String,
    /// libs' log lines written while a failing open ran (empty for other calls).
    pub log: String,
}

impl ShimError {
    fn from_raw(e: &sys::sq_error) -> Self {
        // SAFETY: the shim always NUL-terminates `msg` (snprintf into the fixed buffer).
        let message = unsafe { CStr::from_ptr(e.msg.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        ShimError {
            code: e.code,
            scap_rc: e.scap_rc,
            os_errno: e.os_errno,
            message,
            log: String::new(),
        }
    }
    fn local(message: impl Into<String>) -> Self {
        ShimError {
            code: sys::SQ_E_GENERIC,
            scap_rc: 0,
            os_errno: 0,
            message: message.into(),
            log: String::new(),
        }
    }
}

/// Outcome of [`Inspector::next`].
pub(crate) enum Next<'a> {
    Event(&'a sys::sq_event),
    Timeout,
    Filtered,
    Eof,
}

/// Owner of an inspector. Not `Sync`; it is created, used and dropped on one thread.
pub(crate) struct Inspector {
    h: NonNull<sys::sq_inspector>,
    ev: sys::sq_event,
    err: Box<sys::sq_error>,
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
    pub fn new() -> Result<Self, ShimError> {
        let mut err: Box<sys::sq_error> = Box::default();
        // SAFETY: `err` is a valid, writable sq_error.
        let h = unsafe { sys::sq_new(&mut *err) };
        let h = NonNull::new(h).ok_or_else(|| ShimError::from_raw(&err))?;
        Ok(Inspector {
            h,
            ev: sys::sq_event::default(),
            err,
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

    pub fn set_filter(&mut self, filter: &str) -> Result<(), ShimError> {
        let f = cstr(filter)?;
        // SAFETY: valid handle, NUL-terminated string, valid error buffer.
        let rc = unsafe { sys::sq_set_filter(self.h.as_ptr(), f.as_ptr(), &mut *self.err) };
        self.check(rc)
    }

    pub fn set_fields(&mut self, fields: &[String]) -> Result<(), ShimError> {
        let owned = fields
            .iter()
            .map(|f| cstr(f))
            .collect::<Result<Vec<_>, _>>()?;
        let ptrs: Vec<*const std::os::raw::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        // SAFETY: `ptrs` holds `len` valid C strings kept alive by `owned` for the call.
        let rc = unsafe {
            sys::sq_set_fields(self.h.as_ptr(), ptrs.as_ptr(), ptrs.len(), &mut *self.err)
        };
        self.check(rc)
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

    pub fn set_import_users(&mut self, on: bool) {
        // SAFETY: valid handle.
        unsafe { sys::sq_set_import_users(self.h.as_ptr(), on as i32) }
    }

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

    pub fn open_kmod(&mut self, buffer: u64, all: bool) -> Result<(), ShimError> {
        // SAFETY: valid handle and error buffer.
        let rc = unsafe { sys::sq_open_kmod(self.h.as_ptr(), buffer, all as i32, &mut *self.err) };
        self.check_open(rc)
    }

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

    pub fn open_savefile(&mut self, path: &Path) -> Result<(), ShimError> {
        let p = cpath(path)?;
        // SAFETY: valid handle, C string and error buffer.
        let rc = unsafe { sys::sq_open_savefile(self.h.as_ptr(), p.as_ptr(), &mut *self.err) };
        self.check_open(rc)
    }

    pub fn dump_open(&mut self, path: &Path, compress: bool) -> Result<(), ShimError> {
        let p = cpath(path)?;
        // SAFETY: valid handle, C string and error buffer.
        let rc = unsafe {
            sys::sq_dump_open(self.h.as_ptr(), p.as_ptr(), compress as i32, &mut *self.err)
        };
        self.check(rc)
    }

    pub fn dump_close(&mut self) -> Result<(), ShimError> {
        // SAFETY: valid handle and error buffer.
        let rc = unsafe { sys::sq_dump_close(self.h.as_ptr(), &mut *self.err) };
        self.check(rc)
    }

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

    pub fn next(&mut self) -> Result<Next<'_>, ShimError> {
        // SAFETY: valid handle, event and error buffers; the event's pointers stay valid until
        // the next call, which the returned borrow of `self` guarantees.
        let rc = unsafe { sys::sq_next(self.h.as_ptr(), &mut self.ev, &mut *self.err) };
        match rc {
            sys::SQ_OK => Ok(Next::Event(&self.ev)),
            sys::SQ_TIMEOUT => Ok(Next::Timeout),
            sys::SQ_FILTERED => Ok(Next::Filtered),
            sys::SQ_EOF => Ok(Next::Eof),
            _ => Err(ShimError::from_raw(&self.err)),
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

    pub fn stats(&mut self) -> Result<sys::scap_stats, ShimError> {
        let mut st = sys::scap_stats::default();
        // SAFETY: valid handle, stats and error buffers.
        let rc = unsafe { sys::sq_stats(self.h.as_ptr(), &mut st, &mut *self.err) };
        self.check(rc).map(|_| st)
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

/// C string pointer with static storage (event table names) to `&'static str`.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that lives for the whole program.
pub(crate) unsafe fn static_str(p: *const std::os::raw::c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?")
}
