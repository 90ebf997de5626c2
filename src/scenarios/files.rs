//! Scenarios of files: operations on paths and descriptors under a temp dir, writes and
//! directory changes below a binary dir, reading a sensitive file, pipes and duplicated fds.
use super::prelude::*;
use crate::expect::Pred;

fn ex(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).exit().field("proc.pid", eq(pid))
}

/// What `file_operations` did (paths under the temp dir).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FileOpsFacts {
    /// Created, written, read, then renamed to f2.
    pub f1: String,
    /// f1 renamed.
    pub f2: String,
    /// A hard link to f2.
    pub f3: String,
    /// A symlink to f2.
    pub s1: String,
    /// A directory made, entered, removed.
    pub d1: String,
    /// The temp dir.
    pub dir: String,
    /// Whether the temp dir is on an overlayfs.
    pub overlay: bool,
    /// f1 opened to write.
    pub wfd: i64,
    /// f1 opened to read.
    pub rfd: i64,
    /// d1 opened.
    pub dfd: i64,
    /// "f2" opened relative to the cwd once back in the temp dir.
    pub cwd_fd: i64,
    /// chdir into a missing directory (-ENOENT).
    pub chdir_missing: i64,
    /// Stats of f1 (as written, as read), d1 and f2 (as opened relative to the cwd).
    pub st: [Stat; 4],
    /// That directory.
    pub missing: String,
}

/// What `file_operations` writes.
const FILE_DATA: &[u8] = b"sinspqa file data\n";

fn file_ops_act(dir: &Path) -> Result<FileOpsFacts, String> {
    let (f1, f2, f3, s1, d1) = (
        dir.join("f1"),
        dir.join("f2"),
        dir.join("f3"),
        dir.join("s1"),
        dir.join("d1"),
    );
    let (c1, c2, c3, cs1, cd1) = (cs(&f1), cs(&f2), cs(&f3), cs(&s1), cs(&d1));
    let at = libc::AT_FDCWD;
    let fd = sys!(
        "openat",
        libc::SYS_openat,
        at,
        c1.as_ptr(),
        libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC,
        0o644
    )?;
    let st_w = fstat(fd)?;
    let data = FILE_DATA;
    sys!("write", libc::SYS_write, fd, data.as_ptr(), data.len())?;
    sys!(
        "pwrite64",
        libc::SYS_pwrite64,
        fd,
        data.as_ptr(),
        data.len(),
        100usize
    )?;
    let iov = [libc::iovec {
        iov_base: data.as_ptr() as *mut _,
        iov_len: data.len(),
    }];
    sys!("writev", libc::SYS_writev, fd, iov.as_ptr(), 1)?;
    sys!("ftruncate", libc::SYS_ftruncate, fd, 64usize)?;
    sys!("fsync", libc::SYS_fsync, fd)?;
    sys!("flock", libc::SYS_flock, fd, libc::LOCK_EX)?;
    sys!("close", libc::SYS_close, fd)?;
    let wfd = fd;
    let fd = sys!(
        "openat",
        libc::SYS_openat,
        at,
        c1.as_ptr(),
        libc::O_RDONLY,
        0
    )?;
    let rfd = fd;
    let st_r = fstat(rfd)?;
    let mut buf = [0u8; 64];
    sys!("read", libc::SYS_read, fd, buf.as_mut_ptr(), 16usize)?;
    sys!("lseek", libc::SYS_lseek, fd, 0usize, libc::SEEK_SET)?;
    sys!(
        "pread64",
        libc::SYS_pread64,
        fd,
        buf.as_mut_ptr(),
        8usize,
        4usize
    )?;
    let riov = [libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut _,
        iov_len: 8,
    }];
    sys!("readv", libc::SYS_readv, fd, riov.as_ptr(), 1)?;
    sys!("close", libc::SYS_close, fd)?;
    sys!(
        "renameat2",
        libc::SYS_renameat2,
        at,
        c1.as_ptr(),
        at,
        c2.as_ptr(),
        0
    )?;
    sys!(
        "linkat",
        libc::SYS_linkat,
        at,
        c2.as_ptr(),
        at,
        c3.as_ptr(),
        0
    )?;
    sys!(
        "symlinkat",
        libc::SYS_symlinkat,
        c2.as_ptr(),
        at,
        cs1.as_ptr()
    )?;
    sys!("fchmodat", libc::SYS_fchmodat, at, c2.as_ptr(), 0o600)?;
    sys!("mkdirat", libc::SYS_mkdirat, at, cd1.as_ptr(), 0o755)?;
    let dfd = sys!(
        "openat",
        libc::SYS_openat,
        at,
        cd1.as_ptr(),
        libc::O_RDONLY | libc::O_DIRECTORY,
        0
    )?;
    let st_d = fstat(dfd)?;
    sys!("fchdir", libc::SYS_fchdir, dfd)?;
    sys!("close", libc::SYS_close, dfd)?;
    let cdir = cs(dir);
    sys!("chdir", libc::SYS_chdir, cdir.as_ptr())?;
    // Relative to the new cwd.
    let cwd_fd = sys!(
        "openat f2 relative",
        libc::SYS_openat,
        at,
        c"f2".as_ptr(),
        libc::O_RDONLY,
        0
    )?;
    let st_c = fstat(cwd_fd)?;
    sys!("close", libc::SYS_close, cwd_fd)?;
    let missing = dir.join("no-such-dir");
    let cmissing = cs(&missing);
    let chdir_missing = sys_fail!(
        "chdir into a missing dir",
        libc::SYS_chdir,
        cmissing.as_ptr()
    )?;
    sys!("unlinkat", libc::SYS_unlinkat, at, c3.as_ptr(), 0)?;
    sys!("unlinkat", libc::SYS_unlinkat, at, cs1.as_ptr(), 0)?;
    sys!(
        "unlinkat",
        libc::SYS_unlinkat,
        at,
        cd1.as_ptr(),
        libc::AT_REMOVEDIR
    )?;
    let s = |p: &Path| p.display().to_string();
    Ok(FileOpsFacts {
        f1: s(&f1),
        f2: s(&f2),
        f3: s(&f3),
        s1: s(&s1),
        d1: s(&d1),
        dir: s(dir),
        overlay: on_overlayfs(dir)?,
        wfd,
        rfd,
        dfd,
        cwd_fd,
        chdir_missing,
        st: [st_w, st_r, st_d, st_c],
        missing: s(&missing),
    })
}

