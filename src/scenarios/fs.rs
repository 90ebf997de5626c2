//! Scenarios of paths and metadata: opens, stats, directories, links, renames, permissions.
//!
//! Every scenario works in the temp dir its action gets (`/tmp/sinspqa-*/work`). The `dev`
//! param of the opens is asserted against `(uint32_t)st_dev` where that dir is on ext4, as
//! drivers_test does (on the QA machine /tmp is on the ext4 root file system), else unchecked.
use super::prelude::*;
use crate::expect::Pred;

/// `dir/name` as a string.
fn join(dir: &str, name: &str) -> String {
    format!("{dir}/{name}")
}

/// The temp dir as a string.
fn dir_str(dir: &Path) -> String {
    dir.display().to_string()
}

/// `O_RDONLY | O_DIRECTORY` open of `path` through openat (a dir fd for the *at calls).
fn open_dir(path: &Path) -> Result<i64, String> {
    let c = cs(path);
    sys!(
        "openat dir",
        libc::SYS_openat,
        libc::AT_FDCWD,
        c.as_ptr(),
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0
    )
}

/// Creates an empty file `path` (through openat, then close).
fn touch(path: &Path) -> Result<(), String> {
    let c = cs(path);
    let fd = sys!(
        "openat create",
        libc::SYS_openat,
        libc::AT_FDCWD,
        c.as_ptr(),
        libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC,
        0o644
    )?;
    sys!("close", libc::SYS_close, fd)?;
    Ok(())
}

/// The flags param of an open-like call that created its file: `base` plus `O_F_CREATED`. Up to
/// libs 0.21 the enter event carries the flags too, without `O_F_CREATED` (the driver only
/// knows after the call): there either value passes the param, and the exit event's rendered
/// args must name `O_F_CREATED`.
fn created_flags(m: EventMatcher, ty: &str, base: &[&str]) -> EventMatcher {
    let mut with: Vec<&str> = base.to_vec();
    with.push("O_F_CREATED");
    if crate::event::exits_carry_enter_params() {
        return m.flags("flags", &with);
    }
    match (
        crate::event::flag_value(ty, "flags", base),
        crate::event::flag_value(ty, "flags", &with),
    ) {
        (Ok(a), Ok(b)) => m
            .param("flags", one_of([a, b]))
            .field("evt.args", contains("O_F_CREATED")),
        (Err(e), _) | (_, Err(e)) => m.param("flags", Pred::Eq(format!("<harness: {e}>").into())),
    }
}

/// Whether the file system of `dir` is ext4, where drivers_test asserts the `dev` param
/// (`(uint32_t)st_dev`): elsewhere (overlayfs, btrfs, ...) the drivers may report another device
/// number than stat(2) does.
fn is_ext4(dir: &Path) -> Result<bool, String> {
    const EXT4_SUPER_MAGIC: i64 = 0xEF53;
    let c = cs(dir);
    // SAFETY: a zeroed `statfs` is a valid out-buffer.
    let mut sf: libc::statfs = unsafe { std::mem::zeroed() };
    sys!(
        "statfs",
        libc::SYS_statfs,
        c.as_ptr(),
        &mut sf as *mut libc::statfs
    )?;
    Ok(sf.f_type as i64 == EXT4_SUPER_MAGIC)
}

/// The `dev` param of a call that opened a file.
trait DevParam {
    /// `dev == st.dev` where the temp dir is on ext4, else unchecked (see [`is_ext4`]).
    fn dev_of(self, ext4: bool, st: &Stat) -> Self;
}

impl DevParam for EventMatcher {
    fn dev_of(self, ext4: bool, st: &Stat) -> Self {
        if ext4 {
            self.param("dev", eq(st.dev))
        } else {
            self.unchecked("dev", "not ext4")
        }
    }
}

/// The kernel's internal device number (`MKDEV`: major << 20 | minor) the drivers report for
/// the `dev` param of mknod.
fn kernel_dev(major: u32, minor: u32) -> u32 {
    (major << 20) | minor
}

// ---------------------------------------------------------------------------------------------
// open_family: open, creat, openat2, open_by_handle_at

/// `struct open_how` of openat2(2).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

const RESOLVE_BENEATH: u64 = 0x08;
const MAX_HANDLE_SZ: usize = 128;

/// `struct file_handle` of name_to_handle_at(2) with room for the largest handle.
#[repr(C)]
struct FileHandle {
    handle_bytes: u32,
    handle_type: i32,
    f_handle: [u8; MAX_HANDLE_SZ],
}

/// What `open_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct OpenFacts {
    /// The temp dir.
    pub dir: String,
    /// open(dir/open.txt, O_RDWR|O_CREAT, 0640).
    pub open_fd: i64,
    /// fstat of it.
    pub open_st: Stat,
    /// Whether the temp dir is on ext4 (`dev` is asserted only there).
    pub ext4: bool,
    /// open(dir/open.txt, O_RDWR|O_CREAT, 0600) again: it exists, nothing is created.
    pub reopen_fd: i64,
    /// open(dir/open.txt, O_WRONLY|O_CREAT|O_EXCL, 0600)'s result (-EEXIST).
    pub open_excl: i64,
    /// open(dir, O_RDWR|O_TMPFILE, 0600): an unnamed file in the dir.
    pub tmpfile_fd: i64,
    /// fstat of it.
    pub tmpfile_st: Stat,
    /// open(dir/missing/x, O_RDONLY) (-ENOENT).
    pub open_missing: i64,
    /// creat(dir/creat.txt, 0600).
    pub creat_fd: i64,
    /// fstat of it.
    pub creat_st: Stat,
    /// creat(dir/missing/c.txt, 0600) (-ENOENT).
    pub creat_missing: i64,
    /// The dir fd openat2 and open_by_handle_at use.
    pub dirfd: i64,
    /// openat2(dirfd, "openat2.txt", {O_RDWR|O_CREAT, 0644, RESOLVE_BENEATH}).
    pub openat2_fd: i64,
    /// fstat of it.
    pub openat2_st: Stat,
    /// openat2(dirfd, "../escape", {O_RDONLY, 0, RESOLVE_BENEATH}) (-EXDEV).
    pub openat2_escape: i64,
    /// open_by_handle_at(dirfd, handle of open.txt, O_RDONLY).
    pub obh_fd: i64,
    /// Whether the temp dir's file system gives file handles (name_to_handle_at); where it
    /// does not, `obh_fd` is the failure of open_by_handle_at on an unresolvable handle.
    pub handles: bool,
    /// open_by_handle_at(-1, NULL, O_RDWR)'s result.
    pub obh_bad: i64,
}

