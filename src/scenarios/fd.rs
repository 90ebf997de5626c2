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
}];