/// Whether `dir` lives on an overlayfs (as in a container): the drivers then flag files opened
/// on its upper layer with FD_UPPER_LAYER.
fn on_overlayfs(dir: &Path) -> Result<bool, String> {
    const OVERLAYFS_SUPER_MAGIC: libc::c_long = 0x794c_7630;
    let c = cs(dir);
    // SAFETY: a zeroed `statfs` is a valid out-buffer for statfs.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a valid out-buffer for the call.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return Err(format!(
            "statfs {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(st.f_type as libc::c_long == OVERLAYFS_SUPER_MAGIC)
}

fn file_ops_expect(f: &FileOpsFacts, w: i64) -> Expectation {
    let (f1, f2, f3, s1, d1, dir) = (
        f.f1.as_str(),
        f.f2.as_str(),
        f.f3.as_str(),
        f.s1.as_str(),
        f.d1.as_str(),
        f.dir.as_str(),
    );
    // On an overlayfs (a container's root), a file created there is on the upper layer.
    let created_flags = if f.overlay {
        "flags=[0-9]+\\(O_TRUNC\\|O_CREAT\\|O_WRONLY\\|O_F_CREATED\\|FD_UPPER_LAYER\\)"
    } else {
        "flags=[0-9]+\\(O_TRUNC\\|O_CREAT\\|O_WRONLY\\|O_F_CREATED\\)"
    };
    Expectation::new(vec![
        all_of([
            ex("create f1", "openat", w)
                .field("fd.name", eq(f1))
                .param("fd", ge(0))
                .field("evt.args", regex(created_flags)),
            ex("write f1", "write", w)
                .field("fd.name", eq(f1))
                .param("res", eq(18)),
            ex("pwrite f1", "pwrite", w)
                .field("fd.name", eq(f1))
                .param("res", eq(18)),
            ex("writev f1", "writev", w)
                .field("fd.name", eq(f1))
                .param("res", eq(18)),
            // Generic events in libs: no fd parameter, so no fd.* fields.
            ex("ftruncate", "ftruncate", w),
            ex("fsync", "fsync", w),
            ex("flock f1", "flock", w)
                .param("res", eq(0))
                .field("fd.name", eq(f1)),
            ex("read f1", "read", w)
                .field("fd.name", eq(f1))
                .param("res", eq(16)),
            ex("lseek f1", "lseek", w).param("res", eq(0)),
            ex("pread f1", "pread", w)
                .param("res", eq(8))
                .param("pos", eq(4)),
            ex("readv f1", "readv", w).param("res", eq(8)),
            ex("rename f1 to f2", "renameat2", w)
                .param("res", eq(0))
                .param("oldpath", eq(f1))
                .param("newpath", eq(f2)),
            ex("hard link f3", "linkat", w)
                .param("res", eq(0))
                .param("newpath", eq(f3)),
            ex("symlink s1", "symlinkat", w)
                .param("res", eq(0))
                .param("target", eq(f2))
                .param("linkpath", eq(s1)),
            ex("chmod f2", "fchmodat", w)
                .param("res", eq(0))
                .param("filename", eq(f2))
                .param("mode", eq(0o600)),
            ex("mkdir d1", "mkdirat", w)
                .param("res", eq(0))
                .param("path", eq(d1)),
            ex("fchdir into d1", "fchdir", w).param("res", eq(0)),
            ex("chdir back", "chdir", w)
                .param("res", eq(0))
                .param("path", eq(dir)),
            ex("unlink f3", "unlinkat", w)
                .param("res", eq(0))
                .param("name", eq(f3)),
            ex("rmdir d1", "unlinkat", w)
                .param("res", eq(0))
                .param("name", eq(d1))
                .field("evt.args", contains("AT_REMOVEDIR")),
        ]),
        sequence([
            ex("create", "openat", w).field("fd.name", eq(f1)),
            ex("then write", "write", w).field("fd.name", eq(f1)),
            ex("then close", "close", w).param("res", eq(0)),
            ex("then rename", "renameat2", w),
            ex("then unlink", "unlinkat", w).param("name", eq(f3)),
        ]),
        file_ops_calls(f, w),
    ])
}

