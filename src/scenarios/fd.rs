//! Scenarios of fds: reads and writes, duplication, pipes, polling, event/signal/timer fds.
use super::prelude::*;

/// What `dup_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DupFacts {
    /// The pipe's read end, duplicated below.
    pub fd: i64,
    /// dup(fd).
    pub dup: i64,
    /// The target of dup2 and dup3.
    pub target: i64,
    /// dup(-1)'s result (-EBADF).
    pub dup_bad: i64,
    /// dup3(fd, fd, 0)'s result (-EINVAL: same fds).
    pub dup3_same: i64,
}

fn dup_act(_dir: &Path) -> Result<DupFacts, String> {
    let mut p = [0i32; 2];
    sys!("pipe2", libc::SYS_pipe2, p.as_mut_ptr(), 0)?;
    let fd = p[0] as i64;
    let dup = sys!("dup", libc::SYS_dup, fd)?;
    let target = 100i64;
    sys!("dup2", libc::SYS_dup2, fd, target)?;
    sys!("dup3", libc::SYS_dup3, fd, target, libc::O_CLOEXEC)?;
    let dup_bad = sys_fail!("dup(-1)", libc::SYS_dup, -1)?;
    let dup3_same = sys_fail!("dup3 same fd", libc::SYS_dup3, fd, fd, 0)?;
    Ok(DupFacts {
        fd,
        dup,
        target,
        dup_bad,
        dup3_same,
    })
}

fn dup_expect(f: &DupFacts, pid: i64) -> Expectation {
    Expectation::new(vec![sequence([
        syscall("dup duplicates the pipe's read end", "dup", pid)
            .param("res", eq(f.dup))
            .param("oldfd", eq(f.fd))
            .field("fd.num", eq(f.dup))
            .field("fd.typechar", eq("p")),
        syscall("dup2 onto the target", "dup2", pid)
            .param("res", eq(f.target))
            .param("oldfd", eq(f.fd))
            .param("newfd", eq(f.target)),
        syscall("dup3 onto the target, close-on-exec", "dup3", pid)
            .param("res", eq(f.target))
            .param("oldfd", eq(f.fd))
            .param("newfd", eq(f.target))
            .flags("flags", &["O_CLOEXEC"]),
        syscall("dup of a bad fd fails", "dup", pid)
            .param("res", eq(f.dup_bad))
            .param("oldfd", eq(-1)),
        syscall("dup3 onto itself fails", "dup3", pid)
            .param("res", eq(f.dup3_same))
            .param("oldfd", eq(f.fd))
            .param("newfd", eq(f.fd))
            .param("flags", eq(0)),
    ])])
}

/// The captured bytes of a data param (PT_BYTEBUF), as the decoder gives them: a byte array.
fn bytes(b: &[u8]) -> crate::expect::Pred {
    eq(serde_json::Value::from(b.to_vec()))
}

/// An empty data param (the driver pushed no bytes).
fn empty() -> crate::expect::Pred {
    eq(serde_json::Value::Null)
}

/// `openat(AT_FDCWD, path, flags, 0o600)`.
fn open_file(path: &Path, flags: i32) -> Result<i64, String> {
    let p = cs(path);
    sys!(
        "openat",
        libc::SYS_openat,
        libc::AT_FDCWD,
        p.as_ptr(),
        flags,
        0o600
    )
}

/// A pipe (pipe2 with `flags`): its read and write ends.
fn make_pipe(flags: i32) -> Result<(i64, i64), String> {
    let mut p = [0i32; 2];
    sys!("pipe2", libc::SYS_pipe2, p.as_mut_ptr(), flags)?;
    Ok((p[0] as i64, p[1] as i64))
}

/// The first bytes of read, write and pwrite64 (shorter than the snaplen: captured whole).
const MSG: &[u8] = b"hello, fd world!";
/// What pwrite64 writes over `MSG` at `PWRITE_POS`.
const PATCH: &[u8] = b"WORLD";
/// Where pwrite64 and pread64 write and read.
const PWRITE_POS: i64 = 7;
/// What the failing write (bad fd) carries: the driver captures it all the same.
const LOST: &[u8] = b"lost";

/// What `read_write_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RwFacts {
    /// The file written and read (O_RDWR).
    pub fd: i64,
    /// Its path.
    pub path: String,
    /// A pipe's read end (pread64 and lseek on it fail with ESPIPE).
    pub pipe_rd: i64,
    /// The read buffer's size.
    pub rd_size: i64,
    /// What pread64 read at `PWRITE_POS`.
    pub pread: Vec<u8>,
    /// read(-1): -EBADF.
    pub read_bad: i64,
    /// write(-1): -EBADF.
    pub write_bad: i64,
    /// pread64 on a pipe: -ESPIPE.
    pub pread_pipe: i64,
    /// pwrite64 at -1: -EINVAL.
    pub pwrite_neg: i64,
    /// lseek on a pipe: -ESPIPE.
    pub lseek_pipe: i64,
}