fn open_act(dir: &Path) -> Result<OpenFacts, String> {
    let d = dir_str(dir);
    let ext4 = is_ext4(dir)?;
    let open_path = cs(dir.join("open.txt"));
    let open_fd = sys!(
        "open create",
        libc::SYS_open,
        open_path.as_ptr(),
        libc::O_RDWR | libc::O_CREAT,
        0o640
    )?;
    let open_st = fstat(open_fd)?;
    let reopen_fd = sys!(
        "open O_CREAT existing",
        libc::SYS_open,
        open_path.as_ptr(),
        libc::O_RDWR | libc::O_CREAT,
        0o600
    )?;
    let open_excl = sys_fail!(
        "open O_EXCL existing",
        libc::SYS_open,
        open_path.as_ptr(),
        libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
        0o600
    )?;
    let cdir = cs(dir);
    let tmpfile_fd = sys!(
        "open O_TMPFILE",
        libc::SYS_open,
        cdir.as_ptr(),
        libc::O_RDWR | libc::O_TMPFILE,
        0o600
    )?;
    let tmpfile_st = fstat(tmpfile_fd)?;
    let missing = cs(dir.join("missing/x"));
    let open_missing = sys_fail!(
        "open missing",
        libc::SYS_open,
        missing.as_ptr(),
        libc::O_RDONLY,
        0
    )?;
    let creat_path = cs(dir.join("creat.txt"));
    let creat_fd = sys!("creat", libc::SYS_creat, creat_path.as_ptr(), 0o600)?;
    let creat_st = fstat(creat_fd)?;
    let creat_bad = cs(dir.join("missing/c.txt"));
    let creat_missing = sys_fail!("creat missing", libc::SYS_creat, creat_bad.as_ptr(), 0o600)?;

    let dirfd = open_dir(dir)?;
    let name = c"openat2.txt";
    let how = OpenHow {
        flags: (libc::O_RDWR | libc::O_CREAT) as u64,
        mode: 0o644,
        resolve: RESOLVE_BENEATH,
    };
    let openat2_fd = sys!(
        "openat2",
        libc::SYS_openat2,
        dirfd,
        name.as_ptr(),
        &how as *const OpenHow,
        std::mem::size_of::<OpenHow>()
    )?;
    let openat2_st = fstat(openat2_fd)?;
    let escape = c"../escape";
    let how_ro = OpenHow {
        flags: libc::O_RDONLY as u64,
        mode: 0,
        resolve: RESOLVE_BENEATH,
    };
    let openat2_escape = sys_fail!(
        "openat2 escaping",
        libc::SYS_openat2,
        dirfd,
        escape.as_ptr(),
        &how_ro as *const OpenHow,
        std::mem::size_of::<OpenHow>()
    )?;

    let mut fh = FileHandle {
        handle_bytes: MAX_HANDLE_SZ as u32,
        handle_type: 0,
        f_handle: [0; MAX_HANDLE_SZ],
    };
    let mut mount_id = 0i32;
    // SAFETY: `open_path` is NUL-terminated; `fh` and `mount_id` are out-buffers of the sizes
    // the call expects (handle_bytes says the room in f_handle).
    let r = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            libc::AT_FDCWD as libc::c_long,
            open_path.as_ptr(),
            &mut fh as *mut FileHandle,
            &mut mount_id as *mut i32,
            0 as libc::c_long,
        )
    };
    // A file system that gives no handles (an overlay without nfs_export: a container's or a
    // guest's /tmp) refuses with EOPNOTSUPP; the reopen by handle is then its failure, with a
    // handle nothing resolves (the call and every param still asserted).
    let handles = if r == 0 {
        true
    } else {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EOPNOTSUPP) {
            return Err(format!("name_to_handle_at: {e}"));
        }
        false
    };
    let obh_fd = if handles {
        sys!(
            "open_by_handle_at",
            libc::SYS_open_by_handle_at,
            dirfd,
            &fh as *const FileHandle,
            libc::O_RDONLY
        )?
    } else {
        sys_fail!(
            "open_by_handle_at of an unresolvable handle",
            libc::SYS_open_by_handle_at,
            dirfd,
            &fh as *const FileHandle,
            libc::O_RDONLY
        )?
    };
    let obh_bad = sys_fail!(
        "open_by_handle_at bad mount fd",
        libc::SYS_open_by_handle_at,
        -1,
        std::ptr::null::<FileHandle>(),
        libc::O_RDWR
    )?;
    for fd in [
        open_fd, reopen_fd, tmpfile_fd, creat_fd, openat2_fd, obh_fd, dirfd,
    ] {
        if fd >= 0 {
            sys!("close", libc::SYS_close, fd)?;
        }
    }
    Ok(OpenFacts {
        dir: d,
        ext4,
        open_fd,
        open_st,
        reopen_fd,
        open_excl,
        tmpfile_fd,
        tmpfile_st,
        open_missing,
        creat_fd,
        creat_st,
        creat_missing,
        dirfd,
        openat2_fd,
        openat2_st,
        openat2_escape,
        obh_fd,
        handles,
        obh_bad,
    })
}

fn open_expect(f: &OpenFacts, pid: i64) -> Expectation {
    let open_path = join(&f.dir, "open.txt");
    let creat_path = join(&f.dir, "creat.txt");
    Expectation::new(vec![sequence([
        created_flags(
            syscall("open creates open.txt", "open", pid),
            "open",
            &["O_RDWR", "O_CREAT"],
        )
        .param("fd", eq(f.open_fd))
        .param("name", eq(open_path.as_str()))
        .param("mode", eq(0o640))
        .dev_of(f.ext4, &f.open_st)
        .param("ino", eq(f.open_st.ino))
        .field("fd.name", eq(open_path.as_str()))
        .field("fd.typechar", eq("f")),
        syscall(
            "open O_CREAT of the existing file creates nothing",
            "open",
            pid,
        )
        .param("fd", eq(f.reopen_fd))
        .param("name", eq(open_path.as_str()))
        .flags("flags", &["O_RDWR", "O_CREAT"])
        .param("mode", eq(0o600))
        .dev_of(f.ext4, &f.open_st)
        .param("ino", eq(f.open_st.ino))
        .field("fd.name", eq(open_path.as_str()))
        .field("fd.typechar", eq("f")),
        syscall(
            "open O_CREAT|O_EXCL of the existing file fails",
            "open",
            pid,
        )
        .param("fd", eq(f.open_excl))
        .param("name", eq(open_path.as_str()))
        .flags("flags", &["O_WRONLY", "O_CREAT", "O_EXCL"])
        .param("mode", eq(0o600))
        .param("dev", eq(0))
        .param("ino", eq(0)),
        syscall("open of an unnamed O_TMPFILE file in the dir", "open", pid)
            .param("fd", eq(f.tmpfile_fd))
            .param("name", eq(f.dir.as_str()))
            .flags("flags", &["O_RDWR", "O_TMPFILE", "O_DIRECTORY"])
            .param("mode", eq(0o600))
            .dev_of(f.ext4, &f.tmpfile_st)
            .param("ino", eq(f.tmpfile_st.ino))
            // Not asserted: fd.typechar. libsinsp (0.20.0 to master, parse_open_openat_creat)
            // types every fd opened with O_DIRECTORY as a directory ('d'), and O_TMPFILE
            // includes O_DIRECTORY: this regular (unnamed) file is reported as a directory.
            .field("fd.name", eq(f.dir.as_str())),
        syscall("open of a missing dir's file fails", "open", pid)
            .param("fd", eq(f.open_missing))
            .param("name", eq(join(&f.dir, "missing/x")))
            .flags("flags", &["O_RDONLY"])
            .param("mode", eq(0))
            .param("dev", eq(0))
            .param("ino", eq(0)),
        syscall("creat creates creat.txt", "creat", pid)
            .param("fd", eq(f.creat_fd))
            .param("name", eq(creat_path.as_str()))
            .param("mode", eq(0o600))
            .dev_of(f.ext4, &f.creat_st)
            .param("ino", eq(f.creat_st.ino))
            .param("creat_flags", eq(0))
            .field("fd.name", eq(creat_path.as_str()))
            .field("fd.typechar", eq("f")),
        syscall("creat in a missing dir fails", "creat", pid)
            .param("fd", eq(f.creat_missing))
            .param("name", eq(join(&f.dir, "missing/c.txt")))
            .param("mode", eq(0o600))
            .param("dev", eq(0))
            .param("ino", eq(0))
            .param("creat_flags", eq(0)),
        created_flags(
            syscall(
                "openat2 creates openat2.txt beneath the dir",
                "openat2",
                pid,
            ),
            "openat2",
            &["O_RDWR", "O_CREAT"],
        )
        .param("fd", eq(f.openat2_fd))
        .param("dirfd", eq(f.dirfd))
        .param("name", eq("openat2.txt"))
        .param("mode", eq(0o644))
        .flags("resolve", &["RESOLVE_BENEATH"])
        .dev_of(f.ext4, &f.openat2_st)
        .param("ino", eq(f.openat2_st.ino))
        .field("fd.name", eq(join(&f.dir, "openat2.txt")))
        .field("fd.typechar", eq("f")),
        syscall("openat2 escaping the dir fails", "openat2", pid)
            .param("fd", eq(f.openat2_escape))
            .param("dirfd", eq(f.dirfd))
            .param("name", eq("../escape"))
            .flags("flags", &["O_RDONLY"])
            .param("mode", eq(0))
            .flags("resolve", &["RESOLVE_BENEATH"])
            .param("dev", eq(0))
            .param("ino", eq(0)),
        if f.handles {
            syscall(
                "open_by_handle_at reopens open.txt",
                "open_by_handle_at",
                pid,
            )
            .param("fd", eq(f.obh_fd))
            .param("mountfd", eq(f.dirfd))
            .flags("flags", &["O_RDONLY"])
            .param("path", eq(open_path.as_str()))
            .dev_of(f.ext4, &f.open_st)
            .param("ino", eq(f.open_st.ino))
            .field("fd.name", eq(open_path.as_str()))
            .field("fd.typechar", eq("f"))
        } else {
            syscall(
                "open_by_handle_at of a handle nothing resolves fails",
                "open_by_handle_at",
                pid,
            )
            .param("fd", eq(f.obh_fd))
            .param("mountfd", eq(f.dirfd))
            .flags("flags", &["O_RDONLY"])
            .param("path", eq("<NA>"))
            .param("dev", eq(0))
            .param("ino", eq(0))
        },
        syscall(
            "open_by_handle_at with a bad mount fd fails",
            "open_by_handle_at",
            pid,
        )
        .param("fd", eq(f.obh_bad))
        .param("mountfd", eq(-1))
        .flags("flags", &["O_RDWR"])
        .param("path", eq("<NA>"))
        .param("dev", eq(0))
        .param("ino", eq(0)),
    ])])
}