/// `file_operations`' calls asserted whole, in program order.
fn file_ops_calls(f: &FileOpsFacts, w: i64) -> crate::expect::Check {
    let (f1, f2, f3, s1, d1, dir) = (
        f.f1.as_str(),
        f.f2.as_str(),
        f.f3.as_str(),
        f.s1.as_str(),
        f.d1.as_str(),
        f.dir.as_str(),
    );
    let data: Vec<i64> = FILE_DATA.iter().map(|&b| b as i64).collect();
    let n = FILE_DATA.len() as i64;
    let mut created = vec!["O_TRUNC", "O_CREAT", "O_WRONLY", "O_F_CREATED"];
    if f.overlay {
        created.push("FD_UPPER_LAYER");
    }
    let close = |name: &str, fd: i64| {
        syscall(name, "close", w)
            .param("res", eq(0))
            .param("fd", eq(fd))
    };
    sequence([
        syscall("create f1", "openat", w)
            .param("fd", eq(f.wfd))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(f1))
            .param(
                "flags",
                openat_flags(&["O_TRUNC", "O_CREAT", "O_WRONLY"], &created, f1),
            )
            .param("mode", eq(0o644))
            .param("dev", eq(f.st[0].dev))
            .param("ino", eq(f.st[0].ino))
            .field("fd.name", eq(f1)),
        syscall("write f1", "write", w)
            .param("res", eq(n))
            .param("fd", eq(f.wfd))
            .param("size", eq(n))
            .param("data", eq(data.clone()))
            .field("fd.name", eq(f1)),
        syscall("pwrite f1 at 100", "pwrite", w)
            .param("res", eq(n))
            .param("fd", eq(f.wfd))
            .param("size", eq(n))
            .param("pos", eq(100))
            .param("data", eq(data.clone()))
            .field("fd.name", eq(f1)),
        syscall("writev f1", "writev", w)
            .param("res", eq(n))
            .param("fd", eq(f.wfd))
            .param("size", eq(n))
            .param("data", eq(data.clone()))
            .field("fd.name", eq(f1)),
        // ftruncate and fsync have no events of their own: the generic event.
        syscall("ftruncate f1", "ftruncate", w)
            .param("nativeID", eq(libc::SYS_ftruncate))
            .unchecked("ID", "libs code"),
        syscall("fsync f1", "fsync", w)
            .param("nativeID", eq(libc::SYS_fsync))
            .unchecked("ID", "libs code"),
        syscall("flock f1", "flock", w)
            .param("res", eq(0))
            .param("fd", eq(f.wfd))
            .flags("operation", &["LOCK_EX"])
            .field("fd.name", eq(f1)),
        close("close f1", f.wfd),
        syscall("open f1 to read", "openat", w)
            .param("fd", eq(f.rfd))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(f1))
            // f1 is renamed by now: its dir says where it was
            .param("flags", open_flags(&["O_RDONLY"], dir))
            .param("mode", eq(0))
            .param("dev", eq(f.st[1].dev))
            .param("ino", eq(f.st[1].ino)),
        syscall("read f1", "read", w)
            .param("res", eq(16))
            .param("fd", eq(f.rfd))
            .param("size", eq(16))
            .param("data", eq(data[..16].to_vec()))
            .field("fd.name", eq(f1)),
        syscall("lseek f1 to 0", "lseek", w)
            .param("res", eq(0))
            .param("fd", eq(f.rfd))
            .param("offset", eq(0))
            .flags("whence", &["SEEK_SET"]),
        syscall("pread f1", "pread", w)
            .param("res", eq(8))
            .param("fd", eq(f.rfd))
            .param("size", eq(8))
            .param("pos", eq(4))
            .param("data", eq(data[4..12].to_vec())),
        syscall("readv f1", "readv", w)
            .param("res", eq(8))
            .param("fd", eq(f.rfd))
            .param("size", eq(8))
            .param("data", eq(data[..8].to_vec())),
        close("close f1 again", f.rfd),
        syscall("rename f1 to f2", "renameat2", w)
            .param("res", eq(0))
            .param("olddirfd", eq(PPM_AT_FDCWD))
            .param("oldpath", eq(f1))
            .param("newdirfd", eq(PPM_AT_FDCWD))
            .param("newpath", eq(f2))
            .param("flags", eq(0)),
        syscall("hard link f3", "linkat", w)
            .param("res", eq(0))
            .param("olddir", eq(PPM_AT_FDCWD))
            .param("oldpath", eq(f2))
            .param("newdir", eq(PPM_AT_FDCWD))
            .param("newpath", eq(f3))
            .param("flags", eq(0)),
        syscall("symlink s1", "symlinkat", w)
            .param("res", eq(0))
            .param("target", eq(f2))
            .param("linkdirfd", eq(PPM_AT_FDCWD))
            .param("linkpath", eq(s1)),
        syscall("chmod f2", "fchmodat", w)
            .param("res", eq(0))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("filename", eq(f2))
            .param("mode", eq(0o600)),
        syscall("mkdir d1", "mkdirat", w)
            .param("res", eq(0))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("path", eq(d1))
            .param("mode", eq(0o755)),
        syscall("open d1", "openat", w)
            .param("fd", eq(f.dfd))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(d1))
            // libs reports O_RDONLY|O_DIRECTORY as O_DIRECTORY|O_TMPFILE (0.20.0 and 0.25.4:
            // its conversion tests `flags & O_TMPFILE`, and O_TMPFILE includes O_DIRECTORY).
            .unchecked("flags", "libs bug")
            .param("mode", eq(0))
            .param("dev", eq(f.st[2].dev))
            .param("ino", eq(f.st[2].ino)),
        syscall("fchdir into d1", "fchdir", w)
            .param("res", eq(0))
            .param("fd", eq(f.dfd)),
        close("close d1", f.dfd),
        syscall("chdir back", "chdir", w)
            .param("res", eq(0))
            .param("path", eq(dir)),
        syscall("f2 opened relative to the new cwd", "openat", w)
            .param("fd", eq(f.cwd_fd))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq("f2"))
            .flags("flags", &["O_RDONLY"])
            .param("mode", eq(0))
            .param("dev", eq(f.st[3].dev))
            .param("ino", eq(f.st[3].ino))
            .field("fd.name", eq(f2)),
        close("close it", f.cwd_fd),
        syscall("chdir into a missing dir fails", "chdir", w)
            .param("res", eq(f.chdir_missing))
            .param("res", eq(-libc::ENOENT))
            .param("path", eq(f.missing.as_str())),
        syscall("unlink f3", "unlinkat", w)
            .param("res", eq(0))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(f3))
            .param("flags", eq(0)),
        syscall("unlink s1", "unlinkat", w)
            .param("res", eq(0))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(s1))
            .param("flags", eq(0)),
        syscall("rmdir d1", "unlinkat", w)
            .param("res", eq(0))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(d1))
            .flags("flags", &["AT_REMOVEDIR"]),
    ])
}

