//! Scenarios of files: operations on paths and descriptors under a temp dir, writes and
//! directory changes below a binary dir, reading a sensitive file, pipes and duplicated fds.
use super::prelude::*;

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
}

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
    let data = b"sinspqa file data\n";
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
    let fd = sys!(
        "openat",
        libc::SYS_openat,
        at,
        c1.as_ptr(),
        libc::O_RDONLY,
        0
    )?;
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
    sys!("fchdir", libc::SYS_fchdir, dfd)?;
    sys!("close", libc::SYS_close, dfd)?;
    let cdir = cs(dir);
    sys!("chdir", libc::SYS_chdir, cdir.as_ptr())?;
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
    ])
}

/// A path the action worked on.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PathFacts {
    /// The path.
    pub path: String,
}

fn binary_dir_write_act(_dir: &Path) -> Result<PathFacts, String> {
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
    let data = b"#!/bin/sh\n";
    let w = sys!("write", libc::SYS_write, fd, data.as_ptr(), data.len());
    sys!("close", libc::SYS_close, fd)?;
    sys!(
        "unlinkat",
        libc::SYS_unlinkat,
        libc::AT_FDCWD,
        c.as_ptr(),
        0
    )?;
    w?;
    Ok(PathFacts { path: p })
}

fn binary_dir_write_expect(f: &PathFacts, w: i64) -> Expectation {
    let p = f.path.as_str();
    Expectation::new(vec![sequence([
        ex("a file is created below /usr/local/bin", "openat", w)
            .field("fd.name", eq(p))
            .field("fd.directory", eq("/usr/local/bin"))
            .field("evt.args", contains("O_CREAT"))
            .param("fd", ge(0)),
        ex("it is written", "write", w)
            .field("fd.name", eq(p))
            .param("res", eq(10)),
        ex("it is removed", "unlinkat", w)
            .param("name", eq(p))
            .param("res", eq(0)),
    ])])
}

/// What `modify_binary_dirs` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BinDirFacts {
    /// The directory made below /usr/local/bin.
    pub dir: String,
    /// Its new name.
    pub renamed: String,
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
    let r = sys!(
        "renameat2",
        libc::SYS_renameat2,
        libc::AT_FDCWD,
        c1.as_ptr(),
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
    })
}

fn binary_dir_modify_expect(f: &BinDirFacts, w: i64) -> Expectation {
    let (d, r) = (f.dir.as_str(), f.renamed.as_str());
    Expectation::new(vec![sequence([
        ex("a directory is made below /usr/local/bin", "mkdirat", w)
            .param("path", eq(d))
            .param("res", eq(0)),
        ex("it is renamed", "renameat2", w)
            .param("oldpath", eq(d))
            .param("newpath", eq(r))
            .param("res", eq(0)),
        ex("it is removed", "unlinkat", w)
            .param("name", eq(r))
            .param("res", eq(0)),
    ])])
}

/// What `read_sensitive_file` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SensitiveFacts {
    /// The file read.
    pub path: String,
    /// Bytes read.
    pub read: i64,
}

fn sensitive_act(_dir: &Path) -> Result<SensitiveFacts, String> {
    let fd = sys!(
        "openat",
        libc::SYS_openat,
        libc::AT_FDCWD,
        c"/etc/shadow".as_ptr(),
        libc::O_RDONLY,
        0
    )?;
    let mut buf = [0u8; 128];
    let n = sys!("read", libc::SYS_read, fd, buf.as_mut_ptr(), buf.len())?;
    sys!("close", libc::SYS_close, fd)?;
    Ok(SensitiveFacts {
        path: "/etc/shadow".into(),
        read: n,
    })
}

fn sensitive_expect(f: &SensitiveFacts, w: i64) -> Expectation {
    Expectation::new(vec![sequence([
        ex("/etc/shadow is opened", "openat", w)
            .field("fd.name", eq("/etc/shadow"))
            .field("fd.type", eq("file"))
            .field("user.uid", eq(0))
            .param("fd", ge(0)),
        ex("it is read", "read", w)
            .field("fd.name", eq("/etc/shadow"))
            .param("res", eq(f.read)),
        ex("it is closed", "close", w).param("res", eq(0)),
    ])])
}

/// What `pipes_and_dup` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PipesFacts {
    /// The pipe's read end.
    pub read_fd: i64,
    /// The pipe's write end.
    pub write_fd: i64,
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
}

fn pipes_act(_dir: &Path) -> Result<PipesFacts, String> {
    let mut p = [0i32; 2];
    sys!("pipe2", libc::SYS_pipe2, p.as_mut_ptr(), libc::O_CLOEXEC)?;
    let msg = b"through the pipe";
    sys!("write", libc::SYS_write, p[1], msg.as_ptr(), msg.len())?;
    let mut buf = [0u8; 32];
    sys!("read", libc::SYS_read, p[0], buf.as_mut_ptr(), buf.len())?;
    let d1 = sys!("dup", libc::SYS_dup, p[0])?;
    let d2 = sys!("dup2", libc::SYS_dup2, p[1], 100)?;
    let d3 = sys!("dup3", libc::SYS_dup3, p[1], 101, libc::O_CLOEXEC)?;
    let d4 = sys!("fcntl", libc::SYS_fcntl, p[0], libc::F_DUPFD_CLOEXEC, 200)?;
    for fd in [d1, d2, d3, d4, p[0] as libc::c_long, p[1] as libc::c_long] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(PipesFacts {
        read_fd: p[0] as i64,
        write_fd: p[1] as i64,
        dup: d1,
        dup2: d2,
        dup3: d3,
        fcntl: d4,
        len: msg.len() as i64,
    })
}

fn pipes_expect(f: &PipesFacts, w: i64) -> Expectation {
    Expectation::new(vec![all_of([
        ex("pipe2", "pipe2", w)
            .param("res", eq(0))
            .param("fd1", eq(f.read_fd))
            .param("fd2", eq(f.write_fd)),
        ex("write into the pipe", "write", w)
            .field("fd.type", eq("pipe"))
            .field("fd.num", eq(f.write_fd))
            .param("res", eq(f.len)),
        ex("read from the pipe", "read", w)
            .field("fd.type", eq("pipe"))
            .field("fd.num", eq(f.read_fd))
            .param("res", eq(f.len)),
        ex("dup", "dup", w)
            .param("res", eq(f.dup))
            .param("oldfd", eq(f.read_fd)),
        ex("dup2", "dup2", w)
            .param("res", eq(f.dup2))
            .param("newfd", eq(f.dup2)),
        ex("dup3", "dup3", w)
            .param("res", eq(f.dup3))
            .param("newfd", eq(f.dup3)),
        ex("fcntl F_DUPFD_CLOEXEC", "fcntl", w).param("res", eq(f.fcntl)),
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