// ---------------------------------------------------------------------------------------------
// stat_family: stat, lstat, fstat, newfstatat, access

/// What `stat_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StatFacts {
    /// The temp dir (holds `file`, mode 0640).
    pub dir: String,
    /// stat(dir/missing)'s result (-ENOENT).
    pub stat_missing: i64,
    /// stat(BAD_PTR, buf)'s result (-EFAULT).
    pub stat_fault: i64,
    /// lstat(dir/file/sub)'s result (-ENOTDIR: file is not a dir).
    pub lstat_notdir: i64,
    /// The fd of `file` fstat'ed.
    pub fd: i64,
    /// fstat(-1)'s result (-EBADF).
    pub fstat_bad: i64,
    /// fstat(fd, BAD_PTR)'s result (-EFAULT).
    pub fstat_fault: i64,
    /// The dir fd newfstatat uses.
    pub dirfd: i64,
    /// newfstatat(-1, "file", buf, 0)'s result (-EBADF).
    pub newfstatat_bad: i64,
    /// access(dir/file, X_OK)'s result (-EACCES: no x bit, even for root).
    pub access_noexec: i64,
}

fn stat_act(dir: &Path) -> Result<StatFacts, String> {
    let file = dir.join("file");
    let cfile = cs(&file);
    let fd = sys!(
        "openat create",
        libc::SYS_openat,
        libc::AT_FDCWD,
        cfile.as_ptr(),
        libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC,
        0o640
    )?;
    let dirfd = open_dir(dir)?;
    // SAFETY: a zeroed `stat` is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let buf = &mut st as *mut libc::stat;
    sys!("stat", libc::SYS_stat, cfile.as_ptr(), buf)?;
    let missing = cs(dir.join("missing"));
    let stat_missing = sys_fail!("stat missing", libc::SYS_stat, missing.as_ptr(), buf)?;
    let stat_fault = sys_fail!("stat bad path pointer", libc::SYS_stat, BAD_PTR, buf)?;
    sys!("lstat", libc::SYS_lstat, cfile.as_ptr(), buf)?;
    let notdir = cs(dir.join("file/sub"));
    let lstat_notdir = sys_fail!("lstat below a file", libc::SYS_lstat, notdir.as_ptr(), buf)?;
    sys!("fstat", libc::SYS_fstat, fd, buf)?;
    let fstat_bad = sys_fail!("fstat -1", libc::SYS_fstat, -1, buf)?;
    let fstat_fault = sys_fail!("fstat bad buffer", libc::SYS_fstat, fd, BAD_PTR)?;
    sys!(
        "newfstatat",
        libc::SYS_newfstatat,
        dirfd,
        c"file".as_ptr(),
        buf,
        libc::AT_SYMLINK_NOFOLLOW
    )?;
    let newfstatat_bad = sys_fail!(
        "newfstatat bad dirfd",
        libc::SYS_newfstatat,
        -1,
        c"file".as_ptr(),
        buf,
        0
    )?;
    sys!(
        "access",
        libc::SYS_access,
        cfile.as_ptr(),
        libc::R_OK | libc::W_OK
    )?;
    let access_noexec = sys_fail!("access X_OK", libc::SYS_access, cfile.as_ptr(), libc::X_OK)?;
    for f in [fd, dirfd] {
        sys!("close", libc::SYS_close, f)?;
    }
    Ok(StatFacts {
        dir: dir_str(dir),
        stat_missing,
        stat_fault,
        lstat_notdir,
        fd,
        fstat_bad,
        fstat_fault,
        dirfd,
        newfstatat_bad,
        access_noexec,
    })
}

fn stat_expect(f: &StatFacts, pid: i64) -> Expectation {
    let file = join(&f.dir, "file");
    Expectation::new(vec![sequence([
        syscall("stat of the file", "stat", pid)
            .param("res", eq(0))
            .param("path", eq(file.as_str())),
        syscall("stat of a missing file fails", "stat", pid)
            .param("res", eq(f.stat_missing))
            .param("path", eq(join(&f.dir, "missing"))),
        syscall("stat of a bad path pointer fails", "stat", pid)
            .param("res", eq(f.stat_fault))
            .param("path", eq("<NA>")),
        syscall("lstat of the file", "lstat", pid)
            .param("res", eq(0))
            .param("path", eq(file.as_str())),
        syscall("lstat below a file fails", "lstat", pid)
            .param("res", eq(f.lstat_notdir))
            .param("path", eq(join(&f.dir, "file/sub"))),
        syscall("fstat of the file's fd", "fstat", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .field("fd.name", eq(file.as_str()))
            .field("fd.typechar", eq("f")),
        syscall("fstat of a bad fd fails", "fstat", pid)
            .param("res", eq(f.fstat_bad))
            .param("fd", eq(-1)),
        syscall("fstat into a bad buffer fails", "fstat", pid)
            .param("res", eq(f.fstat_fault))
            .param("fd", eq(f.fd))
            .field("fd.name", eq(file.as_str())),
        syscall("newfstatat of the file in the dir", "newfstatat", pid)
            .param("res", eq(0))
            .param("dirfd", eq(f.dirfd))
            .param("path", eq("file"))
            .flags("flags", &["AT_SYMLINK_NOFOLLOW"]),
        syscall("newfstatat with a bad dirfd fails", "newfstatat", pid)
            .param("res", eq(f.newfstatat_bad))
            .param("dirfd", eq(-1))
            .param("path", eq("file"))
            .param("flags", eq(0)),
        syscall("access R_OK|W_OK of the file", "access", pid)
            .param("res", eq(0))
            .param("name", eq(file.as_str()))
            .flags("mode", &["R_OK", "W_OK"]),
        syscall("access X_OK of a file without x bits fails", "access", pid)
            .param("res", eq(f.access_noexec))
            .param("name", eq(file.as_str()))
            .flags("mode", &["X_OK"]),
    ])])
}

// ---------------------------------------------------------------------------------------------
// dir_family: mkdir, mkdirat, rmdir, chdir, fchdir, getcwd, getdents, getdents64

/// What `dir_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DirFacts {
    /// The temp dir.
    pub dir: String,
    /// mkdir(dir/sub) again's result (-EEXIST).
    pub mkdir_exists: i64,
    /// The dir fd (of `dir`) mkdirat and fchdir use.
    pub dirfd: i64,
    /// mkdirat(-1, "sub3", 0700)'s result (-EBADF).
    pub mkdirat_bad: i64,
    /// chdir(dir/missing)'s result (-ENOENT).
    pub chdir_missing: i64,
    /// A regular file's fd (fchdir to it fails with ENOTDIR, getdents of it too).
    pub file_fd: i64,
    /// fchdir(file_fd)'s result (-ENOTDIR).
    pub fchdir_notdir: i64,
    /// getcwd(buf, 4096)'s result (the path's length with its NUL).
    pub getcwd_len: i64,
    /// getcwd(buf, 2)'s result (-ERANGE).
    pub getcwd_small: i64,
    /// The fresh dir fd getdents reads.
    pub dents_fd: i64,
    /// getdents(dents_fd, buf, 4096)'s result.
    pub getdents_len: i64,
    /// getdents(file_fd)'s result (-ENOTDIR).
    pub getdents_notdir: i64,
    /// The fresh dir fd getdents64 reads.
    pub dents64_fd: i64,
    /// getdents64(dents64_fd, buf, 4096)'s result.
    pub getdents64_len: i64,
    /// getdents64(-1)'s result (-EBADF).
    pub getdents64_bad: i64,
    /// rmdir(dir)'s result (-ENOTEMPTY).
    pub rmdir_notempty: i64,
}