/// `AT_FDCWD` as the drivers report a dirfd (`PPM_AT_FDCWD`).
const PPM_AT_FDCWD: i64 = -100;

/// The flags param of openat's events: libs 0.20's enter event has the flags as passed, its
/// exit event (and from 0.22 the only event) adds what the open did (`O_F_CREATED`). Both are
/// accepted on every event here; [`openat_exit_flags`] pins the exit event exactly.
fn openat_flags(passed: &[&str], exit: &[&str], path: &str) -> Pred {
    let v = |names: &[&str]| {
        crate::event::flag_value("openat", "flags", names)
            .map(|v| v as i64)
            .unwrap_or(-1)
    };
    let (p, x) = (v(passed), v(exit));
    if on_overlay(path) {
        // The drivers add the file's overlay layer to the exit event's flags.
        let (up, low) = (v(&["FD_UPPER_LAYER"]), v(&["FD_LOWER_LAYER"]));
        one_of([p, x, x | up, x | low])
    } else {
        one_of([p, x])
    }
}

/// openat's `flags` equal to the named flags, plus the file's overlay layer when `path` is on one.
fn open_flags(names: &[&str], path: &str) -> Pred {
    layered(
        "openat",
        "flags",
        names,
        ["FD_UPPER_LAYER", "FD_LOWER_LAYER"],
        path,
    )
}

/// An openat exit event of `pid` with fd `fd` and exactly the flags `exit` (and the file's
/// overlay layer when `path` is on one).
fn openat_exit_flags(name: &str, pid: i64, fd: i64, exit: &[&str], path: &str) -> EventMatcher {
    event(name)
        .ty("openat")
        .exit()
        .field("proc.pid", eq(pid))
        .param("fd", eq(fd))
        .param("flags", open_flags(exit, path))
}

