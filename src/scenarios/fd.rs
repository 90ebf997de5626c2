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
}];