fn dir_act(dir: &Path) -> Result<DirFacts, String> {
    let start = open_dir(Path::new("."))?;
    let sub = cs(dir.join("sub"));
    sys!("mkdir", libc::SYS_mkdir, sub.as_ptr(), 0o755)?;
    let mkdir_exists = sys_fail!("mkdir again", libc::SYS_mkdir, sub.as_ptr(), 0o755)?;
    let dirfd = open_dir(dir)?;
    sys!("mkdirat", libc::SYS_mkdirat, dirfd, c"sub2".as_ptr(), 0o700)?;
    let mkdirat_bad = sys_fail!(
        "mkdirat bad dirfd",
        libc::SYS_mkdirat,
        -1,
        c"sub3".as_ptr(),
        0o700
    )?;
    sys!("chdir", libc::SYS_chdir, sub.as_ptr())?;
    let missing = cs(dir.join("missing"));
    let chdir_missing = sys_fail!("chdir missing", libc::SYS_chdir, missing.as_ptr())?;
    sys!("fchdir", libc::SYS_fchdir, dirfd)?;
    let file = cs(dir.join("file"));
    let file_fd = sys!(
        "openat create",
        libc::SYS_openat,
        libc::AT_FDCWD,
        file.as_ptr(),
        libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC,
        0o644
    )?;
    let fchdir_notdir = sys_fail!("fchdir to a file", libc::SYS_fchdir, file_fd)?;
    sys!("chdir relative", libc::SYS_chdir, c"sub".as_ptr())?;
    sys!("chdir ..", libc::SYS_chdir, c"..".as_ptr())?;
    let mut buf = vec![0u8; 4096];
    let getcwd_len = sys!("getcwd", libc::SYS_getcwd, buf.as_mut_ptr(), buf.len())?;
    let getcwd_small = sys_fail!("getcwd small", libc::SYS_getcwd, buf.as_mut_ptr(), 2)?;
    let dents_fd = open_dir(dir)?;
    let getdents_len = sys!(
        "getdents",
        libc::SYS_getdents,
        dents_fd,
        buf.as_mut_ptr(),
        buf.len()
    )?;
    let getdents_notdir = sys_fail!(
        "getdents of a file",
        libc::SYS_getdents,
        file_fd,
        buf.as_mut_ptr(),
        buf.len()
    )?;
    let dents64_fd = open_dir(dir)?;
    let getdents64_len = sys!(
        "getdents64",
        libc::SYS_getdents64,
        dents64_fd,
        buf.as_mut_ptr(),
        buf.len()
    )?;
    let getdents64_bad = sys_fail!(
        "getdents64 -1",
        libc::SYS_getdents64,
        -1,
        buf.as_mut_ptr(),
        buf.len()
    )?;
    let sub2 = cs(dir.join("sub2"));
    sys!("rmdir", libc::SYS_rmdir, sub2.as_ptr())?;
    let d = cs(dir);
    let rmdir_notempty = sys_fail!("rmdir non-empty", libc::SYS_rmdir, d.as_ptr())?;
    sys!("fchdir back", libc::SYS_fchdir, start)?;
    for fd in [file_fd, dents_fd, dents64_fd, dirfd, start] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(DirFacts {
        dir: dir_str(dir),
        mkdir_exists,
        dirfd,
        mkdirat_bad,
        chdir_missing,
        file_fd,
        fchdir_notdir,
        getcwd_len,
        getcwd_small,
        dents_fd,
        getdents_len,
        getdents_notdir,
        dents64_fd,
        getdents64_len,
        getdents64_bad,
        rmdir_notempty,
    })
}

fn dir_expect(f: &DirFacts, pid: i64) -> Expectation {
    let sub = join(&f.dir, "sub");
    Expectation::new(vec![sequence([
        syscall("mkdir sub", "mkdir", pid)
            .param("res", eq(0))
            .param("path", eq(sub.as_str()))
            .param("mode", eq(0o755)),
        syscall("mkdir of an existing dir fails", "mkdir", pid)
            .param("res", eq(f.mkdir_exists))
            .param("path", eq(sub.as_str()))
            .param("mode", eq(0o755)),
        syscall("mkdirat sub2 in the dir", "mkdirat", pid)
            .param("res", eq(0))
            .param("dirfd", eq(f.dirfd))
            .param("path", eq("sub2"))
            .param("mode", eq(0o700)),
        syscall("mkdirat with a bad dirfd fails", "mkdirat", pid)
            .param("res", eq(f.mkdirat_bad))
            .param("dirfd", eq(-1))
            .param("path", eq("sub3"))
            .param("mode", eq(0o700)),
        syscall("chdir into sub", "chdir", pid)
            .param("res", eq(0))
            .param("path", eq(sub.as_str()))
            .field("proc.cwd", eq(format!("{sub}/"))),
        syscall("chdir into a missing dir fails", "chdir", pid)
            .param("res", eq(f.chdir_missing))
            .param("path", eq(join(&f.dir, "missing")))
            .field("proc.cwd", eq(format!("{sub}/"))),
        syscall("fchdir back to the dir", "fchdir", pid)
            .param("res", eq(0))
            .param("fd", eq(f.dirfd))
            .field("fd.name", eq(f.dir.as_str()))
            .field("fd.typechar", eq("d"))
            .field("proc.cwd", eq(format!("{}/", f.dir))),
        syscall("fchdir to a file fails", "fchdir", pid)
            .param("res", eq(f.fchdir_notdir))
            .param("fd", eq(f.file_fd))
            .field("proc.cwd", eq(format!("{}/", f.dir))),
        syscall("chdir into sub, relative", "chdir", pid)
            .param("res", eq(0))
            .param("path", eq("sub"))
            .field("proc.cwd", eq(format!("{sub}/"))),
        syscall("chdir .. back to the dir", "chdir", pid)
            .param("res", eq(0))
            .param("path", eq(".."))
            .field("proc.cwd", eq(format!("{}/", f.dir))),
        syscall("getcwd", "getcwd", pid)
            .param("res", eq(f.getcwd_len))
            .param("path", eq(f.dir.as_str())),
        syscall("getcwd into a too small buffer fails", "getcwd", pid)
            .param("res", eq(f.getcwd_small))
            .param("path", eq("<NA>")),
        syscall("getdents of the dir", "getdents", pid)
            .param("res", eq(f.getdents_len))
            .param("fd", eq(f.dents_fd))
            .field("fd.name", eq(f.dir.as_str()))
            .field("fd.typechar", eq("d")),
        syscall("getdents of a file fails", "getdents", pid)
            .param("res", eq(f.getdents_notdir))
            .param("fd", eq(f.file_fd)),
        syscall("getdents64 of the dir", "getdents64", pid)
            .param("res", eq(f.getdents64_len))
            .param("fd", eq(f.dents64_fd))
            .field("fd.name", eq(f.dir.as_str()))
            .field("fd.typechar", eq("d")),
        syscall("getdents64 of a bad fd fails", "getdents64", pid)
            .param("res", eq(f.getdents64_bad))
            .param("fd", eq(-1)),
        syscall("rmdir sub2", "rmdir", pid)
            .param("res", eq(0))
            .param("path", eq(join(&f.dir, "sub2"))),
        syscall("rmdir of a non-empty dir fails", "rmdir", pid)
            .param("res", eq(f.rmdir_notempty))
            .param("path", eq(f.dir.as_str())),
    ])])
}