fn rw_act(dir: &Path) -> Result<RwFacts, String> {
    let path = dir.join("rw.txt");
    let fd = open_file(
        &path,
        libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
    )?;
    let (pipe_rd, pipe_wr) = make_pipe(libc::O_CLOEXEC)?;
    sys!("write", libc::SYS_write, fd, MSG.as_ptr(), MSG.len())?;
    sys!("lseek", libc::SYS_lseek, fd, 0, libc::SEEK_SET)?;
    let rd_size = 32i64;
    let mut buf = [0u8; 32];
    let n = sys!("read", libc::SYS_read, fd, buf.as_mut_ptr(), rd_size)?;
    if buf[..n as usize] != *MSG {
        return Err(format!("read returned {:?}", &buf[..n as usize]));
    }
    sys!(
        "pwrite64",
        libc::SYS_pwrite64,
        fd,
        PATCH.as_ptr(),
        PATCH.len(),
        PWRITE_POS
    )?;
    let mut pbuf = [0u8; 5];
    let n = sys!(
        "pread64",
        libc::SYS_pread64,
        fd,
        pbuf.as_mut_ptr(),
        pbuf.len(),
        PWRITE_POS
    )?;
    let pread = pbuf[..n as usize].to_vec();
    let read_bad = sys_fail!("read(-1)", libc::SYS_read, -1, buf.as_mut_ptr(), 8)?;
    let write_bad = sys_fail!("write(-1)", libc::SYS_write, -1, LOST.as_ptr(), LOST.len())?;
    let pread_pipe = sys_fail!(
        "pread64 on a pipe",
        libc::SYS_pread64,
        pipe_rd,
        buf.as_mut_ptr(),
        4,
        0
    )?;
    let pwrite_neg = sys_fail!(
        "pwrite64 at -1",
        libc::SYS_pwrite64,
        fd,
        PATCH.as_ptr(),
        1,
        -1i64
    )?;
    let lseek_pipe = sys_fail!(
        "lseek on a pipe",
        libc::SYS_lseek,
        pipe_rd,
        3,
        libc::SEEK_CUR
    )?;
    for f in [fd, pipe_rd, pipe_wr] {
        sys!("close", libc::SYS_close, f)?;
    }
    Ok(RwFacts {
        fd,
        path: path.display().to_string(),
        pipe_rd,
        rd_size,
        pread,
        read_bad,
        write_bad,
        pread_pipe,
        pwrite_neg,
        lseek_pipe,
    })
}