/// `dev` by value from stat(2), or marked where the file is on an overlay (the drivers report
/// the overlay's device there, which stat does not show).
fn dev_of(m: EventMatcher, dev: u32, path: &str) -> EventMatcher {
    if on_overlay(path) {
        m.unchecked("dev", "overlay")
    } else {
        m.param("dev", eq(dev))
    }
}

/// What `write_below_binary_dir` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BinWriteFacts {
    /// The file created below /usr/local/bin.
    pub path: String,
    /// Its fd.
    pub fd: i64,
    /// Its stat.
    pub st: Stat,
    /// openat(O_CREAT|O_EXCL) of it again (-EEXIST).
    pub excl: i64,
    /// unlinkat of it once removed (-ENOENT).
    pub unlink_again: i64,
}

/// What the file below /usr/local/bin is written.
const SCRIPT: &[u8] = b"#!/bin/sh\n";

fn binary_dir_write_act(_dir: &Path) -> Result<BinWriteFacts, String> {
    let p = format!("/usr/local/bin/sinspqa-{}-written", std::process::id());
    let c = cs(&p);
    let fd = sys!(
        "openat",
        libc::SYS_openat,
        libc::AT_FDCWD,
        c.as_ptr(),
        libc::O_CREAT | libc::O_WRONLY,
        0o755
    )?;
    let st = fstat(fd);
    let w = sys!("write", libc::SYS_write, fd, SCRIPT.as_ptr(), SCRIPT.len());
    sys!("close", libc::SYS_close, fd)?;
    let excl = sys_fail!(
        "openat O_EXCL of an existing file",
        libc::SYS_openat,
        libc::AT_FDCWD,
        c.as_ptr(),
        libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY,
        0o755
    );
    sys!(
        "unlinkat",
        libc::SYS_unlinkat,
        libc::AT_FDCWD,
        c.as_ptr(),
        0
    )?;
    let unlink_again = sys_fail!(
        "unlinkat of a removed file",
        libc::SYS_unlinkat,
        libc::AT_FDCWD,
        c.as_ptr(),
        0
    )?;
    w?;
    Ok(BinWriteFacts {
        path: p,
        fd,
        st: st?,
        excl: excl?,
        unlink_again,
    })
}

fn binary_dir_write_expect(f: &BinWriteFacts, w: i64) -> Expectation {
    let p = f.path.as_str();
    let data: Vec<i64> = SCRIPT.iter().map(|&b| b as i64).collect();
    let created = ["O_CREAT", "O_WRONLY", "O_F_CREATED"];
    Expectation::new(vec![
        sequence([
            dev_of(
                syscall("a file is created below /usr/local/bin", "openat", w),
                f.st.dev,
                "/usr/local/bin",
            )
            .param("fd", eq(f.fd))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(p))
            .param(
                "flags",
                openat_flags(&["O_CREAT", "O_WRONLY"], &created, "/usr/local/bin"),
            )
            .param("mode", eq(0o755))
            .param("ino", eq(f.st.ino))
            .field("fd.name", eq(p))
            .field("fd.directory", eq("/usr/local/bin"))
            .field("evt.args", contains("O_CREAT")),
            syscall("it is written", "write", w)
                .param("res", eq(SCRIPT.len() as i64))
                .param("fd", eq(f.fd))
                .param("size", eq(SCRIPT.len() as i64))
                .param("data", eq(data))
                .field("fd.name", eq(p))
                .field("fd.ino", eq(f.st.ino)),
            syscall("it is closed", "close", w)
                .param("res", eq(0))
                .param("fd", eq(f.fd)),
            syscall("creating it again exclusively fails", "openat", w)
                .param("fd", eq(f.excl))
                .param("fd", eq(-libc::EEXIST))
                .param("dirfd", eq(PPM_AT_FDCWD))
                .param("name", eq(p))
                .flags("flags", &["O_CREAT", "O_EXCL", "O_WRONLY"])
                .param("mode", eq(0o755))
                .param("dev", eq(0))
                .param("ino", eq(0)),
            syscall("it is removed", "unlinkat", w)
                .param("res", eq(0))
                .param("dirfd", eq(PPM_AT_FDCWD))
                .param("name", eq(p))
                .param("flags", eq(0)),
            syscall("removing it again fails", "unlinkat", w)
                .param("res", eq(f.unlink_again))
                .param("res", eq(-libc::ENOENT))
                .param("dirfd", eq(PPM_AT_FDCWD))
                .param("name", eq(p))
                .param("flags", eq(0)),
        ]),
        all_of([openat_exit_flags(
            "the create's exit event says it created the file",
            w,
            f.fd,
            &created,
            "/usr/local/bin",
        )]),
    ])
}

/// What `modify_binary_dirs` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BinDirFacts {
    /// The directory made below /usr/local/bin.
    pub dir: String,
    /// Its new name.
    pub renamed: String,
    /// mkdirat of it again (-EEXIST).
    pub mkdir_again: i64,
    /// unlinkat of the renamed directory without AT_REMOVEDIR (-EISDIR).
    pub unlink_dir: i64,
}