// ---------------------------------------------------------------------------------------------
// link_family: link, linkat, symlink, symlinkat, rename, renameat, renameat2, unlink, unlinkat

/// What `link_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LinkFacts {
    /// The temp dir (holds `a`).
    pub dir: String,
    /// The dir fd of the *at calls.
    pub dirfd: i64,
    /// link(dir/missing, dir/x)'s result (-ENOENT).
    pub link_missing: i64,
    /// linkat(-1, "a", AT_FDCWD, "x", AT_SYMLINK_FOLLOW)'s result (-EBADF).
    pub linkat_bad: i64,
    /// symlink(dir/a, dir/s) again's result (-EEXIST).
    pub symlink_exists: i64,
    /// symlinkat("a", -1, "s3")'s result (-EBADF).
    pub symlinkat_bad: i64,
    /// rename(dir/missing, dir/x)'s result (-ENOENT).
    pub rename_missing: i64,
    /// renameat(-1, "b3", dirfd, "x")'s result (-EBADF).
    pub renameat_bad: i64,
    /// renameat2(dirfd, "b3", dirfd, "c", RENAME_NOREPLACE)'s result (-EEXIST).
    pub renameat2_exists: i64,
    /// unlink(dir/missing)'s result (-ENOENT).
    pub unlink_missing: i64,
    /// unlinkat(dirfd, "c", AT_REMOVEDIR)'s result (-ENOTDIR).
    pub unlinkat_notdir: i64,
}

fn link_act(dir: &Path) -> Result<LinkFacts, String> {
    let p = |n: &str| cs(dir.join(n));
    touch(&dir.join("a"))?;
    let dirfd = open_dir(dir)?;
    let (a, b, x, s, missing) = (p("a"), p("b"), p("x"), p("s"), p("missing"));
    sys!("link", libc::SYS_link, a.as_ptr(), b.as_ptr())?;
    let link_missing = sys_fail!("link missing", libc::SYS_link, missing.as_ptr(), x.as_ptr())?;
    sys!(
        "linkat",
        libc::SYS_linkat,
        dirfd,
        c"a".as_ptr(),
        dirfd,
        c"c".as_ptr(),
        0
    )?;
    let linkat_bad = sys_fail!(
        "linkat bad dirfd",
        libc::SYS_linkat,
        -1,
        c"a".as_ptr(),
        libc::AT_FDCWD,
        c"x".as_ptr(),
        libc::AT_SYMLINK_FOLLOW
    )?;
    sys!("symlink", libc::SYS_symlink, a.as_ptr(), s.as_ptr())?;
    let symlink_exists = sys_fail!("symlink again", libc::SYS_symlink, a.as_ptr(), s.as_ptr())?;
    sys!(
        "symlinkat",
        libc::SYS_symlinkat,
        c"a".as_ptr(),
        dirfd,
        c"s2".as_ptr()
    )?;
    let symlinkat_bad = sys_fail!(
        "symlinkat bad dirfd",
        libc::SYS_symlinkat,
        c"a".as_ptr(),
        -1,
        c"s3".as_ptr()
    )?;
    let b2 = p("b2");
    sys!("rename", libc::SYS_rename, b.as_ptr(), b2.as_ptr())?;
    let rename_missing = sys_fail!(
        "rename missing",
        libc::SYS_rename,
        missing.as_ptr(),
        x.as_ptr()
    )?;
    sys!(
        "renameat",
        libc::SYS_renameat,
        dirfd,
        c"b2".as_ptr(),
        dirfd,
        c"b3".as_ptr()
    )?;
    let renameat_bad = sys_fail!(
        "renameat bad dirfd",
        libc::SYS_renameat,
        -1,
        c"b3".as_ptr(),
        dirfd,
        c"x".as_ptr()
    )?;
    sys!(
        "renameat2 exchange",
        libc::SYS_renameat2,
        dirfd,
        c"b3".as_ptr(),
        dirfd,
        c"s2".as_ptr(),
        libc::RENAME_EXCHANGE
    )?;
    let renameat2_exists = sys_fail!(
        "renameat2 noreplace",
        libc::SYS_renameat2,
        dirfd,
        c"b3".as_ptr(),
        dirfd,
        c"c".as_ptr(),
        libc::RENAME_NOREPLACE
    )?;
    sys!("unlink", libc::SYS_unlink, s.as_ptr())?;
    let unlink_missing = sys_fail!("unlink missing", libc::SYS_unlink, missing.as_ptr())?;
    sys!("mkdirat", libc::SYS_mkdirat, dirfd, c"dd".as_ptr(), 0o755)?;
    sys!(
        "unlinkat dir",
        libc::SYS_unlinkat,
        dirfd,
        c"dd".as_ptr(),
        libc::AT_REMOVEDIR
    )?;
    sys!("unlinkat", libc::SYS_unlinkat, dirfd, c"s2".as_ptr(), 0)?;
    let unlinkat_notdir = sys_fail!(
        "unlinkat file as dir",
        libc::SYS_unlinkat,
        dirfd,
        c"c".as_ptr(),
        libc::AT_REMOVEDIR
    )?;
    sys!("close", libc::SYS_close, dirfd)?;
    Ok(LinkFacts {
        dir: dir_str(dir),
        dirfd,
        link_missing,
        linkat_bad,
        symlink_exists,
        symlinkat_bad,
        rename_missing,
        renameat_bad,
        renameat2_exists,
        unlink_missing,
        unlinkat_notdir,
    })
}