fn rw_expect(f: &RwFacts, pid: i64) -> Expectation {
    Expectation::new(vec![sequence([
        syscall("write the message", "write", pid)
            .param("res", eq(MSG.len()))
            .param("data", bytes(MSG))
            .param("fd", eq(f.fd))
            .param("size", eq(MSG.len()))
            .field("fd.name", eq(f.path.as_str()))
            .field("fd.typechar", eq("f")),
        syscall("lseek back to the start", "lseek", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .param("offset", eq(0))
            .flags("whence", &["SEEK_SET"]),
        syscall("read it back", "read", pid)
            .param("res", eq(MSG.len()))
            .param("data", bytes(MSG))
            .param("fd", eq(f.fd))
            .param("size", eq(f.rd_size))
            .field("fd.name", eq(f.path.as_str())),
        syscall("pwrite64 patches it", "pwrite", pid)
            .param("res", eq(PATCH.len()))
            .param("data", bytes(PATCH))
            .param("fd", eq(f.fd))
            .param("size", eq(PATCH.len()))
            .param("pos", eq(PWRITE_POS))
            .field("fd.name", eq(f.path.as_str())),
        syscall("pread64 reads the patch", "pread", pid)
            .param("res", eq(PATCH.len()))
            .param("data", bytes(&f.pread))
            .param("fd", eq(f.fd))
            .param("size", eq(PATCH.len()))
            .param("pos", eq(PWRITE_POS)),
        syscall("read of a bad fd fails", "read", pid)
            .param("res", eq(f.read_bad))
            .param("data", empty())
            .param("fd", eq(-1))
            .param("size", eq(8)),
        syscall("write to a bad fd fails, its data captured", "write", pid)
            .param("res", eq(f.write_bad))
            .param("data", bytes(LOST))
            .param("fd", eq(-1))
            .param("size", eq(LOST.len())),
        syscall("pread64 on a pipe fails", "pread", pid)
            .param("res", eq(f.pread_pipe))
            .param("data", empty())
            .param("fd", eq(f.pipe_rd))
            .param("size", eq(4))
            .param("pos", eq(0)),
        syscall("pwrite64 at a negative offset fails", "pwrite", pid)
            .param("res", eq(f.pwrite_neg))
            .param("data", bytes(&PATCH[..1]))
            .param("fd", eq(f.fd))
            .param("size", eq(1))
            .param("pos", eq(u64::MAX)),
        syscall("lseek on a pipe fails", "lseek", pid)
            .param("res", eq(f.lseek_pipe))
            .param("fd", eq(f.pipe_rd))
            .param("offset", eq(3))
            .flags("whence", &["SEEK_CUR"]),
    ])])
}

/// An iovec over `b` (the kernel reads it for writev/pwritev, writes it for readv/preadv).
fn iov(b: &[u8]) -> libc::iovec {
    libc::iovec {
        iov_base: b.as_ptr() as *mut libc::c_void,
        iov_len: b.len(),
    }
}

/// What writev writes, in two iovecs.
const WV: [&[u8]; 2] = [b"abc", b"defg"];
/// What pwritev writes over it at `PWV_POS`, in two iovecs.
const PWV: [&[u8]; 2] = [b"XY", b"Z"];
/// Where pwritev writes.
const PWV_POS: i64 = 2;
/// What readv reads from a pipe.
const PIPE_MSG: &[u8] = b"pipe data";

/// What `vectored_io` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct VecFacts {
    /// The file (O_RDWR).
    pub fd: i64,
    /// Its path.
    pub path: String,
    /// A pipe's read end (readv reads it; pwritev on it fails with ESPIPE).
    pub pipe_rd: i64,
    /// What preadv read at 0 (writev's bytes patched by pwritev).
    pub preadv: Vec<u8>,
    /// readv(-1): -EBADF.
    pub readv_bad: i64,
    /// writev(-1): -EBADF.
    pub writev_bad: i64,
    /// preadv at -1: -EINVAL.
    pub preadv_neg: i64,
    /// pwritev on a pipe: -ESPIPE.
    pub pwritev_pipe: i64,
}

fn vec_act(dir: &Path) -> Result<VecFacts, String> {
    let path = dir.join("vec.txt");
    let fd = open_file(
        &path,
        libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
    )?;
    let (pipe_rd, pipe_wr) = make_pipe(libc::O_CLOEXEC)?;
    let wv = [iov(WV[0]), iov(WV[1])];
    sys!("writev", libc::SYS_writev, fd, wv.as_ptr(), 2)?;
    let pwv = [iov(PWV[0]), iov(PWV[1])];
    sys!(
        "pwritev",
        libc::SYS_pwritev,
        fd,
        pwv.as_ptr(),
        2,
        PWV_POS,
        0
    )?;
    let (mut a, mut b) = ([0u8; 3], [0u8; 8]);
    let rv = [iov(&a), iov(&b)];
    let n = sys!("preadv", libc::SYS_preadv, fd, rv.as_ptr(), 2, 0, 0)? as usize;
    let mut preadv = a.to_vec();
    preadv.extend_from_slice(&b[..n - a.len()]);
    sys!(
        "write",
        libc::SYS_write,
        pipe_wr,
        PIPE_MSG.as_ptr(),
        PIPE_MSG.len()
    )?;
    (a, b) = ([0u8; 3], [0u8; 8]);
    let rv = [iov(&a), iov(&b)];
    let n = sys!("readv", libc::SYS_readv, pipe_rd, rv.as_ptr(), 2)? as usize;
    if n != PIPE_MSG.len() || a[..] != PIPE_MSG[..3] || b[..n - 3] != PIPE_MSG[3..] {
        return Err(format!("readv read {n} bytes: {a:?} {b:?}"));
    }
    let readv_bad = sys_fail!("readv(-1)", libc::SYS_readv, -1, rv.as_ptr(), 1)?;
    let writev_bad = sys_fail!("writev(-1)", libc::SYS_writev, -1, wv.as_ptr(), 2)?;
    let preadv_neg = sys_fail!(
        "preadv at -1",
        libc::SYS_preadv,
        fd,
        rv.as_ptr(),
        1,
        -1i64,
        0
    )?;
    let pwritev_pipe = sys_fail!(
        "pwritev on a pipe",
        libc::SYS_pwritev,
        pipe_rd,
        pwv.as_ptr(),
        2,
        0,
        0
    )?;
    for f in [fd, pipe_rd, pipe_wr] {
        sys!("close", libc::SYS_close, f)?;
    }
    Ok(VecFacts {
        fd,
        path: path.display().to_string(),
        pipe_rd,
        preadv,
        readv_bad,
        writev_bad,
        preadv_neg,
        pwritev_pipe,
    })
}