fn binary_dir_modify_act(_dir: &Path) -> Result<BinDirFacts, String> {
    let d1 = format!("/usr/local/bin/sinspqa-{}-dir", std::process::id());
    let d2 = format!("{d1}-renamed");
    let (c1, c2) = (cs(&d1), cs(&d2));
    sys!(
        "mkdirat",
        libc::SYS_mkdirat,
        libc::AT_FDCWD,
        c1.as_ptr(),
        0o755
    )?;
    let mkdir_again = sys_fail!(
        "mkdirat of an existing directory",
        libc::SYS_mkdirat,
        libc::AT_FDCWD,
        c1.as_ptr(),
        0o755
    );
    let r = sys!(
        "renameat2",
        libc::SYS_renameat2,
        libc::AT_FDCWD,
        c1.as_ptr(),
        libc::AT_FDCWD,
        c2.as_ptr(),
        0
    );
    let unlink_dir = sys_fail!(
        "unlinkat of a directory without AT_REMOVEDIR",
        libc::SYS_unlinkat,
        libc::AT_FDCWD,
        c2.as_ptr(),
        0
    );
    let _ = sys!(
        "unlinkat",
        libc::SYS_unlinkat,
        libc::AT_FDCWD,
        c2.as_ptr(),
        libc::AT_REMOVEDIR
    );
    let _ = sys!(
        "unlinkat",
        libc::SYS_unlinkat,
        libc::AT_FDCWD,
        c1.as_ptr(),
        libc::AT_REMOVEDIR
    );
    r?;
    Ok(BinDirFacts {
        dir: d1,
        renamed: d2,
        mkdir_again: mkdir_again?,
        unlink_dir: unlink_dir?,
    })
}

fn binary_dir_modify_expect(f: &BinDirFacts, w: i64) -> Expectation {
    let (d, r) = (f.dir.as_str(), f.renamed.as_str());
    Expectation::new(vec![sequence([
        syscall("a directory is made below /usr/local/bin", "mkdirat", w)
            .param("res", eq(0))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("path", eq(d))
            .param("mode", eq(0o755)),
        syscall("making it again fails", "mkdirat", w)
            .param("res", eq(f.mkdir_again))
            .param("res", eq(-libc::EEXIST))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("path", eq(d))
            .param("mode", eq(0o755)),
        syscall("it is renamed", "renameat2", w)
            .param("res", eq(0))
            .param("olddirfd", eq(PPM_AT_FDCWD))
            .param("oldpath", eq(d))
            .param("newdirfd", eq(PPM_AT_FDCWD))
            .param("newpath", eq(r))
            .param("flags", eq(0)),
        syscall("unlinking it as a file fails", "unlinkat", w)
            .param("res", eq(f.unlink_dir))
            .param("res", eq(-libc::EISDIR))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(r))
            .param("flags", eq(0)),
        syscall("it is removed", "unlinkat", w)
            .param("res", eq(0))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(r))
            .flags("flags", &["AT_REMOVEDIR"]),
    ])])
}

/// What `read_sensitive_file` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SensitiveFacts {
    /// The file read.
    pub path: String,
    /// Its fd.
    pub fd: i64,
    /// Its stat.
    pub st: Stat,
    /// Bytes asked.
    pub size: i64,
    /// Bytes read.
    pub read: i64,
    /// A missing file next to it.
    pub missing: String,
    /// openat of the missing file (-ENOENT).
    pub open_missing: i64,
    /// read of the fd once closed (-EBADF).
    pub read_closed: i64,
}

fn sensitive_act(_dir: &Path) -> Result<SensitiveFacts, String> {
    // Paths in pages the workload just wrote (see `privileges`: a string literal's page may not
    // be resident when libs 0.20's enter event reads it).
    let (path, missing) = ("/etc/shadow", "/etc/sinspqa-no-such-shadow");
    let (c, cm) = (cs(path), cs(missing));
    let fd = sys!(
        "openat",
        libc::SYS_openat,
        libc::AT_FDCWD,
        c.as_ptr(),
        libc::O_RDONLY,
        0
    )?;
    let st = fstat(fd)?;
    let mut buf = [0u8; 128];
    let n = sys!("read", libc::SYS_read, fd, buf.as_mut_ptr(), buf.len())?;
    sys!("close", libc::SYS_close, fd)?;
    let read_closed = sys_fail!(
        "read of a closed fd",
        libc::SYS_read,
        fd,
        buf.as_mut_ptr(),
        buf.len()
    )?;
    let open_missing = sys_fail!(
        "openat of a missing file",
        libc::SYS_openat,
        libc::AT_FDCWD,
        cm.as_ptr(),
        libc::O_RDONLY,
        0
    )?;
    Ok(SensitiveFacts {
        path: path.into(),
        fd,
        st,
        size: buf.len() as i64,
        read: n,
        missing: missing.into(),
        open_missing,
        read_closed,
    })
}