fn link_expect(f: &LinkFacts, pid: i64) -> Expectation {
    let p = |n: &str| join(&f.dir, n);
    Expectation::new(vec![sequence([
        syscall("link a to b", "link", pid)
            .param("res", eq(0))
            .param("oldpath", eq(p("a")))
            .param("newpath", eq(p("b"))),
        syscall("link of a missing file fails", "link", pid)
            .param("res", eq(f.link_missing))
            .param("oldpath", eq(p("missing")))
            .param("newpath", eq(p("x"))),
        syscall("linkat a to c in the dir", "linkat", pid)
            .param("res", eq(0))
            .param("olddir", eq(f.dirfd))
            .param("oldpath", eq("a"))
            .param("newdir", eq(f.dirfd))
            .param("newpath", eq("c"))
            .param("flags", eq(0)),
        syscall("linkat with a bad dirfd fails", "linkat", pid)
            .param("res", eq(f.linkat_bad))
            .param("olddir", eq(-1))
            .param("oldpath", eq("a"))
            .param("newdir", eq(libc::AT_FDCWD))
            .param("newpath", eq("x"))
            .flags("flags", &["AT_SYMLINK_FOLLOW"]),
        syscall("symlink s to a", "symlink", pid)
            .param("res", eq(0))
            .param("target", eq(p("a")))
            .param("linkpath", eq(p("s"))),
        syscall("symlink over an existing name fails", "symlink", pid)
            .param("res", eq(f.symlink_exists))
            .param("target", eq(p("a")))
            .param("linkpath", eq(p("s"))),
        syscall("symlinkat s2 to a in the dir", "symlinkat", pid)
            .param("res", eq(0))
            .param("target", eq("a"))
            .param("linkdirfd", eq(f.dirfd))
            .param("linkpath", eq("s2")),
        syscall("symlinkat with a bad dirfd fails", "symlinkat", pid)
            .param("res", eq(f.symlinkat_bad))
            .param("target", eq("a"))
            .param("linkdirfd", eq(-1))
            .param("linkpath", eq("s3")),
        syscall("rename b to b2", "rename", pid)
            .param("res", eq(0))
            .param("oldpath", eq(p("b")))
            .param("newpath", eq(p("b2"))),
        syscall("rename of a missing file fails", "rename", pid)
            .param("res", eq(f.rename_missing))
            .param("oldpath", eq(p("missing")))
            .param("newpath", eq(p("x"))),
        syscall("renameat b2 to b3 in the dir", "renameat", pid)
            .param("res", eq(0))
            .param("olddirfd", eq(f.dirfd))
            .param("oldpath", eq("b2"))
            .param("newdirfd", eq(f.dirfd))
            .param("newpath", eq("b3")),
        syscall("renameat with a bad dirfd fails", "renameat", pid)
            .param("res", eq(f.renameat_bad))
            .param("olddirfd", eq(-1))
            .param("oldpath", eq("b3"))
            .param("newdirfd", eq(f.dirfd))
            .param("newpath", eq("x")),
        syscall("renameat2 exchanges b3 and s2", "renameat2", pid)
            .param("res", eq(0))
            .param("olddirfd", eq(f.dirfd))
            .param("oldpath", eq("b3"))
            .param("newdirfd", eq(f.dirfd))
            .param("newpath", eq("s2"))
            .flags("flags", &["RENAME_EXCHANGE"]),
        syscall("renameat2 without replacing fails", "renameat2", pid)
            .param("res", eq(f.renameat2_exists))
            .param("olddirfd", eq(f.dirfd))
            .param("oldpath", eq("b3"))
            .param("newdirfd", eq(f.dirfd))
            .param("newpath", eq("c"))
            .flags("flags", &["RENAME_NOREPLACE"]),
        syscall("unlink s", "unlink", pid)
            .param("res", eq(0))
            .param("path", eq(p("s"))),
        syscall("unlink of a missing file fails", "unlink", pid)
            .param("res", eq(f.unlink_missing))
            .param("path", eq(p("missing"))),
        syscall("unlinkat removes dir dd", "unlinkat", pid)
            .param("res", eq(0))
            .param("dirfd", eq(f.dirfd))
            .param("name", eq("dd"))
            .flags("flags", &["AT_REMOVEDIR"]),
        syscall("unlinkat removes s2", "unlinkat", pid)
            .param("res", eq(0))
            .param("dirfd", eq(f.dirfd))
            .param("name", eq("s2"))
            .param("flags", eq(0)),
        syscall("unlinkat of a file as a dir fails", "unlinkat", pid)
            .param("res", eq(f.unlinkat_notdir))
            .param("dirfd", eq(f.dirfd))
            .param("name", eq("c"))
            .flags("flags", &["AT_REMOVEDIR"]),
    ])])
}

// ---------------------------------------------------------------------------------------------
// perm_family: chmod, fchmod, fchmodat, chown, fchown, fchownat, lchown, mknod, mknodat

/// What `perm_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PermFacts {
    /// The temp dir (holds `f` and the symlink `l` to it).
    pub dir: String,
    /// The fd of `f`.
    pub fd: i64,
    /// The dir fd of the *at calls.
    pub dirfd: i64,
    /// chmod(dir/missing)'s result (-ENOENT).
    pub chmod_missing: i64,
    /// fchmod(-1)'s result (-EBADF).
    pub fchmod_bad: i64,
    /// fchmodat(-1, "f")'s result (-EBADF).
    pub fchmodat_bad: i64,
    /// chown(dir/missing)'s result (-ENOENT).
    pub chown_missing: i64,
    /// fchown(-1)'s result (-EBADF).
    pub fchown_bad: i64,
    /// fchownat(-1, "f", 0, 0, AT_SYMLINK_NOFOLLOW)'s result (-EBADF).
    pub fchownat_bad: i64,
    /// lchown(dir/missing)'s result (-ENOENT).
    pub lchown_missing: i64,
    /// mknod(dir/fifo) again's result (-EEXIST).
    pub mknod_exists: i64,
    /// mknodat(-1, "fifo3")'s result (-EBADF).
    pub mknodat_bad: i64,
}

fn perm_act(dir: &Path) -> Result<PermFacts, String> {
    let p = |n: &str| cs(dir.join(n));
    let (f, l, missing) = (p("f"), p("l"), p("missing"));
    let fd = sys!(
        "openat create",
        libc::SYS_openat,
        libc::AT_FDCWD,
        f.as_ptr(),
        libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC,
        0o644
    )?;
    sys!(
        "symlinkat",
        libc::SYS_symlinkat,
        f.as_ptr(),
        libc::AT_FDCWD,
        l.as_ptr()
    )?;
    let dirfd = open_dir(dir)?;
    sys!("chmod", libc::SYS_chmod, f.as_ptr(), 0o600)?;
    let chmod_missing = sys_fail!("chmod missing", libc::SYS_chmod, missing.as_ptr(), 0o600)?;
    sys!("fchmod", libc::SYS_fchmod, fd, 0o640)?;
    let fchmod_bad = sys_fail!("fchmod -1", libc::SYS_fchmod, -1, 0o640)?;
    sys!(
        "fchmodat",
        libc::SYS_fchmodat,
        dirfd,
        c"f".as_ptr(),
        0o4755,
        0
    )?;
    let fchmodat_bad = sys_fail!(
        "fchmodat bad dirfd",
        libc::SYS_fchmodat,
        -1,
        c"f".as_ptr(),
        0o644,
        0
    )?;
    sys!("chown", libc::SYS_chown, f.as_ptr(), 1000, 1001)?;
    let chown_missing = sys_fail!("chown missing", libc::SYS_chown, missing.as_ptr(), 0, 0)?;
    sys!("fchown", libc::SYS_fchown, fd, 1002, 1003)?;
    let fchown_bad = sys_fail!("fchown -1", libc::SYS_fchown, -1, 0, 0)?;
    sys!(
        "fchownat",
        libc::SYS_fchownat,
        fd,
        c"".as_ptr(),
        1004,
        1005,
        libc::AT_EMPTY_PATH
    )?;
    let fchownat_bad = sys_fail!(
        "fchownat bad dirfd",
        libc::SYS_fchownat,
        -1,
        c"f".as_ptr(),
        0,
        0,
        libc::AT_SYMLINK_NOFOLLOW
    )?;
    sys!("lchown", libc::SYS_lchown, l.as_ptr(), 1006, 1007)?;
    let lchown_missing = sys_fail!("lchown missing", libc::SYS_lchown, missing.as_ptr(), 0, 0)?;
    let fifo = p("fifo");
    sys!(
        "mknod fifo",
        libc::SYS_mknod,
        fifo.as_ptr(),
        libc::S_IFIFO | 0o644,
        0
    )?;
    let mknod_exists = sys_fail!(
        "mknod again",
        libc::SYS_mknod,
        fifo.as_ptr(),
        libc::S_IFIFO | 0o644,
        0
    )?;
    let null = p("null");
    sys!(
        "mknod char dev",
        libc::SYS_mknod,
        null.as_ptr(),
        libc::S_IFCHR | 0o600,
        libc::makedev(4, 1000) as u32
    )?;
    sys!(
        "mknodat",
        libc::SYS_mknodat,
        dirfd,
        c"fifo2".as_ptr(),
        libc::S_IFIFO | 0o600,
        0
    )?;
    let mknodat_bad = sys_fail!(
        "mknodat bad dirfd",
        libc::SYS_mknodat,
        -1,
        c"fifo3".as_ptr(),
        libc::S_IFIFO | 0o600,
        0
    )?;
    for x in [fd, dirfd] {
        sys!("close", libc::SYS_close, x)?;
    }
    Ok(PermFacts {
        dir: dir_str(dir),
        fd,
        dirfd,
        chmod_missing,
        fchmod_bad,
        fchmodat_bad,
        chown_missing,
        fchown_bad,
        fchownat_bad,
        lchown_missing,
        mknod_exists,
        mknodat_bad,
    })
}