fn vec_expect(f: &VecFacts, pid: i64) -> Expectation {
    let wv = WV.concat();
    let pwv = PWV.concat();
    let mut patched = wv.clone();
    patched[PWV_POS as usize..PWV_POS as usize + pwv.len()].copy_from_slice(&pwv);
    Expectation::new(vec![sequence([
        syscall("writev two iovecs", "writev", pid)
            .param("res", eq(wv.len()))
            .param("data", bytes(&wv))
            .param("fd", eq(f.fd))
            .param("size", eq(wv.len()))
            .field("fd.name", eq(f.path.as_str())),
        syscall("pwritev two iovecs at 2", "pwritev", pid)
            .param("res", eq(pwv.len()))
            .param("data", bytes(&pwv))
            .param("fd", eq(f.fd))
            .param("size", eq(pwv.len()))
            .param("pos", eq(PWV_POS))
            .field("fd.name", eq(f.path.as_str())),
        syscall("preadv into two iovecs at 0", "preadv", pid)
            .param("res", eq(patched.len()))
            .param("size", eq(patched.len()))
            .param("data", bytes(&patched))
            .param("fd", eq(f.fd))
            .param("pos", eq(0))
            .field("fd.name", eq(f.path.as_str())),
        syscall("readv a pipe into two iovecs", "readv", pid)
            .param("res", eq(PIPE_MSG.len()))
            .param("size", eq(PIPE_MSG.len()))
            .param("data", bytes(PIPE_MSG))
            .param("fd", eq(f.pipe_rd))
            .field("fd.typechar", eq("p")),
        syscall("readv of a bad fd fails", "readv", pid)
            .param("res", eq(f.readv_bad))
            .param("size", eq(0))
            .param("data", empty())
            .param("fd", eq(-1)),
        syscall("writev to a bad fd fails, its data captured", "writev", pid)
            .param("res", eq(f.writev_bad))
            .param("data", bytes(&wv))
            .param("fd", eq(-1))
            .param("size", eq(wv.len())),
        syscall("preadv at a negative offset fails", "preadv", pid)
            .param("res", eq(f.preadv_neg))
            .param("size", eq(0))
            .param("data", empty())
            .param("fd", eq(f.fd))
            .param("pos", eq(u64::MAX)),
        syscall("pwritev on a pipe fails", "pwritev", pid)
            .param("res", eq(f.pwritev_pipe))
            .param("data", bytes(&pwv))
            .param("fd", eq(f.pipe_rd))
            .param("size", eq(pwv.len()))
            .param("pos", eq(0)),
    ])])
}

/// What `pipes_and_close` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PipeFacts {
    /// pipe()'s ends.
    pub p: [i64; 2],
    /// Their inode.
    pub p_ino: u64,
    /// pipe2(O_NONBLOCK|O_CLOEXEC)'s ends.
    pub q: [i64; 2],
    /// Their inode.
    pub q_ino: u64,
    /// pipe(BAD_PTR): -EFAULT.
    pub pipe_fault: i64,
    /// pipe2(BAD_PTR, O_CLOEXEC|O_DIRECT): -EFAULT.
    pub pipe2_fault: i64,
    /// read of the empty non-blocking pipe: -EAGAIN.
    pub read_again: i64,
    /// close of p[0] a second time: -EBADF.
    pub close_again: i64,
}