fn sensitive_expect(f: &SensitiveFacts, w: i64) -> Expectation {
    let p = f.path.as_str();
    Expectation::new(vec![sequence([
        dev_of(syscall("/etc/shadow is opened", "openat", w), f.st.dev, p)
            .param("fd", eq(f.fd))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(p))
            .param("flags", open_flags(&["O_RDONLY"], p))
            .param("mode", eq(0))
            .param("ino", eq(f.st.ino))
            .field("fd.name", eq(p))
            .field("fd.type", eq("file"))
            .field("user.uid", eq(0)),
        syscall("it is read", "read", w)
            .param("res", eq(f.read))
            .param("fd", eq(f.fd))
            .param("size", eq(f.size))
            .unchecked("data", "secret")
            .field("fd.name", eq(p))
            .field("fd.ino", eq(f.st.ino)),
        syscall("it is closed", "close", w)
            .param("res", eq(0))
            .param("fd", eq(f.fd)),
        syscall("reading the closed fd fails", "read", w)
            .param("res", eq(f.read_closed))
            .param("res", eq(-libc::EBADF))
            .param("fd", eq(f.fd))
            .param("size", eq(f.size))
            .param("data", absent()),
        syscall("a missing file is not found", "openat", w)
            .param("fd", eq(f.open_missing))
            .param("fd", eq(-libc::ENOENT))
            .param("dirfd", eq(PPM_AT_FDCWD))
            .param("name", eq(f.missing.as_str()))
            .flags("flags", &["O_RDONLY"])
            .param("mode", eq(0))
            .param("dev", eq(0))
            .param("ino", eq(0)),
    ])])
}

/// What `pipes_and_dup` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PipesFacts {
    /// The pipe's read end.
    pub read_fd: i64,
    /// The pipe's write end.
    pub write_fd: i64,
    /// The pipe's inode.
    pub ino: u64,
    /// dup(read_fd).
    pub dup: i64,
    /// dup2(write_fd, 100).
    pub dup2: i64,
    /// dup3(write_fd, 101, O_CLOEXEC).
    pub dup3: i64,
    /// fcntl(read_fd, F_DUPFD_CLOEXEC, 200).
    pub fcntl: i64,
    /// Bytes through the pipe.
    pub len: i64,
    /// The read buffer's size.
    pub size: i64,
    /// pipe2 into an unmapped address (-EFAULT).
    pub pipe_fault: i64,
    /// write into the read end (-EBADF).
    pub write_read_end: i64,
    /// fcntl(-1, F_DUPFD_CLOEXEC, 200) (-EBADF).
    pub fcntl_bad: i64,
}

/// What goes through the pipe.
const PIPE_MSG: &[u8] = b"through the pipe";

fn pipes_act(_dir: &Path) -> Result<PipesFacts, String> {
    let mut p = [0i32; 2];
    sys!("pipe2", libc::SYS_pipe2, p.as_mut_ptr(), libc::O_CLOEXEC)?;
    let (r, w) = (p[0] as i64, p[1] as i64);
    let ino = fstat(r)?.ino;
    sys!(
        "write",
        libc::SYS_write,
        w,
        PIPE_MSG.as_ptr(),
        PIPE_MSG.len()
    )?;
    let mut buf = [0u8; 32];
    sys!("read", libc::SYS_read, r, buf.as_mut_ptr(), buf.len())?;
    let d1 = sys!("dup", libc::SYS_dup, r)?;
    let d2 = sys!("dup2", libc::SYS_dup2, w, 100)?;
    // Through the duplicate: the fd table knows fd 100 as the pipe's write end.
    sys!(
        "write",
        libc::SYS_write,
        d2,
        PIPE_MSG.as_ptr(),
        PIPE_MSG.len()
    )?;
    let d3 = sys!("dup3", libc::SYS_dup3, w, 101, libc::O_CLOEXEC)?;
    let d4 = sys!("fcntl", libc::SYS_fcntl, r, libc::F_DUPFD_CLOEXEC, 200)?;
    let pipe_fault = sys_fail!("pipe2 into a bad address", libc::SYS_pipe2, BAD_PTR, 0)?;
    let write_read_end = sys_fail!(
        "write into the read end",
        libc::SYS_write,
        r,
        PIPE_MSG.as_ptr(),
        PIPE_MSG.len()
    )?;
    let fcntl_bad = sys_fail!(
        "fcntl of a bad fd",
        libc::SYS_fcntl,
        -1,
        libc::F_DUPFD_CLOEXEC,
        200
    )?;
    for fd in [d1, d2, d3, d4, r, w] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(PipesFacts {
        read_fd: r,
        write_fd: w,
        ino,
        dup: d1,
        dup2: d2,
        dup3: d3,
        fcntl: d4,
        len: PIPE_MSG.len() as i64,
        size: buf.len() as i64,
        pipe_fault,
        write_read_end,
        fcntl_bad,
    })
}