fn perm_expect(f: &PermFacts, pid: i64) -> Expectation {
    let p = |n: &str| join(&f.dir, n);
    let fifo = (libc::S_IFIFO | 0o644) as i64;
    Expectation::new(vec![sequence([
        syscall("chmod f 0600", "chmod", pid)
            .param("res", eq(0))
            .param("filename", eq(p("f")))
            .param("mode", eq(0o600)),
        syscall("chmod of a missing file fails", "chmod", pid)
            .param("res", eq(f.chmod_missing))
            .param("filename", eq(p("missing")))
            .param("mode", eq(0o600)),
        syscall("fchmod f 0640", "fchmod", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .param("mode", eq(0o640))
            .field("fd.name", eq(p("f"))),
        syscall("fchmod of a bad fd fails", "fchmod", pid)
            .param("res", eq(f.fchmod_bad))
            .param("fd", eq(-1))
            .param("mode", eq(0o640)),
        syscall("fchmodat f 04755 (setuid)", "fchmodat", pid)
            .param("res", eq(0))
            .param("dirfd", eq(f.dirfd))
            .param("filename", eq("f"))
            .flags(
                "mode",
                &[
                    "S_ISUID", "S_IRUSR", "S_IWUSR", "S_IXUSR", "S_IRGRP", "S_IXGRP", "S_IROTH",
                    "S_IXOTH",
                ],
            ),
        syscall("fchmodat with a bad dirfd fails", "fchmodat", pid)
            .param("res", eq(f.fchmodat_bad))
            .param("dirfd", eq(-1))
            .param("filename", eq("f"))
            .param("mode", eq(0o644)),
        syscall("chown f 1000:1001", "chown", pid)
            .param("res", eq(0))
            .param("path", eq(p("f")))
            .param("uid", eq(1000))
            .param("gid", eq(1001)),
        syscall("chown of a missing file fails", "chown", pid)
            .param("res", eq(f.chown_missing))
            .param("path", eq(p("missing")))
            .param("uid", eq(0))
            .param("gid", eq(0)),
        syscall("fchown f 1002:1003", "fchown", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .param("uid", eq(1002))
            .param("gid", eq(1003))
            .field("fd.name", eq(p("f"))),
        syscall("fchown of a bad fd fails", "fchown", pid)
            .param("res", eq(f.fchown_bad))
            .param("fd", eq(-1))
            .param("uid", eq(0))
            .param("gid", eq(0)),
        syscall(
            "fchownat of the fd itself (empty path) 1004:1005",
            "fchownat",
            pid,
        )
        .param("res", eq(0))
        .param("dirfd", eq(f.fd))
        .param("pathname", eq(""))
        .param("uid", eq(1004))
        .param("gid", eq(1005))
        .flags("flags", &["AT_EMPTY_PATH"]),
        // libs bug (0.20.0 to master): fchownat_flags_to_scap tests AT_SYMLINK_FOLLOW (which
        // fchownat refuses) instead of AT_SYMLINK_NOFOLLOW, and the flag table names
        // PPM_AT_SYMLINK_FOLLOW "AT_SYMLINK_NOFOLLOW": AT_SYMLINK_NOFOLLOW is reported as 0.
        syscall("fchownat with a bad dirfd fails", "fchownat", pid)
            .param("res", eq(f.fchownat_bad))
            .param("dirfd", eq(-1))
            .param("pathname", eq("f"))
            .param("uid", eq(0))
            .param("gid", eq(0))
            .unchecked("flags", "libs bug: AT_SYMLINK_NOFOLLOW dropped"),
        syscall("lchown the link 1006:1007", "lchown", pid)
            .param("res", eq(0))
            .param("path", eq(p("l")))
            .param("uid", eq(1006))
            .param("gid", eq(1007)),
        syscall("lchown of a missing file fails", "lchown", pid)
            .param("res", eq(f.lchown_missing))
            .param("path", eq(p("missing")))
            .param("uid", eq(0))
            .param("gid", eq(0)),
        syscall("mknod a fifo", "mknod", pid)
            .param("res", eq(0))
            .param("path", eq(p("fifo")))
            .param("mode", eq(fifo))
            .param("dev", eq(0)),
        syscall("mknod over an existing name fails", "mknod", pid)
            .param("res", eq(f.mknod_exists))
            .param("path", eq(p("fifo")))
            .param("mode", eq(fifo))
            .param("dev", eq(0)),
        syscall("mknod a char device 4:1000 (minor above 255)", "mknod", pid)
            .param("res", eq(0))
            .param("path", eq(p("null")))
            .flags("mode", &["S_IFCHR", "S_IRUSR", "S_IWUSR"])
            .param("dev", eq(kernel_dev(4, 1000))),
        syscall("mknodat a fifo in the dir", "mknodat", pid)
            .param("res", eq(0))
            .param("dirfd", eq(f.dirfd))
            .param("path", eq("fifo2"))
            .param("mode", eq((libc::S_IFIFO | 0o600) as i64))
            .param("dev", eq(0)),
        syscall("mknodat with a bad dirfd fails", "mknodat", pid)
            .param("res", eq(f.mknodat_bad))
            .param("dirfd", eq(-1))
            .param("path", eq("fifo3"))
            .param("mode", eq((libc::S_IFIFO | 0o600) as i64))
            .param("dev", eq(0)),
    ])])
}

// ---------------------------------------------------------------------------------------------
// fs_misc: chroot, inotify_init, inotify_init1, memfd_create, quotactl

/// `QCMD(Q_SYNC, USRQUOTA)` of quotactl(2).
const Q_SYNC_USRQUOTA: i64 = 0x800001 << 8;

/// What `fs_misc` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct MiscFacts {
    /// The temp dir.
    pub dir: String,
    /// The forked child that lowers its fd limit to 0 and chroots.
    pub child: i64,
    /// inotify_init().
    pub inotify_fd: i64,
    /// inotify_init1(IN_NONBLOCK|IN_CLOEXEC).
    pub inotify1_fd: i64,
    /// inotify_init1(IN_NONBLOCK|1)'s result (-EINVAL: 1 is no flag).
    pub inotify1_bad: i64,
    /// memfd_create("sinspqa", MFD_CLOEXEC|MFD_ALLOW_SEALING).
    pub memfd: i64,
    /// memfd_create("sinspqa", -1)'s result (-EINVAL).
    pub memfd_bad: i64,
    /// quotactl(QCMD(Q_SYNC, USRQUOTA), "/dev//*null", 1, buf)'s result (-ENOENT).
    pub quotactl_bad: i64,
}

/// In the child: inotify_init under an fd limit of 0 (EMFILE), chroot to a missing dir
/// (ENOENT), then chroot to the temp dir.
fn misc_child(dir: &Path) -> Result<(), String> {
    let lim = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    sys!(
        "prlimit64 nofile 0",
        libc::SYS_prlimit64,
        0,
        libc::RLIMIT_NOFILE,
        &lim as *const libc::rlimit64,
        std::ptr::null_mut::<libc::rlimit64>()
    )?;
    let e = sys_fail!("inotify_init without fds", libc::SYS_inotify_init)?;
    if e != -(libc::EMFILE as i64) {
        return Err(format!("inotify_init: {e}, want -EMFILE"));
    }
    let missing = cs(dir.join("missing"));
    let e = sys_fail!("chroot missing", libc::SYS_chroot, missing.as_ptr())?;
    if e != -(libc::ENOENT as i64) {
        return Err(format!("chroot: {e}, want -ENOENT"));
    }
    let d = cs(dir);
    sys!("chroot", libc::SYS_chroot, d.as_ptr())?;
    Ok(())
}

fn misc_act(dir: &Path) -> Result<MiscFacts, String> {
    let child = fork_and_wait(|| misc_child(dir))? as i64;
    let inotify_fd = sys!("inotify_init", libc::SYS_inotify_init)?;
    let inotify1_fd = sys!(
        "inotify_init1",
        libc::SYS_inotify_init1,
        libc::IN_NONBLOCK | libc::IN_CLOEXEC
    )?;
    let inotify1_bad = sys_fail!(
        "inotify_init1 bad flags",
        libc::SYS_inotify_init1,
        libc::IN_NONBLOCK | 1
    )?;
    let memfd = sys!(
        "memfd_create",
        libc::SYS_memfd_create,
        c"sinspqa".as_ptr(),
        libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING
    )?;
    let memfd_bad = sys_fail!(
        "memfd_create bad flags",
        libc::SYS_memfd_create,
        c"sinspqa".as_ptr(),
        -1
    )?;
    // SAFETY: a zeroed `dqblk` is a valid out-buffer.
    let mut dq: libc::dqblk = unsafe { std::mem::zeroed() };
    sys!(
        "quotactl sync all",
        libc::SYS_quotactl,
        Q_SYNC_USRQUOTA,
        std::ptr::null::<libc::c_char>(),
        0,
        &mut dq as *mut libc::dqblk
    )?;
    let quotactl_bad = sys_fail!(
        "quotactl bad special",
        libc::SYS_quotactl,
        Q_SYNC_USRQUOTA,
        c"/dev//*null".as_ptr(),
        1,
        &mut dq as *mut libc::dqblk
    )?;
    for fd in [inotify_fd, inotify1_fd, memfd] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(MiscFacts {
        dir: dir_str(dir),
        child,
        inotify_fd,
        inotify1_fd,
        inotify1_bad,
        memfd,
        memfd_bad,
        quotactl_bad,
    })
}

/// A quotactl(Q_SYNC, USRQUOTA) call: no quota block read or written, every dqb/dqi param 0.
fn quotactl_sync(m: EventMatcher, res: i64, special: &str) -> EventMatcher {
    let mut m = m
        .param("res", eq(res))
        .param("special", eq(special))
        .param("quotafilepath", eq("<NA>"))
        .flags("cmd", &["Q_SYNC"])
        .flags("type", &["USRQUOTA"])
        .param("id", eq(0))
        .flags("quota_fmt", &["QFMT_NOT_USED"])
        .flags("quota_fmt_out", &["QFMT_NOT_USED"])
        .param("dqi_flags", eq(0));
    for p in [
        "dqb_bhardlimit",
        "dqb_bsoftlimit",
        "dqb_curspace",
        "dqb_ihardlimit",
        "dqb_isoftlimit",
        "dqb_btime",
        "dqb_itime",
        "dqi_bgrace",
        "dqi_igrace",
    ] {
        m = m.param(p, eq(0));
    }
    m
}

fn misc_expect(f: &MiscFacts, pid: i64) -> Expectation {
    let c = f.child;
    Expectation::new(vec![sequence([
        syscall("inotify_init without free fds fails", "inotify_init", c)
            .param("res", eq(-libc::EMFILE))
            .param("flags", eq(0)),
        syscall("chroot to a missing dir fails", "chroot", c)
            .param("res", eq(-libc::ENOENT))
            .param("path", eq(join(&f.dir, "missing"))),
        syscall("chroot to the temp dir", "chroot", c)
            .param("res", eq(0))
            .param("path", eq(f.dir.as_str())),
        syscall("inotify_init", "inotify_init", pid)
            .param("res", eq(f.inotify_fd))
            .param("flags", eq(0))
            .field("fd.typechar", eq("i")),
        syscall(
            "inotify_init1 non-blocking, close-on-exec",
            "inotify_init1",
            pid,
        )
        .param("res", eq(f.inotify1_fd))
        .flags("flags", &["O_NONBLOCK", "O_CLOEXEC"])
        .field("fd.typechar", eq("i")),
        syscall(
            "inotify_init1 with an unknown flag fails",
            "inotify_init1",
            pid,
        )
        .param("res", eq(f.inotify1_bad))
        .flags("flags", &["O_NONBLOCK"]),
        syscall("memfd_create", "memfd_create", pid)
            .param("fd", eq(f.memfd))
            .param("name", eq("sinspqa"))
            .flags("flags", &["MFD_CLOEXEC", "MFD_ALLOW_SEALING"])
            .field("fd.name", eq("sinspqa"))
            .field("fd.typechar", eq("m")),
        syscall("memfd_create with bad flags fails", "memfd_create", pid)
            .param("fd", eq(f.memfd_bad))
            .param("name", eq("sinspqa"))
            .flags(
                "flags",
                &["MFD_CLOEXEC", "MFD_ALLOW_SEALING", "MFD_HUGETLB"],
            ),
        quotactl_sync(
            syscall("quotactl syncs every file system's quotas", "quotactl", pid),
            0,
            "<NA>",
        ),
        quotactl_sync(
            syscall("quotactl of a bad device fails", "quotactl", pid),
            f.quotactl_bad,
            "/dev//*null",
        ),
    ])])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "open_family",
        area: Area::File,
        description:
            "open, creat, openat2 and open_by_handle_at creating/reopening files, and their \
                  ENOENT/EXDEV/EBADF failures",
        steps: &Typed {
            act: open_act,
            expect: open_expect,
        },
    },
    Scenario {
        name: "stat_family",
        area: Area::File,
        description: "stat, lstat, fstat, newfstatat and access of a file, and their \
                  ENOENT/ENOTDIR/EBADF/EACCES failures",
        steps: &Typed {
            act: stat_act,
            expect: stat_expect,
        },
    },
    Scenario {
        name: "dir_family",
        area: Area::File,
        description: "mkdir, mkdirat, chdir (absolute, relative, ..) and fchdir (proc.cwd), \
                      getcwd, getdents, getdents64 and rmdir, and their \
                      EEXIST/EBADF/ENOENT/ENOTDIR/ERANGE/ENOTEMPTY failures",
        steps: &Typed {
            act: dir_act,
            expect: dir_expect,
        },
    },
    Scenario {
        name: "link_family",
        area: Area::File,
        description: "link, linkat, symlink, symlinkat, rename, renameat, renameat2, unlink and \
                  unlinkat, and their ENOENT/EBADF/EEXIST/ENOTDIR failures",
        steps: &Typed {
            act: link_act,
            expect: link_expect,
        },
    },
    Scenario {
        name: "perm_family",
        area: Area::File,
        description:
            "chmod, fchmod, fchmodat, chown, fchown, fchownat, lchown, mknod and mknodat, \
                  and their ENOENT/EBADF/EEXIST failures",
        steps: &Typed {
            act: perm_act,
            expect: perm_expect,
        },
    },
    Scenario {
        name: "fs_misc",
        area: Area::File,
        description:
            "chroot (in a child), inotify_init, inotify_init1, memfd_create and quotactl, \
                  and their EMFILE/ENOENT/EINVAL failures",
        steps: &Typed {
            act: misc_act,
            expect: misc_expect,
        },
    },
];