fn pipe_act(_dir: &Path) -> Result<PipeFacts, String> {
    let mut p = [0i32; 2];
    sys!("pipe", libc::SYS_pipe, p.as_mut_ptr())?;
    let mut q = [0i32; 2];
    sys!(
        "pipe2",
        libc::SYS_pipe2,
        q.as_mut_ptr(),
        libc::O_NONBLOCK | libc::O_CLOEXEC
    )?;
    let (p, q) = (p.map(i64::from), q.map(i64::from));
    let pipe_fault = sys_fail!("pipe(BAD_PTR)", libc::SYS_pipe, BAD_PTR)?;
    let pipe2_fault = sys_fail!(
        "pipe2(BAD_PTR)",
        libc::SYS_pipe2,
        BAD_PTR,
        libc::O_CLOEXEC | libc::O_DIRECT
    )?;
    sys!("write", libc::SYS_write, p[1], b"ping".as_ptr(), 4)?;
    let mut buf = [0u8; 8];
    let read_again = sys_fail!(
        "read of an empty non-blocking pipe",
        libc::SYS_read,
        q[0],
        buf.as_mut_ptr(),
        buf.len()
    )?;
    let (p_ino, q_ino) = (fstat(p[0])?.ino, fstat(q[1])?.ino);
    sys!("close", libc::SYS_close, p[0])?;
    let close_again = sys_fail!("close again", libc::SYS_close, p[0])?;
    for f in [p[1], q[0], q[1]] {
        sys!("close", libc::SYS_close, f)?;
    }
    Ok(PipeFacts {
        p,
        p_ino,
        q,
        q_ino,
        pipe_fault,
        pipe2_fault,
        read_again,
        close_again,
    })
}

fn pipe_expect(f: &PipeFacts, pid: i64) -> Expectation {
    Expectation::new(vec![sequence([
        syscall("pipe", "pipe", pid)
            .param("res", eq(0))
            .param("fd1", eq(f.p[0]))
            .param("fd2", eq(f.p[1]))
            .param("ino", eq(f.p_ino)),
        syscall("pipe2, non-blocking and close-on-exec", "pipe2", pid)
            .param("res", eq(0))
            .param("fd1", eq(f.q[0]))
            .param("fd2", eq(f.q[1]))
            .param("ino", eq(f.q_ino))
            .flags("flags", &["O_NONBLOCK", "O_CLOEXEC"]),
        syscall("pipe into a bad pointer fails", "pipe", pid)
            .param("res", eq(f.pipe_fault))
            .param("fd1", eq(-1))
            .param("fd2", eq(-1))
            .param("ino", eq(0)),
        syscall("pipe2 into a bad pointer fails", "pipe2", pid)
            .param("res", eq(f.pipe2_fault))
            .param("fd1", eq(-1))
            .param("fd2", eq(-1))
            .param("ino", eq(0))
            .flags("flags", &["O_CLOEXEC", "O_DIRECT"]),
        syscall("write into the pipe", "write", pid)
            .param("res", eq(4))
            .param("data", bytes(b"ping"))
            .param("fd", eq(f.p[1]))
            .param("size", eq(4))
            .field("fd.typechar", eq("p"))
            .field("fd.type", eq("pipe"))
            .field("fd.ino", eq(f.p_ino)),
        syscall("read of the empty non-blocking pipe fails", "read", pid)
            .param("res", eq(f.read_again))
            .param("data", empty())
            .param("fd", eq(f.q[0]))
            .param("size", eq(8))
            .field("fd.typechar", eq("p"))
            .field("fd.ino", eq(f.q_ino)),
        syscall("close the read end", "close", pid)
            .param("res", eq(0))
            .param("fd", eq(f.p[0])),
        syscall("close it again fails", "close", pid)
            .param("res", eq(f.close_again))
            .param("fd", eq(f.p[0])),
    ])])
}

/// What `fcntl_flock_ioctl` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CtlFacts {
    /// The file (O_RDWR).
    pub fd: i64,
    /// Its path.
    pub path: String,
    /// fcntl(fd, F_DUPFD, `dup_min`)'s result.
    pub dup: i64,
    /// The lowest fd F_DUPFD may return.
    pub dup_min: i64,
    /// fcntl(fd, F_GETFL)'s result (the open flags).
    pub getfl: i64,
    /// What F_SETFL sets: O_NONBLOCK|O_APPEND.
    pub setfl: i64,
    /// fcntl(-1, F_GETFD): -EBADF.
    pub fcntl_bad: i64,
    /// fcntl(fd, `BAD_CMD`): -EINVAL.
    pub fcntl_cmd: i64,
    /// flock(-1, LOCK_SH): -EBADF.
    pub flock_bad: i64,
    /// flock(fd, 0): -EINVAL.
    pub flock_none: i64,
    /// A pipe's read end, 4 bytes in it.
    pub pipe_rd: i64,
    /// The address FIONREAD writes to.
    pub nread_ptr: u64,
    /// ioctl(file, TIOCGWINSZ, NULL): -ENOTTY.
    pub ioctl_notty: i64,
    /// ioctl(-1, FIONREAD, NULL): -EBADF.
    pub ioctl_bad: i64,
}

/// An fcntl command no kernel knows.
const BAD_CMD: i64 = 1234;

