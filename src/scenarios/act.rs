//! The child side of a scenario: helpers its action uses to issue exact raw syscalls.
//!
//! Actions run in the workload child (`sinspqa workload NAME DIR`), after the capture is open.
//! They call `libc::syscall` through [`sys!`] so no libc wrapper picks another syscall, and
//! return typed facts (fds, paths, pids, stat results) that the expectation is built from.
use std::ffi::CString;
use std::path::Path;

/// A path as a C string (paths of the workload never hold NUL).
pub fn cs(p: impl AsRef<Path>) -> CString {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_ref().as_os_str().as_bytes()).expect("path without NUL")
}

/// Checks a raw syscall result: returns it, or the errno as an error.
pub fn ok(r: libc::c_long, what: &str) -> Result<libc::c_long, String> {
    if r < 0 {
        Err(format!("{what}: {}", std::io::Error::last_os_error()))
    } else {
        Ok(r)
    }
}

/// A raw syscall that must succeed: `sys!("what", libc::SYS_x, args...)` returns its result or
/// the errno as an error naming `what`.
macro_rules! sys {
    ($what:expr, $nr:expr $(, $a:expr)* $(,)?) => {
        // Every argument is widened to a full register: a bare `0` would go as 32 bits and leave
        // the upper half of a 64-bit argument (an mmap offset, ...) to chance.
        // SAFETY: raw syscalls on buffers and paths owned by the workload for the call.
        $crate::scenarios::act::ok(unsafe { libc::syscall($nr $(, ($a) as libc::c_long)*) }, $what)
    };
}
pub(crate) use sys;

/// A raw syscall expected to fail (a failure path): returns `-errno`, or an error naming `what`
/// when it succeeded.
macro_rules! sys_fail {
    ($what:expr, $nr:expr $(, $a:expr)* $(,)?) => {{
        // SAFETY: raw syscalls on buffers and paths owned by the workload for the call (or
        // deliberately invalid pointers the kernel checks and refuses with EFAULT).
        let r = unsafe { libc::syscall($nr $(, ($a) as libc::c_long)*) };
        if r >= 0 {
            Err(format!("{}: succeeded ({r}) where it must fail", $what))
        } else {
            Ok(-(std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as i64))
        }
    }};
}
pub(crate) use sys_fail;

/// Reaps child `pid` with wait4(2); returns its raw wait status.
pub fn wait4(pid: libc::pid_t) -> Result<i32, String> {
    let mut status = 0i32;
    sys!(
        "wait4",
        libc::SYS_wait4,
        pid,
        &mut status as *mut i32,
        0,
        0usize
    )?;
    Ok(status)
}

/// Forks; the child runs `f` and exits with 0 (or 1 on error); returns the child's pid after
/// reaping it with wait4 (the exit status must be 0).
pub fn fork_and_wait(f: impl FnOnce() -> Result<(), String>) -> Result<i32, String> {
    // SAFETY: the child only runs `f` (raw syscalls, no locks held across fork) then _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        let code = match f() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("child: {e}");
                1
            }
        };
        // SAFETY: terminate the forked child without running the parent's atexit handlers.
        unsafe { libc::_exit(code) };
    }
    let status = wait4(pid)?;
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(format!("child {pid} failed with status {status:#x}"));
    }
    Ok(pid)
}

/// execve(2) with `PATH=/usr/bin:/bin` as the only environment variable; returns only on error.
pub fn execve(path: &str, argv: &[&str]) -> Result<(), String> {
    let p = cs(path);
    let args: Vec<CString> = argv.iter().map(|a| CString::new(*a).unwrap()).collect();
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let env = [c"PATH=/usr/bin:/bin".as_ptr(), std::ptr::null()];
    sys!(
        "execve",
        libc::SYS_execve,
        p.as_ptr(),
        ptrs.as_ptr(),
        env.as_ptr()
    )?;
    unreachable!("execve returned")
}

/// Drops every supplementary group, then to gid and uid 65534 (nobody).
pub fn drop_to_nobody() -> Result<(), String> {
    sys!(
        "setgroups",
        libc::SYS_setgroups,
        0,
        std::ptr::null::<libc::gid_t>()
    )?;
    sys!("setgid", libc::SYS_setgid, 65534)?;
    sys!("setuid", libc::SYS_setuid, 65534)?;
    Ok(())
}

/// What stat(2) says of a file: what drivers report as `dev` and `ino` (drivers_test compares
/// `dev` with `(uint32_t)st_dev`, and only on ext4: other file systems may report another
/// device number to the kernel side).
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Stat {
    /// `st_dev` as the drivers' 32-bit `dev` param.
    pub dev: u32,
    /// `st_ino`.
    pub ino: u64,
    /// `st_mode`.
    pub mode: u32,
}

/// fstat(2) of an open fd.
pub fn fstat(fd: i64) -> Result<Stat, String> {
    // SAFETY: a zeroed `stat` is a valid out-buffer for fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    sys!("fstat", libc::SYS_fstat, fd, &mut st as *mut libc::stat)?;
    Ok(Stat {
        dev: st.st_dev as u32,
        ino: st.st_ino,
        mode: st.st_mode,
    })
}

/// The current process's pid (getpid(2)).
pub fn getpid() -> i64 {
    // SAFETY: getpid has no preconditions.
    unsafe { libc::getpid() as i64 }
}

/// A pointer the kernel refuses with EFAULT (the failure path of calls taking a buffer).
pub const BAD_PTR: usize = 0x10;

/// Whether `path` is on an overlay file system (a container's or a guest's root): the drivers
/// then add the file's layer to exec and open flags (`EXE_UPPER_LAYER`/`EXE_LOWER_LAYER`,
/// `FD_UPPER_LAYER`/`FD_LOWER_LAYER`) and report the overlay's device as `dev`, which stat(2)
/// does not show. The expectation is built where the workload ran, so it can look.
pub fn on_overlay(path: &str) -> bool {
    const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c_7630;
    let Ok(p) = std::ffi::CString::new(path) else {
        return false;
    };
    // SAFETY: a zeroed statfs is a valid out-buffer; `p` is a NUL-terminated path.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let r = unsafe { libc::statfs(p.as_ptr(), &mut st) };
    r == 0 && st.f_type as i64 == OVERLAYFS_SUPER_MAGIC
}

/// The value `base` of flags param `param` of call `ty`, and, when `path` is on an overlay, the
/// same with either layer flag of this libs' table (`layers`: the upper and lower flag names):
/// which layer a file is on is the overlay's business.
pub fn layered(
    ty: &str,
    param: &str,
    base: &[&str],
    layers: [&str; 2],
    path: &str,
) -> crate::expect::Pred {
    let v = |names: &[&str]| {
        crate::event::flag_value(ty, param, names)
            .map(|v| v as i64)
            .unwrap_or(-1)
    };
    let b = v(base);
    if on_overlay(path) {
        crate::expect::one_of([b, b | v(&[layers[0]]), b | v(&[layers[1]])])
    } else {
        crate::expect::eq(b)
    }
}
