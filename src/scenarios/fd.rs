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
            .param("fd", eq(f.fd))
            .field("fd.num", eq(f.dup))
            .field("fd.typechar", eq("p")),
        syscall("dup2 onto the target", "dup2", pid)
            .param("res", eq(f.target))
            .param("oldfd", eq(f.fd))
            .param("fd", eq(f.fd))
            .param("newfd", eq(f.target)),
        syscall("dup3 onto the target, close-on-exec", "dup3", pid)
            .param("res", eq(f.target))
            .param("oldfd", eq(f.fd))
            .param("fd", eq(f.fd))
            .param("newfd", eq(f.target))
            .flags("flags", &["O_CLOEXEC"]),
        syscall("dup of a bad fd fails", "dup", pid)
            .param("res", eq(f.dup_bad))
            .param("oldfd", eq(-1))
            .param("fd", eq(-1)),
        syscall("dup3 onto itself fails", "dup3", pid)
            .param("res", eq(f.dup3_same))
            .param("oldfd", eq(f.fd))
            .param("fd", eq(f.fd))
            .param("newfd", eq(f.fd))
            .param("flags", eq(0)),
    ])])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "dup_family",
    area: Area::File,
    description: "dup, dup2 and dup3 of a pipe end, and their EBADF/EINVAL failures",
    steps: &Typed {
        act: dup_act,
        expect: dup_expect,
    },
}];