fn ctl_act(dir: &Path) -> Result<CtlFacts, String> {
    let path = dir.join("ctl.txt");
    let fd = open_file(&path, libc::O_RDWR | libc::O_CREAT)?;
    let dup_min = 40i64;
    let dup = sys!("fcntl F_DUPFD", libc::SYS_fcntl, fd, libc::F_DUPFD, dup_min)?;
    let getfl = sys!("fcntl F_GETFL", libc::SYS_fcntl, fd, libc::F_GETFL, 0)?;
    let setfl = (libc::O_NONBLOCK | libc::O_APPEND) as i64;
    sys!("fcntl F_SETFL", libc::SYS_fcntl, fd, libc::F_SETFL, setfl)?;
    let fcntl_bad = sys_fail!("fcntl(-1)", libc::SYS_fcntl, -1, libc::F_GETFD, 0)?;
    let fcntl_cmd = sys_fail!("fcntl bad cmd", libc::SYS_fcntl, fd, BAD_CMD, 0)?;
    sys!(
        "flock LOCK_EX|LOCK_NB",
        libc::SYS_flock,
        fd,
        libc::LOCK_EX | libc::LOCK_NB
    )?;
    sys!("flock LOCK_UN", libc::SYS_flock, fd, libc::LOCK_UN)?;
    let flock_bad = sys_fail!("flock(-1)", libc::SYS_flock, -1, libc::LOCK_SH)?;
    let flock_none = sys_fail!("flock(fd, 0)", libc::SYS_flock, fd, 0)?;
    let (pipe_rd, pipe_wr) = make_pipe(libc::O_CLOEXEC)?;
    sys!("write", libc::SYS_write, pipe_wr, b"ping".as_ptr(), 4)?;
    let mut nread = 0i32;
    let nread_ptr = &mut nread as *mut i32;
    sys!(
        "ioctl FIONREAD",
        libc::SYS_ioctl,
        pipe_rd,
        libc::FIONREAD,
        nread_ptr
    )?;
    if nread != 4 {
        return Err(format!("FIONREAD said {nread}, not 4"));
    }
    let ioctl_notty = sys_fail!(
        "ioctl TIOCGWINSZ on a file",
        libc::SYS_ioctl,
        fd,
        libc::TIOCGWINSZ,
        0usize
    )?;
    let ioctl_bad = sys_fail!("ioctl(-1)", libc::SYS_ioctl, -1, libc::FIONREAD, 0usize)?;
    for f in [fd, dup, pipe_rd, pipe_wr] {
        sys!("close", libc::SYS_close, f)?;
    }
    Ok(CtlFacts {
        fd,
        path: path.display().to_string(),
        dup,
        dup_min,
        getfl,
        setfl,
        fcntl_bad,
        fcntl_cmd,
        flock_bad,
        flock_none,
        pipe_rd,
        nread_ptr: nread_ptr as u64,
        ioctl_notty,
        ioctl_bad,
    })
}