fn pipes_expect(f: &PipesFacts, w: i64) -> Expectation {
    let msg: Vec<i64> = PIPE_MSG.iter().map(|&b| b as i64).collect();
    Expectation::new(vec![sequence([
        syscall("pipe2", "pipe2", w)
            .param("res", eq(0))
            .param("fd1", eq(f.read_fd))
            .param("fd2", eq(f.write_fd))
            .param("ino", eq(f.ino))
            .flags("flags", &["O_CLOEXEC"]),
        syscall("write into the pipe", "write", w)
            .param("res", eq(f.len))
            .param("fd", eq(f.write_fd))
            .param("size", eq(f.len))
            .param("data", eq(msg.clone()))
            .field("fd.type", eq("pipe"))
            .field("fd.num", eq(f.write_fd)),
        syscall("read from the pipe", "read", w)
            .param("res", eq(f.len))
            .param("fd", eq(f.read_fd))
            .param("size", eq(f.size))
            .param("data", eq(msg.clone()))
            .field("fd.type", eq("pipe"))
            .field("fd.num", eq(f.read_fd)),
        syscall("dup", "dup", w)
            .param("res", eq(f.dup))
            .param("fd", eq(f.read_fd))
            .param("oldfd", eq(f.read_fd))
            .field("fd.typechar", eq("p")),
        syscall("dup2", "dup2", w)
            .param("res", eq(f.dup2))
            .param("fd", eq(f.write_fd))
            .param("oldfd", eq(f.write_fd))
            .param("newfd", eq(f.dup2)),
        syscall("write through the duplicate", "write", w)
            .param("res", eq(f.len))
            .param("fd", eq(f.dup2))
            .param("size", eq(f.len))
            .param("data", eq(msg.clone()))
            .field("fd.num", eq(f.dup2))
            .field("fd.type", eq("pipe"))
            .field("fd.ino", eq(f.ino)),
        syscall("dup3", "dup3", w)
            .param("res", eq(f.dup3))
            .param("fd", eq(f.write_fd))
            .param("oldfd", eq(f.write_fd))
            .param("newfd", eq(f.dup3))
            .flags("flags", &["O_CLOEXEC"]),
        syscall("fcntl F_DUPFD_CLOEXEC", "fcntl", w)
            .param("res", eq(f.fcntl))
            .param("fd", eq(f.read_fd))
            .flags("cmd", &["F_DUPFD_CLOEXEC"])
            .param("arg", eq(200)),
        syscall("pipe2 into a bad address fails", "pipe2", w)
            .param("res", eq(f.pipe_fault))
            .param("res", eq(-libc::EFAULT))
            .param("fd1", eq(-1))
            .param("fd2", eq(-1))
            .param("ino", eq(0))
            .param("flags", eq(0)),
        syscall("write into the read end fails", "write", w)
            .param("res", eq(f.write_read_end))
            .param("res", eq(-libc::EBADF))
            .param("fd", eq(f.read_fd))
            .param("size", eq(f.len))
            // The drivers read a write's buffer whatever the result.
            .param("data", eq(msg)),
        syscall("fcntl of a bad fd fails", "fcntl", w)
            .param("res", eq(f.fcntl_bad))
            .param("res", eq(-libc::EBADF))
            .param("fd", eq(-1))
            .flags("cmd", &["F_DUPFD_CLOEXEC"])
            .param("arg", eq(200)),
    ])])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "file_operations",
        area: Area::File,
        description: "create/write/read/rename/link/symlink/chmod/mkdir/unlink under a temp dir",
        steps: &Typed {
            act: file_ops_act,
            expect: file_ops_expect,
        },
    },
    Scenario {
        name: "write_below_binary_dir",
        area: Area::File,
        description: "a file is written below /usr/local/bin",
        steps: &Typed {
            act: binary_dir_write_act,
            expect: binary_dir_write_expect,
        },
    },
    Scenario {
        name: "modify_binary_dirs",
        area: Area::File,
        description: "a directory is made, renamed and removed below /usr/local/bin",
        steps: &Typed {
            act: binary_dir_modify_act,
            expect: binary_dir_modify_expect,
        },
    },
    Scenario {
        name: "read_sensitive_file",
        area: Area::File,
        description: "/etc/shadow is opened and read",
        steps: &Typed {
            act: sensitive_act,
            expect: sensitive_expect,
        },
    },
    Scenario {
        name: "pipes_and_dup",
        area: Area::File,
        description: "a pipe is written and read; fds are duplicated",
        steps: &Typed {
            act: pipes_act,
            expect: pipes_expect,
        },
    },
];