fn ctl_expect(f: &CtlFacts, pid: i64) -> Expectation {
    Expectation::new(vec![sequence([
        syscall("fcntl F_DUPFD duplicates the file", "fcntl", pid)
            .param("res", eq(f.dup))
            .param("fd", eq(f.fd))
            .flags("cmd", &["F_DUPFD"])
            .param("arg", eq(f.dup_min))
            .field("fd.name", eq(f.path.as_str())),
        syscall("fcntl F_GETFL", "fcntl", pid)
            .param("res", eq(f.getfl))
            .param("fd", eq(f.fd))
            .flags("cmd", &["F_GETFL"])
            .param("arg", eq(0)),
        syscall("fcntl F_SETFL O_NONBLOCK|O_APPEND", "fcntl", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .flags("cmd", &["F_SETFL"])
            .param("arg", eq(f.setfl)),
        syscall("fcntl of a bad fd fails", "fcntl", pid)
            .param("res", eq(f.fcntl_bad))
            .param("fd", eq(-1))
            .flags("cmd", &["F_GETFD"])
            .param("arg", eq(0)),
        syscall("fcntl with an unknown command fails", "fcntl", pid)
            .param("res", eq(f.fcntl_cmd))
            .param("fd", eq(f.fd))
            .flags("cmd", &["UNKNOWN"])
            .param("arg", eq(0)),
        syscall("flock LOCK_EX|LOCK_NB", "flock", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .flags("operation", &["LOCK_EX", "LOCK_NB"]),
        syscall("flock LOCK_UN", "flock", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .flags("operation", &["LOCK_UN"]),
        syscall("flock of a bad fd fails", "flock", pid)
            .param("res", eq(f.flock_bad))
            .param("fd", eq(-1))
            .flags("operation", &["LOCK_SH"]),
        syscall("flock without an operation fails", "flock", pid)
            .param("res", eq(f.flock_none))
            .param("fd", eq(f.fd))
            .param("operation", eq(0)),
        syscall("ioctl FIONREAD on the pipe", "ioctl", pid)
            .param("res", eq(0))
            .param("fd", eq(f.pipe_rd))
            .param("request", eq(libc::FIONREAD))
            .param("argument", eq(f.nread_ptr))
            .field("fd.typechar", eq("p")),
        syscall("ioctl TIOCGWINSZ on a file fails", "ioctl", pid)
            .param("res", eq(f.ioctl_notty))
            .param("fd", eq(f.fd))
            .param("request", eq(libc::TIOCGWINSZ))
            .param("argument", eq(0)),
        syscall("ioctl of a bad fd fails", "ioctl", pid)
            .param("res", eq(f.ioctl_bad))
            .param("fd", eq(-1))
            .param("request", eq(libc::FIONREAD))
            .param("argument", eq(0)),
    ])])
}

/// What the copy source holds.
const SRC: &[u8] = b"0123456789abcdef";
/// Where sendfile starts reading the source.
const SENDFILE_OFF: u64 = 2;

/// What `copy_calls` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CopyFacts {
    /// The source file (`SRC`, its position at 0).
    pub src: i64,
    /// The destination file.
    pub dst: i64,
    /// Its path.
    pub dst_path: String,
    /// A pipe: sendfile writes into it, splice moves from it.
    pub pipe: [i64; 2],
    /// sendfile(pipe, -1): -EBADF.
    pub sendfile_bad: i64,
    /// splice between two files: -EINVAL.
    pub splice_files: i64,
    /// copy_file_range(-1, ...): -EBADF.
    pub cfr_bad: i64,
    /// The addresses of its off_in and off_out.
    pub cfr_ptrs: [u64; 2],
}

fn copy_act(dir: &Path) -> Result<CopyFacts, String> {
    let src_path = dir.join("src.txt");
    let dst_path = dir.join("dst.txt");
    let src = open_file(&src_path, libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC)?;
    let dst = open_file(&dst_path, libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC)?;
    sys!(
        "pwrite64",
        libc::SYS_pwrite64,
        src,
        SRC.as_ptr(),
        SRC.len(),
        0
    )?;
    let (rd, wr) = make_pipe(libc::O_CLOEXEC)?;
    let mut off = SENDFILE_OFF;
    let n = sys!(
        "sendfile",
        libc::SYS_sendfile,
        wr,
        src,
        &mut off as *mut u64,
        5
    )?;
    if n != 5 || off != SENDFILE_OFF + 5 {
        return Err(format!("sendfile sent {n}, offset now {off}"));
    }
    sys!(
        "splice",
        libc::SYS_splice,
        rd,
        0usize,
        dst,
        0usize,
        5,
        libc::SPLICE_F_MOVE
    )?;
    sys!(
        "copy_file_range",
        libc::SYS_copy_file_range,
        src,
        0usize,
        dst,
        0usize,
        4,
        0
    )?;
    let mut check = [0u8; 9];
    sys!("pread64", libc::SYS_pread64, dst, check.as_mut_ptr(), 9, 0)?;
    if check[..] != b"234560123"[..] {
        return Err(format!("the destination holds {check:?}"));
    }
    let sendfile_bad = sys_fail!("sendfile(-1)", libc::SYS_sendfile, wr, -1, 0usize, 5)?;
    let splice_files = sys_fail!(
        "splice between files",
        libc::SYS_splice,
        src,
        0usize,
        dst,
        0usize,
        5,
        0
    )?;
    let (mut off_in, mut off_out) = (1i64, 2i64);
    let cfr_ptrs = [
        &mut off_in as *mut i64 as u64,
        &mut off_out as *mut i64 as u64,
    ];
    let cfr_bad = sys_fail!(
        "copy_file_range(-1)",
        libc::SYS_copy_file_range,
        -1,
        cfr_ptrs[0],
        dst,
        cfr_ptrs[1],
        4,
        0
    )?;
    for f in [src, dst, rd, wr] {
        sys!("close", libc::SYS_close, f)?;
    }
    Ok(CopyFacts {
        src,
        dst,
        dst_path: dst_path.display().to_string(),
        pipe: [rd, wr],
        sendfile_bad,
        splice_files,
        cfr_bad,
        cfr_ptrs,
    })
}

fn copy_expect(f: &CopyFacts, pid: i64) -> Expectation {
    let sendfile = |name: &str| event(name).ty("sendfile").field("proc.pid", eq(pid));
    // sendfile's offset is the offset before the call on the enter event (libs 0.20) and the
    // one after it on the exit event: the whole-call matcher takes either, these pin each.
    let mut offsets = vec![
        sendfile("sendfile's exit reports the offset after the call")
            .exit()
            .param("res", eq(5))
            .param("offset", eq(SENDFILE_OFF + 5)),
    ];
    if !crate::event::exits_carry_enter_params() {
        offsets.push(
            sendfile("sendfile's enter reports the offset before the call")
                .enter()
                .param("in_fd", eq(f.src))
                .param("offset", eq(SENDFILE_OFF)),
        );
    }
    Expectation::new(vec![
        sequence([
            syscall(
                "sendfile 5 bytes from offset 2 into the pipe",
                "sendfile",
                pid,
            )
            .param("res", eq(5))
            .param("out_fd", eq(f.pipe[1]))
            .param("in_fd", eq(f.src))
            .param("offset", one_of([SENDFILE_OFF, SENDFILE_OFF + 5]))
            .param("size", eq(5)),
            syscall("splice them from the pipe into the file", "splice", pid)
                .param("res", eq(5))
                .param("fd_in", eq(f.pipe[0]))
                .param("fd_out", eq(f.dst))
                .param("size", eq(5))
                .flags("flags", &["SPLICE_F_MOVE"]),
            syscall(
                "copy_file_range 4 bytes at the file positions",
                "copy_file_range",
                pid,
            )
            .param("res", eq(4))
            .param("fdin", eq(f.src))
            .param("offin", eq(0))
            .param("len", eq(4))
            .param("fdout", eq(f.dst))
            .param("offout", eq(0)),
            syscall("sendfile from a bad fd fails", "sendfile", pid)
                .param("res", eq(f.sendfile_bad))
                .param("out_fd", eq(f.pipe[1]))
                .param("in_fd", eq(-1))
                .param("offset", eq(0))
                .param("size", eq(5)),
            syscall("splice between two files fails", "splice", pid)
                .param("res", eq(f.splice_files))
                .param("fd_in", eq(f.src))
                .param("fd_out", eq(f.dst))
                .param("size", eq(5))
                .param("flags", eq(0)),
            // The drivers report off_in and off_out as the raw pointer arguments, not the
            // offsets they point to (libs' own copy_file_range_x test passes offsets as pointers).
            syscall(
                "copy_file_range from a bad fd fails",
                "copy_file_range",
                pid,
            )
            .param("res", eq(f.cfr_bad))
            .param("fdin", eq(-1))
            .param("offin", eq(f.cfr_ptrs[0]))
            .param("len", eq(4))
            .param("fdout", eq(f.dst))
            .param("offout", eq(f.cfr_ptrs[1])),
        ]),
        all_of(offsets),
    ])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
Scenario {
    name: "dup_family",
    area: Area::File,
    description: "dup, dup2 and dup3 of a pipe end, and their EBADF/EINVAL failures",
    steps: &Typed {
        act: dup_act,
        expect: dup_expect,
    },
},
Scenario {
    name: "read_write_family",
    area: Area::File,
    description: "write, read, pwrite64, pread64 and lseek on a file, their data bytes, and their EBADF/ESPIPE/EINVAL failures",
    steps: &Typed {
        act: rw_act,
        expect: rw_expect,
    },
},
Scenario {
    name: "vectored_io",
    area: Area::File,
    description: "writev, pwritev, preadv and readv with two iovecs each, their data bytes, and their EBADF/EINVAL/ESPIPE failures",
    steps: &Typed {
        act: vec_act,
        expect: vec_expect,
    },
},
Scenario {
    name: "pipes_and_close",
    area: Area::File,
    description: "pipe and pipe2 (inode, flags, the pipe fds libsinsp tracks), their EFAULT failures, EAGAIN on an empty non-blocking pipe, close and its EBADF",
    steps: &Typed {
        act: pipe_act,
        expect: pipe_expect,
    },
},
Scenario {
    name: "fcntl_flock_ioctl",
    area: Area::File,
    description: "fcntl (F_DUPFD, F_GETFL, F_SETFL), flock and ioctl (FIONREAD on a pipe) with their EBADF/EINVAL/ENOTTY failures",
    steps: &Typed {
        act: ctl_act,
        expect: ctl_expect,
    },
},
Scenario {
    name: "copy_calls",
    area: Area::File,
    description: "sendfile, splice and copy_file_range between a file, a pipe and a file, and their EBADF/EINVAL failures",
    steps: &Typed {
        act: copy_act,
        expect: copy_expect,
    },
}];
