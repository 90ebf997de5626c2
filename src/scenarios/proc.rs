//! Scenarios of processes: clone/fork/exec variants, signals, sessions, limits, credentials, capabilities.
use super::prelude::*;

/// What libs reports of a task in the exit events of clone/fork/vfork/execveat: who it is,
/// what it runs, where.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Task {
    /// Pid (and tid: single-threaded workload).
    pub pid: i64,
    /// Parent pid.
    pub ppid: i64,
    /// `comm` (/proc/self/comm).
    pub comm: String,
    /// argv[0].
    pub exe: String,
    /// argv[1..], each NUL-terminated, as the `args` byte buffer.
    pub args: Vec<u8>,
    /// The working directory.
    pub cwd: String,
    /// RLIMIT_NOFILE's soft limit.
    pub fdlimit: i64,
}

fn task() -> Result<Task, String> {
    let cmdline = std::fs::read("/proc/self/cmdline").map_err(|e| format!("cmdline: {e}"))?;
    let mut parts = cmdline.split_inclusive(|&c| c == 0);
    let exe = parts
        .next()
        .map(|a| String::from_utf8_lossy(&a[..a.len() - 1]).into_owned())
        .unwrap_or_default();
    let args: Vec<u8> = parts.flatten().copied().collect();
    let comm = std::fs::read_to_string("/proc/self/comm").map_err(|e| format!("comm: {e}"))?;
    let cwd = std::env::current_dir().map_err(|e| format!("cwd: {e}"))?;
    let mut rl = [0u64; 2];
    sys!(
        "getrlimit",
        libc::SYS_getrlimit,
        libc::RLIMIT_NOFILE,
        rl.as_mut_ptr()
    )?;
    // SAFETY: getppid has no preconditions.
    let ppid = unsafe { libc::getppid() } as i64;
    Ok(Task {
        pid: getpid(),
        ppid,
        comm: comm.trim_end().to_string(),
        exe,
        args,
        cwd: cwd.display().to_string(),
        fdlimit: rl[0] as i64,
    })
}

/// The params of a clone-family exit event that describe task `t` (the caller, or the child
/// on the child's side) as root in the initial namespaces.
/// `ptid` is None for the workload itself: its parent is a thread of the harness whose tid the
/// workload cannot know. On a failed call the modern eBPF probe sends no exe and no args; it
/// never sends the cwd (libsinsp has it from /proc).
fn clone_task(
    m: EventMatcher,
    t: &Task,
    tid: i64,
    ptid: Option<i64>,
    uid: i64,
    failed: bool,
) -> EventMatcher {
    let m = if failed {
        // No exe: modern eBPF sends an empty param (<NA>), kmod an empty string.
        m.param("exe", one_of(["<NA>", ""]))
            .param("args", eq(serde_json::Value::Null))
    } else {
        m.param("exe", eq(t.exe.clone()))
            .param("args", eq(t.args.clone()))
    };
    let m = match ptid {
        Some(p) => m.param("ptid", eq(p)),
        None => m.unchecked("ptid", "harness thread"),
    };
    m.param("tid", eq(tid))
        .param("pid", eq(tid))
        .param("cwd", eq("<NA>"))
        .param("fdlimit", eq(t.fdlimit))
        .param("comm", eq(t.comm.clone()))
        .param("uid", eq(uid))
        .param("gid", eq(0))
        .param("vtid", eq(tid))
        .param("vpid", eq(tid))
        .unchecked("pgft_maj", "memory")
        .unchecked("pgft_min", "memory")
        .unchecked("vm_size", "memory")
        .unchecked("vm_rss", "memory")
        .unchecked("vm_swap", "memory")
        .unchecked("cgroups", "host")
        .unchecked("pidns_init_start_ts", "time")
}

/// The child's side of a clone-family call: its exit event alone (a child has no enter event).
fn child_side(name: &str, ty: &str, t: &Task, child: i64, flags: &[&str]) -> EventMatcher {
    clone_task(
        event(name)
            .ty(ty)
            .exit()
            .field("proc.pid", eq(child))
            .field("proc.ppid", eq(t.pid))
            .field("proc.pname", eq(t.comm.clone()))
            .param("res", eq(0)),
        t,
        child,
        Some(t.pid),
        0,
        false,
    )
    .flags("flags", flags)
}

/// What `clone_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CloneFacts {
    /// The workload.
    pub task: Task,
    /// fork()'s child.
    pub fork: i64,
    /// vfork()'s child.
    pub vfork: i64,
    /// clone(SIGCHLD)'s child.
    pub clone: i64,
    /// clone(CLONE_FS|CLONE_FILES|CLONE_PARENT_SETTID|SIGCHLD)'s child.
    pub clone_shared: i64,
    /// The tid the kernel stored through CLONE_PARENT_SETTID.
    pub settid: i64,
    /// clone3(exit_signal = SIGCHLD)'s child.
    pub clone3: i64,
    /// clone(CLONE_THREAD) without CLONE_SIGHAND: -EINVAL.
    pub clone_bad: i64,
    /// clone3 with a too small size: -EINVAL.
    pub clone3_bad: i64,
    /// clone(CLONE_VM|CLONE_VFORK|SIGCHLD)'s child (a vfork through clone).
    pub clone_vm: i64,
    /// The child limited to no process (RLIMIT_NPROC 0, uid 1000).
    pub limited: i64,
    /// Its fork: -EAGAIN.
    pub fork_bad: i64,
    /// Its vfork: -EAGAIN.
    pub vfork_bad: i64,
}

/// In the child of a fork-like raw syscall result `r`: exit at once; in the parent: reap.
fn reap_forked(r: libc::c_long, what: &str) -> Result<i64, String> {
    if r == 0 {
        // SAFETY: the child leaves at once, without running the parent's handlers.
        unsafe { libc::_exit(0) };
    }
    let pid = ok(r, what)? as i32;
    wait4(pid)?;
    Ok(pid as i64)
}

/// vfork(2), the child exiting in the same asm block (it shares the parent's stack and memory
/// until it exits, so it must not return into Rust code). Returns the raw result.
fn raw_vfork() -> i64 {
    raw_shared(libc::SYS_vfork, 0)
}

/// A fork-like call `nr` (vfork, or clone with `flags`, no new stack) whose child may share the
/// parent's memory and stack: the child exits with exit_group(0) in the same asm block, before
/// touching any memory. Returns the raw result in the parent.
fn raw_shared(nr: i64, flags: i64) -> i64 {
    let ret: i64;
    // SAFETY: the child runs only exit_group(0); the parent resumes with its registers intact
    // but rax (the result), rdi, rcx and r11 (clobbered by `syscall`).
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov eax, 231",
            "xor edi, edi",
            "syscall",
            "2:",
            inout("rax") nr => ret,
            inout("rdi") flags => _,
            in("rsi") 0usize,
            in("rdx") 0usize,
            in("r10") 0usize,
            in("r8") 0usize,
            out("rcx") _,
            out("r11") _,
        );
    }
    ret
}

/// `struct clone_args` of clone3(2) (version 0, 64 bytes, and the later fields).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

fn clone_act(_dir: &Path) -> Result<CloneFacts, String> {
    let task = task()?;
    // SAFETY (all the raw forks below): the child only calls _exit.
    let fork = reap_forked(unsafe { libc::syscall(libc::SYS_fork) }, "fork")?;
    let vf = raw_vfork();
    if vf < 0 {
        return Err(format!("vfork: {}", -vf));
    }
    wait4(vf as i32)?;
    let clone = reap_forked(
        // SAFETY: fork-like clone (no CLONE_VM): the child has its own copy of memory.
        unsafe {
            libc::syscall(
                libc::SYS_clone,
                libc::SIGCHLD as usize,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        },
        "clone",
    )?;
    let mut settid: i32 = 0;
    let shared_flags = libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_PARENT_SETTID;
    let clone_shared = reap_forked(
        // SAFETY: as above; the kernel stores the child's tid in `settid`.
        unsafe {
            libc::syscall(
                libc::SYS_clone,
                (shared_flags | libc::SIGCHLD) as usize,
                0usize,
                &mut settid as *mut i32,
                0usize,
                0usize,
            )
        },
        "clone shared",
    )?;
    if settid as i64 != clone_shared {
        return Err(format!(
            "CLONE_PARENT_SETTID stored {settid}, not {clone_shared}"
        ));
    }
    let args = CloneArgs {
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    let clone3 = reap_forked(
        // SAFETY: fork-like clone3 with a valid clone_args.
        unsafe {
            libc::syscall(
                libc::SYS_clone3,
                &args as *const CloneArgs,
                std::mem::size_of::<CloneArgs>(),
            )
        },
        "clone3",
    )?;
    let clone_bad = sys_fail!(
        "clone(CLONE_THREAD)",
        libc::SYS_clone,
        libc::CLONE_THREAD as usize,
        0usize,
        0usize,
        0usize,
        0usize
    )?;
    let clone_vm = raw_shared(
        libc::SYS_clone,
        (libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD) as i64,
    );
    if clone_vm < 0 {
        return Err(format!("clone(CLONE_VM|CLONE_VFORK): {}", -clone_vm));
    }
    wait4(clone_vm as i32)?;
    let clone3_bad = sys_fail!(
        "clone3 size 8",
        libc::SYS_clone3,
        &args as *const CloneArgs,
        8usize
    )?;
    let mut fails = [0i64; 2];
    // The limited child reports its failures through a pipe.
    let mut p = [0i32; 2];
    sys!("pipe2", libc::SYS_pipe2, p.as_mut_ptr(), 0)?;
    let limited = fork_and_wait(|| {
        let zero = [0u64; 2];
        sys!(
            "setrlimit NPROC 0",
            libc::SYS_setrlimit,
            libc::RLIMIT_NPROC,
            zero.as_ptr()
        )?;
        sys!("setresuid 1000", libc::SYS_setresuid, 1000, 1000, 1000)?;
        let f = sys_fail!("fork over NPROC", libc::SYS_fork)?;
        let v = raw_vfork();
        if v >= 0 {
            return Err("vfork over NPROC succeeded".into());
        }
        let out = [f, v];
        sys!("write", libc::SYS_write, p[1], out.as_ptr(), 16usize)?;
        Ok(())
    })? as i64;
    sys!("read", libc::SYS_read, p[0], fails.as_mut_ptr(), 16usize)?;
    sys!("close", libc::SYS_close, p[0])?;
    sys!("close", libc::SYS_close, p[1])?;
    Ok(CloneFacts {
        task,
        fork,
        vfork: vf,
        clone,
        clone_shared,
        settid: settid as i64,
        clone3,
        clone_bad,
        clone3_bad,
        clone_vm,
        limited,
        fork_bad: fails[0],
        vfork_bad: fails[1],
    })
}

fn clone_expect(f: &CloneFacts, pid: i64) -> Expectation {
    let t = &f.task;
    let parent = |name: &str, ty: &str, res: i64, flags: &[&str]| {
        clone_task(syscall(name, ty, pid), t, pid, None, 0, res < 0)
            .param("res", eq(res))
            .flags("flags", flags)
    };
    let shared = ["CLONE_FS", "CLONE_FILES", "CLONE_PARENT_SETTID"];
    Expectation::new(vec![
        sequence([
            parent("fork", "fork", f.fork, &[]),
            parent("vfork", "vfork", f.vfork, &[]),
            parent("clone(SIGCHLD)", "clone", f.clone, &[]),
            parent(
                "clone shares fs and files",
                "clone",
                f.clone_shared,
                &shared,
            ),
            parent("clone3", "clone3", f.clone3, &[]),
            parent(
                "clone(CLONE_THREAD) alone fails",
                "clone",
                f.clone_bad,
                &["CLONE_THREAD"],
            ),
            parent(
                "clone(CLONE_VM|CLONE_VFORK), a vfork through clone",
                "clone",
                f.clone_vm,
                &["CLONE_VM", "CLONE_VFORK"],
            ),
            parent(
                "clone3 with a too small size fails",
                "clone3",
                f.clone3_bad,
                &[],
            ),
        ]),
        all_of([
            child_side("fork's child", "fork", t, f.fork, &[]),
            child_side("vfork's child", "vfork", t, f.vfork, &[]),
            child_side("clone's child", "clone", t, f.clone, &[]),
            child_side(
                "the sharing clone's child",
                "clone",
                t,
                f.clone_shared,
                &shared,
            ),
            child_side("clone3's child", "clone3", t, f.clone3, &[]),
            child_side(
                "the vfork-like clone's child",
                "clone",
                t,
                f.clone_vm,
                &["CLONE_VM", "CLONE_VFORK"],
            ),
        ]),
        sequence([
            clone_task(
                syscall("fork over RLIMIT_NPROC fails", "fork", f.limited),
                t,
                f.limited,
                Some(pid),
                1000,
                true,
            )
            .param("res", eq(f.fork_bad))
            .flags("flags", &[])
            .field("user.uid", eq(1000)),
            clone_task(
                syscall("vfork over RLIMIT_NPROC fails", "vfork", f.limited),
                t,
                f.limited,
                Some(pid),
                1000,
                true,
            )
            .param("res", eq(f.vfork_bad))
            .flags("flags", &[]),
        ]),
    ])
}

/// Forks; the child runs `f`, writes the numbers it returns to a pipe and exits; returns the
/// child's pid and those numbers after reaping it (its exit status must be 0).
fn fork_report(f: impl FnOnce() -> Result<Vec<i64>, String>) -> Result<(i64, Vec<i64>), String> {
    let mut p = [0i32; 2];
    sys!("pipe2", libc::SYS_pipe2, p.as_mut_ptr(), libc::O_CLOEXEC)?;
    let pid = fork_and_wait(|| {
        let v = f()?;
        let n = v.len() * 8;
        sys!("write report", libc::SYS_write, p[1], v.as_ptr(), n)?;
        Ok(())
    })?;
    sys!("close", libc::SYS_close, p[1])?;
    let mut buf = [0i64; 64];
    let n = sys!(
        "read report",
        libc::SYS_read,
        p[0],
        buf.as_mut_ptr(),
        512usize
    )? as usize;
    sys!("close", libc::SYS_close, p[0])?;
    Ok((pid as i64, buf[..n / 8].to_vec()))
}

/// A child that sleeps until killed; returns its pid.
fn sleeper() -> Result<i32, String> {
    // SAFETY: the child only sleeps then exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        let ts = libc::timespec {
            tv_sec: 10,
            tv_nsec: 0,
        };
        // SAFETY: nanosleep on a valid timespec, then leave.
        unsafe {
            libc::syscall(libc::SYS_nanosleep, &ts as *const libc::timespec, 0usize);
            libc::_exit(0);
        }
    }
    Ok(pid)
}

/// A pid no process has: a child already reaped.
fn dead_pid() -> Result<i64, String> {
    Ok(fork_and_wait(|| Ok(()))? as i64)
}

/// What `credentials` did (the child's results; errors as -errno).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CredFacts {
    /// The child that drops to uid 1000 / gid 65534.
    pub child: i64,
    /// Its capabilities before (capget), as libs reports them: effective, permitted, inheritable.
    pub caps: [i64; 3],
    /// setuid(0), setgid(0), setreuid(0,0), setregid(0,0), setresuid(0,0,0), setresgid(0,0,0)
    /// once unprivileged: -EPERM each.
    pub regain: [i64; 6],
    /// getresuid/getresgid on bad pointers: -EFAULT.
    pub getres_bad: [i64; 2],
    /// capset of every capability once unprivileged: -EPERM.
    pub capset_bad: i64,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn cred_act(_dir: &Path) -> Result<CredFacts, String> {
    let (child, v) = fork_report(|| {
        let mut out = Vec::new();
        for nr in [
            libc::SYS_getuid,
            libc::SYS_geteuid,
            libc::SYS_getgid,
            libc::SYS_getegid,
        ] {
            sys!("get*id", nr)?;
        }
        let mut r = [0u32; 3];
        let rp = r.as_mut_ptr();
        // SAFETY (pointer arithmetic): within the 3-element array.
        let (r1, r2) = unsafe { (rp.add(1), rp.add(2)) };
        sys!("getresuid", libc::SYS_getresuid, rp, r1, r2)?;
        sys!("getresgid", libc::SYS_getresgid, rp, r1, r2)?;
        let mut hdr = [0x2008_0522u32, 0];
        let mut data = [CapData::default(); 2];
        sys!(
            "capget",
            libc::SYS_capget,
            hdr.as_mut_ptr(),
            data.as_mut_ptr()
        )?;
        let cap = |f: fn(&CapData) -> u32| ((f(&data[1]) as i64) << 32) | f(&data[0]) as i64;
        out.push(cap(|d| d.effective));
        out.push(cap(|d| d.permitted));
        out.push(cap(|d| d.inheritable));
        sys!("capset", libc::SYS_capset, hdr.as_mut_ptr(), data.as_ptr())?;
        sys!("setresgid", libc::SYS_setresgid, 1000, 1000, 1000)?;
        sys!("setregid", libc::SYS_setregid, 1001, 1001)?;
        sys!("setgid", libc::SYS_setgid, 65534)?;
        sys!("setreuid", libc::SYS_setreuid, 1000, 1000)?;
        sys!("setuid", libc::SYS_setuid, 1000)?;
        sys!("setresuid", libc::SYS_setresuid, 1000, 1000, 1000)?;
        for nr in [
            libc::SYS_getuid,
            libc::SYS_geteuid,
            libc::SYS_getgid,
            libc::SYS_getegid,
        ] {
            sys!("get*id", nr)?;
        }
        sys!("getresuid", libc::SYS_getresuid, rp, r1, r2)?;
        sys!("getresgid", libc::SYS_getresgid, rp, r1, r2)?;
        out.push(sys_fail!("setuid(0)", libc::SYS_setuid, 0)?);
        out.push(sys_fail!("setgid(0)", libc::SYS_setgid, 0)?);
        out.push(sys_fail!("setreuid(0,0)", libc::SYS_setreuid, 0, 0)?);
        out.push(sys_fail!("setregid(0,0)", libc::SYS_setregid, 0, 0)?);
        out.push(sys_fail!("setresuid(0)", libc::SYS_setresuid, 0, 0, 0)?);
        out.push(sys_fail!("setresgid(0)", libc::SYS_setresgid, 0, 0, 0)?);
        out.push(sys_fail!(
            "getresuid bad",
            libc::SYS_getresuid,
            BAD_PTR,
            BAD_PTR,
            BAD_PTR
        )?);
        out.push(sys_fail!(
            "getresgid bad",
            libc::SYS_getresgid,
            BAD_PTR,
            BAD_PTR,
            BAD_PTR
        )?);
        out.push(sys_fail!(
            "capset unprivileged",
            libc::SYS_capset,
            hdr.as_mut_ptr(),
            data.as_ptr()
        )?);
        Ok(out)
    })?;
    if v.len() != 12 {
        return Err(format!("credentials child reported {v:?}"));
    }
    Ok(CredFacts {
        child,
        caps: [v[0], v[1], v[2]],
        regain: [v[3], v[4], v[5], v[6], v[7], v[8]],
        getres_bad: [v[9], v[10]],
        capset_bad: v[11],
    })
}

fn cred_expect(f: &CredFacts, _pid: i64) -> Expectation {
    let c = f.child;
    let ids = |uid: i64, gid: i64, step: &str| {
        vec![
            syscall(format!("getuid {step}"), "getuid", c).param("uid", eq(uid)),
            syscall(format!("geteuid {step}"), "geteuid", c).param("euid", eq(uid)),
            syscall(format!("getgid {step}"), "getgid", c).param("gid", eq(gid)),
            syscall(format!("getegid {step}"), "getegid", c)
                .param("egid", eq(gid))
                .field("user.uid", eq(uid))
                .field("group.gid", eq(gid)),
            syscall(format!("getresuid {step}"), "getresuid", c)
                .param("res", eq(0))
                .param("ruid", eq(uid))
                .param("euid", eq(uid))
                .param("suid", eq(uid)),
            syscall(format!("getresgid {step}"), "getresgid", c)
                .param("res", eq(0))
                .param("rgid", eq(gid))
                .param("egid", eq(gid))
                .param("sgid", eq(gid)),
        ]
    };
    let caps = |m: EventMatcher, c: [i64; 3]| {
        m.param("cap_effective", eq(c[0]))
            .param("cap_permitted", eq(c[1]))
            .param("cap_inheritable", eq(c[2]))
    };
    let mut seq = ids(0, 0, "as root");
    seq.extend([
        caps(
            syscall("capset of the same capabilities", "capset", c).param("res", eq(0)),
            f.caps,
        ),
        syscall("setresgid(1000, 1000, 1000)", "setresgid", c)
            .param("res", eq(0))
            .param("rgid", eq(1000))
            .param("egid", eq(1000))
            .param("sgid", eq(1000))
            .field("group.gid", eq(1000)),
        syscall("setregid(1001, 1001)", "setregid", c)
            .param("res", eq(0))
            .param("rgid", eq(1001))
            .param("egid", eq(1001)),
        syscall("setgid(65534)", "setgid", c)
            .param("res", eq(0))
            .param("gid", eq(65534)),
        syscall("setreuid(1000, 1000)", "setreuid", c)
            .param("res", eq(0))
            .param("ruid", eq(1000))
            .param("euid", eq(1000)),
        syscall("setuid(1000) unprivileged", "setuid", c)
            .param("res", eq(0))
            .param("uid", eq(1000)),
        syscall("setresuid(1000, 1000, 1000) unprivileged", "setresuid", c)
            .param("res", eq(0))
            .param("ruid", eq(1000))
            .param("euid", eq(1000))
            .param("suid", eq(1000))
            .field("user.uid", eq(1000)),
    ]);
    seq.extend(ids(1000, 65534, "after dropping"));
    let [su, sg, sru, srg, sresu, sresg] = f.regain;
    seq.extend([
        syscall("setuid(0) refused", "setuid", c)
            .param("res", eq(su))
            .param("uid", eq(0)),
        syscall("setgid(0) refused", "setgid", c)
            .param("res", eq(sg))
            .param("gid", eq(0)),
        syscall("setreuid(0, 0) refused", "setreuid", c)
            .param("res", eq(sru))
            .param("ruid", eq(0))
            .param("euid", eq(0)),
        syscall("setregid(0, 0) refused", "setregid", c)
            .param("res", eq(srg))
            .param("rgid", eq(0))
            .param("egid", eq(0)),
        syscall("setresuid(0, 0, 0) refused", "setresuid", c)
            .param("res", eq(sresu))
            .param("ruid", eq(0))
            .param("euid", eq(0))
            .param("suid", eq(0))
            .field("user.uid", eq(1000)),
        syscall("setresgid(0, 0, 0) refused", "setresgid", c)
            .param("res", eq(sresg))
            .param("rgid", eq(0))
            .param("egid", eq(0))
            .param("sgid", eq(0))
            .field("group.gid", eq(65534)),
        syscall("getresuid on bad pointers", "getresuid", c)
            .param("res", eq(f.getres_bad[0]))
            .param("ruid", eq(0))
            .param("euid", eq(0))
            .param("suid", eq(0)),
        syscall("getresgid on bad pointers", "getresgid", c)
            .param("res", eq(f.getres_bad[1]))
            .param("rgid", eq(0))
            .param("egid", eq(0))
            .param("sgid", eq(0)),
        caps(
            syscall("capset of every capability refused", "capset", c)
                .param("res", eq(f.capset_bad)),
            [0, 0, f.caps[2]],
        ),
    ]);
    Expectation::new(vec![sequence(seq)])
}

/// What `signals_sessions` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SignalFacts {
    /// The sleeping child killed with SIGKILL.
    pub victim: i64,
    /// kill of the reaped victim: -ESRCH.
    pub kill_gone: i64,
    /// tkill(0, SIGCONT): -EINVAL.
    pub tkill_bad: i64,
    /// tgkill of the reaped victim: -ESRCH.
    pub tgkill_gone: i64,
    /// The child that makes itself a process-group leader.
    pub grouper: i64,
    /// Its setpgid(0, -1): -EINVAL; its setsid as a group leader: -EPERM.
    pub grouper_fails: Vec<i64>,
    /// The child that starts a session.
    pub leader: i64,
}

fn signal_act(_dir: &Path) -> Result<SignalFacts, String> {
    let me = getpid();
    let victim = sleeper()?;
    sys!("kill", libc::SYS_kill, victim, libc::SIGKILL)?;
    wait4(victim)?;
    let kill_gone = sys_fail!("kill reaped", libc::SYS_kill, victim, libc::SIGKILL)?;
    sys!("tkill self", libc::SYS_tkill, me, libc::SIGCONT)?;
    let tkill_bad = sys_fail!("tkill 0", libc::SYS_tkill, 0, libc::SIGCONT)?;
    sys!("tgkill self", libc::SYS_tgkill, me, me, libc::SIGCONT)?;
    let tgkill_gone = sys_fail!("tgkill reaped", libc::SYS_tgkill, me, victim, libc::SIGCONT)?;
    let (grouper, grouper_fails) = fork_report(|| {
        sys!("setpgid(0, 0)", libc::SYS_setpgid, 0, 0)?;
        Ok(vec![
            sys_fail!("setpgid(0, -1)", libc::SYS_setpgid, 0, -1)?,
            sys_fail!("setsid as group leader", libc::SYS_setsid)?,
        ])
    })?;
    let (leader, _) = fork_report(|| {
        sys!("setsid", libc::SYS_setsid)?;
        Ok(vec![])
    })?;
    Ok(SignalFacts {
        victim: victim as i64,
        kill_gone,
        tkill_bad,
        tgkill_gone,
        grouper,
        grouper_fails,
        leader,
    })
}

fn signal_expect(f: &SignalFacts, pid: i64) -> Expectation {
    let (kill, cont) = (libc::SIGKILL as i64, libc::SIGCONT as i64);
    let g = f.grouper;
    Expectation::new(vec![
        sequence([
            syscall("kill SIGKILL of the sleeping child", "kill", pid)
                .param("res", eq(0))
                .param("pid", eq(f.victim))
                .param("sig", eq(kill)),
            syscall("kill of the reaped child fails", "kill", pid)
                .param("res", eq(f.kill_gone))
                .param("pid", eq(f.victim))
                .param("sig", eq(kill)),
            syscall("tkill SIGCONT of itself", "tkill", pid)
                .param("res", eq(0))
                .param("tid", eq(pid))
                .param("sig", eq(cont)),
            syscall("tkill of tid 0 fails", "tkill", pid)
                .param("res", eq(f.tkill_bad))
                .param("tid", eq(0))
                .param("sig", eq(cont)),
            syscall("tgkill SIGCONT of itself", "tgkill", pid)
                .param("res", eq(0))
                .param("pid", eq(pid))
                .param("tid", eq(pid))
                .param("sig", eq(cont)),
            syscall("tgkill of the reaped child fails", "tgkill", pid)
                .param("res", eq(f.tgkill_gone))
                .param("pid", eq(pid))
                .param("tid", eq(f.victim))
                .param("sig", eq(cont)),
        ]),
        sequence([
            syscall("setpgid(0, 0) makes a group leader", "setpgid", g)
                .param("res", eq(0))
                .param("pid", eq(0))
                .param("pgid", eq(0)),
            syscall("setpgid(0, -1) fails", "setpgid", g)
                .param("res", eq(f.grouper_fails.first().copied().unwrap_or(0)))
                .param("pid", eq(0))
                .param("pgid", eq(-1)),
            syscall("setsid by a group leader fails", "setsid", g)
                .param("res", eq(f.grouper_fails.get(1).copied().unwrap_or(0))),
        ]),
        all_of([syscall("setsid starts a session", "setsid", f.leader).param("res", eq(f.leader))]),
    ])
}

/// What `prctl_rlimits` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PrctlFacts {
    /// The child that renames itself and plays with its limits.
    pub child: i64,
    /// RLIMIT_NOFILE's soft and hard limits at the start.
    pub nofile: [i64; 2],
    /// The child's failures: prctl(9999), getrlimit(9999), setrlimit(soft > hard),
    /// prlimit64 of a reaped child.
    pub fails: Vec<i64>,
    /// The reaped child.
    pub gone: i64,
}

/// The name the child gives itself (15 bytes: the most `comm` holds).
const NAME: &str = "sinspqa-renamed";

fn prctl_act(_dir: &Path) -> Result<PrctlFacts, String> {
    let mut rl = [0i64; 2];
    sys!(
        "getrlimit",
        libc::SYS_getrlimit,
        libc::RLIMIT_NOFILE,
        rl.as_mut_ptr()
    )?;
    let gone = dead_pid()?;
    let (child, fails) = fork_report(|| {
        let name = cs(NAME);
        sys!(
            "PR_SET_NAME",
            libc::SYS_prctl,
            libc::PR_SET_NAME,
            name.as_ptr(),
            0,
            0,
            0
        )?;
        let mut buf = [0u8; 16];
        sys!(
            "PR_GET_NAME",
            libc::SYS_prctl,
            libc::PR_GET_NAME,
            buf.as_mut_ptr(),
            0,
            0,
            0
        )?;
        sys!(
            "PR_SET_CHILD_SUBREAPER",
            libc::SYS_prctl,
            libc::PR_SET_CHILD_SUBREAPER,
            1usize,
            0usize,
            0usize,
            0usize
        )?;
        let mut v = 0i32;
        sys!(
            "PR_GET_CHILD_SUBREAPER",
            libc::SYS_prctl,
            libc::PR_GET_CHILD_SUBREAPER,
            &mut v as *mut i32,
            0usize,
            0usize,
            0usize
        )?;
        let mut out = vec![sys_fail!(
            "prctl(9999)",
            libc::SYS_prctl,
            9999usize,
            7usize,
            0usize,
            0usize,
            0usize
        )?];
        let mut cur = [0i64; 2];
        sys!(
            "getrlimit",
            libc::SYS_getrlimit,
            libc::RLIMIT_NOFILE,
            cur.as_mut_ptr()
        )?;
        out.push(sys_fail!(
            "getrlimit(9999)",
            libc::SYS_getrlimit,
            9999,
            cur.as_mut_ptr()
        )?);
        let lower = [512i64, rl[1]];
        sys!(
            "setrlimit",
            libc::SYS_setrlimit,
            libc::RLIMIT_NOFILE,
            lower.as_ptr()
        )?;
        let inverted = [rl[1], 512];
        out.push(sys_fail!(
            "setrlimit soft > hard",
            libc::SYS_setrlimit,
            libc::RLIMIT_NOFILE,
            inverted.as_ptr()
        )?);
        let newer = [256i64, rl[1]];
        let mut old = [0i64; 2];
        sys!(
            "prlimit64",
            libc::SYS_prlimit64,
            0,
            libc::RLIMIT_NOFILE,
            newer.as_ptr(),
            old.as_mut_ptr()
        )?;
        out.push(sys_fail!(
            "prlimit64 of a reaped child",
            libc::SYS_prlimit64,
            gone,
            libc::RLIMIT_NOFILE,
            0usize,
            old.as_mut_ptr()
        )?);
        Ok(out)
    })?;
    Ok(PrctlFacts {
        child,
        nofile: rl,
        fails,
        gone,
    })
}

fn prctl_expect(f: &PrctlFacts, _pid: i64) -> Expectation {
    let c = f.child;
    let fail = |i: usize| f.fails.get(i).copied().unwrap_or(0);
    let [soft, hard] = f.nofile;
    Expectation::new(vec![sequence([
        syscall("PR_SET_NAME", "prctl", c)
            .param("res", eq(0))
            .flags("option", &["PR_SET_NAME"])
            .param("arg2_str", eq(NAME))
            .param("arg2_int", eq(0)),
        syscall("PR_GET_NAME", "prctl", c)
            .param("res", eq(0))
            .flags("option", &["PR_GET_NAME"])
            .param("arg2_str", eq(NAME))
            .param("arg2_int", eq(0)),
        syscall("PR_SET_CHILD_SUBREAPER 1", "prctl", c)
            .param("res", eq(0))
            .flags("option", &["PR_SET_CHILD_SUBREAPER"])
            .param("arg2_str", eq("<NA>"))
            .param("arg2_int", eq(1)),
        syscall("PR_GET_CHILD_SUBREAPER reads 1", "prctl", c)
            .param("res", eq(0))
            .flags("option", &["PR_GET_CHILD_SUBREAPER"])
            .param("arg2_str", eq("<NA>"))
            .param("arg2_int", eq(1)),
        syscall("prctl of an unknown option fails", "prctl", c)
            .param("res", eq(fail(0)))
            .param("option", eq(9999))
            .param("arg2_str", eq("<NA>"))
            .param("arg2_int", eq(7)),
        syscall("getrlimit(RLIMIT_NOFILE)", "getrlimit", c)
            .param("res", eq(0))
            .flags("resource", &["RLIMIT_NOFILE"])
            .param("cur", eq(soft))
            .param("max", eq(hard)),
        syscall("getrlimit of an unknown resource fails", "getrlimit", c)
            .param("res", eq(fail(1)))
            // libs maps a resource it does not know to PPM_RLIMIT_UNKNOWN.
            .flags("resource", &["RLIMIT_UNKNOWN"])
            .param("cur", eq(-1))
            .param("max", eq(-1)),
        syscall(
            "setrlimit(RLIMIT_NOFILE) lowers the soft limit",
            "setrlimit",
            c,
        )
        .param("res", eq(0))
        .flags("resource", &["RLIMIT_NOFILE"])
        .param("cur", eq(512))
        .param("max", eq(hard)),
        syscall("setrlimit soft above hard fails", "setrlimit", c)
            .param("res", eq(fail(2)))
            .flags("resource", &["RLIMIT_NOFILE"])
            .param("cur", eq(hard))
            .param("max", eq(512)),
        syscall("prlimit64 of itself", "prlimit", c)
            .param("res", eq(0))
            .param("pid", eq(0))
            .flags("resource", &["RLIMIT_NOFILE"])
            .param("newcur", eq(256))
            .param("newmax", eq(hard))
            .param("oldcur", eq(512))
            .param("oldmax", eq(hard)),
        syscall("prlimit64 of a reaped child fails", "prlimit", c)
            .param("res", eq(fail(3)))
            .param("pid", eq(f.gone))
            .flags("resource", &["RLIMIT_NOFILE"])
            // No new limit given (NULL): 0, where the old limit not read is -1.
            .param("newcur", eq(0))
            .param("newmax", eq(0))
            .param("oldcur", eq(-1))
            .param("oldmax", eq(-1)),
    ])])
}

/// What `ptrace_pidfd_vm` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PtraceFacts {
    /// The sleeping child traced, then killed.
    pub tracee: i64,
    /// A reaped child.
    pub gone: i64,
    /// ptrace(PTRACE_ATTACH) of the reaped child: -ESRCH.
    pub attach_gone: i64,
    /// ptrace(PTRACE_ATTACH) of itself: -EPERM.
    pub attach_self: i64,
    /// pidfd_open of the tracee.
    pub pidfd: i64,
    /// pidfd_open with unknown flags: -EINVAL.
    pub pidfd_bad: i64,
    /// pidfd_open of the workload itself.
    pub self_pidfd: i64,
    /// The pipe end copied with pidfd_getfd, and the copy.
    pub target: i64,
    /// The copy.
    pub copy: i64,
    /// pidfd_getfd on fd -1: -EBADF.
    pub getfd_bad: i64,
    /// The bytes moved by process_vm_readv and process_vm_writev.
    pub moved: i64,
    /// process_vm_readv on NULL iovecs: -EFAULT.
    pub readv_bad: i64,
    /// process_vm_writev to the reaped child: -ESRCH.
    pub writev_gone: i64,
}

const VM_DATA: &[u8] = b"sinspqa-vm-data";

fn ptrace_act(_dir: &Path) -> Result<PtraceFacts, String> {
    let me = getpid();
    let gone = dead_pid()?;
    let tracee = sleeper()?;
    sys!(
        "PTRACE_ATTACH",
        libc::SYS_ptrace,
        libc::PTRACE_ATTACH as usize,
        tracee,
        0usize,
        0usize
    )?;
    wait4(tracee)?;
    let attach_gone = sys_fail!(
        "PTRACE_ATTACH gone",
        libc::SYS_ptrace,
        libc::PTRACE_ATTACH as usize,
        gone,
        0usize,
        0usize
    )?;
    let attach_self = sys_fail!(
        "PTRACE_ATTACH self",
        libc::SYS_ptrace,
        libc::PTRACE_ATTACH as usize,
        me,
        0usize,
        0usize
    )?;
    let pidfd = sys!("pidfd_open", libc::SYS_pidfd_open, tracee, 0)?;
    let pidfd_bad = sys_fail!("pidfd_open bad flags", libc::SYS_pidfd_open, tracee, 0x1234)?;
    sys!("kill", libc::SYS_kill, tracee, libc::SIGKILL)?;
    wait4(tracee)?;
    let self_pidfd = sys!("pidfd_open self", libc::SYS_pidfd_open, me, 0)?;
    let mut p = [0i32; 2];
    sys!("pipe2", libc::SYS_pipe2, p.as_mut_ptr(), 0)?;
    let target = p[0] as i64;
    let copy = sys!("pidfd_getfd", libc::SYS_pidfd_getfd, self_pidfd, target, 0)?;
    let getfd_bad = sys_fail!("pidfd_getfd -1", libc::SYS_pidfd_getfd, -1, target, 0)?;
    let mut buf = [0u8; 15];
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: VM_DATA.as_ptr() as *mut libc::c_void,
        iov_len: VM_DATA.len(),
    };
    let moved = sys!(
        "process_vm_readv",
        libc::SYS_process_vm_readv,
        me,
        &local as *const libc::iovec,
        1usize,
        &remote as *const libc::iovec,
        1usize,
        0usize
    )?;
    let readv_bad = sys_fail!(
        "process_vm_readv NULL",
        libc::SYS_process_vm_readv,
        me,
        0usize,
        7usize,
        0usize,
        7usize,
        0usize
    )?;
    let mut dst = [0u8; 15];
    let src = libc::iovec {
        iov_base: VM_DATA.as_ptr() as *mut libc::c_void,
        iov_len: VM_DATA.len(),
    };
    let dsti = libc::iovec {
        iov_base: dst.as_mut_ptr().cast(),
        iov_len: dst.len(),
    };
    sys!(
        "process_vm_writev",
        libc::SYS_process_vm_writev,
        me,
        &src as *const libc::iovec,
        1usize,
        &dsti as *const libc::iovec,
        1usize,
        0usize
    )?;
    let writev_gone = sys_fail!(
        "process_vm_writev gone",
        libc::SYS_process_vm_writev,
        gone,
        &src as *const libc::iovec,
        1usize,
        &dsti as *const libc::iovec,
        1usize,
        0usize
    )?;
    for fd in [pidfd, self_pidfd, copy, p[0] as i64, p[1] as i64] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(PtraceFacts {
        tracee: tracee as i64,
        gone,
        attach_gone,
        attach_self,
        pidfd,
        pidfd_bad,
        self_pidfd,
        target,
        copy,
        getfd_bad,
        moved,
        readv_bad,
        writev_gone,
    })
}

/// A PT_DYN param holding a u64 (`PPM_PTRACE_IDX_UINT64`, then the value): its raw bytes.
fn dyn_u64(v: u64) -> Vec<u8> {
    let mut b = vec![0u8];
    b.extend(v.to_le_bytes());
    b
}

fn ptrace_expect(f: &PtraceFacts, pid: i64) -> Expectation {
    Expectation::new(vec![sequence([
        syscall("PTRACE_ATTACH to the sleeping child", "ptrace", pid)
            .param("res", eq(0))
            .flags("request", &["PTRACE_ATTACH"])
            .param("pid", eq(f.tracee))
            .param("addr", eq(dyn_u64(0)))
            .param("data", eq(dyn_u64(0))),
        syscall("PTRACE_ATTACH to a reaped child fails", "ptrace", pid)
            .param("res", eq(f.attach_gone))
            .flags("request", &["PTRACE_ATTACH"])
            .param("pid", eq(f.gone))
            .param("addr", eq(dyn_u64(0)))
            .param("data", eq(dyn_u64(0))),
        syscall("PTRACE_ATTACH to itself fails", "ptrace", pid)
            .param("res", eq(f.attach_self))
            .flags("request", &["PTRACE_ATTACH"])
            .param("pid", eq(pid))
            .param("addr", eq(dyn_u64(0)))
            .param("data", eq(dyn_u64(0))),
        syscall("pidfd_open of the tracee", "pidfd_open", pid)
            .param("fd", eq(f.pidfd))
            .param("pid", eq(f.tracee))
            .param("flags", eq(0)),
        syscall("pidfd_open with unknown flags fails", "pidfd_open", pid)
            .param("fd", eq(f.pidfd_bad))
            .param("pid", eq(f.tracee))
            // libs keeps only the flags it knows (PIDFD_NONBLOCK): none of 0x1234.
            .param("flags", eq(0)),
        syscall("pidfd_getfd copies the pipe end", "pidfd_getfd", pid)
            .param("fd", eq(f.copy))
            .param("pid_fd", eq(f.self_pidfd))
            .param("target_fd", eq(f.target))
            .param("flags", eq(0)),
        syscall("pidfd_getfd on fd -1 fails", "pidfd_getfd", pid)
            .param("fd", eq(f.getfd_bad))
            .param("pid_fd", eq(-1))
            .param("target_fd", eq(f.target))
            .param("flags", eq(0)),
        syscall(
            "process_vm_readv of its own memory",
            "process_vm_readv",
            pid,
        )
        .param("res", eq(f.moved))
        .param("pid", eq(pid))
        .param("data", eq(VM_DATA.to_vec())),
        syscall(
            "process_vm_readv on NULL iovecs fails",
            "process_vm_readv",
            pid,
        )
        .param("res", eq(f.readv_bad))
        .param("pid", eq(pid))
        .param("data", eq(serde_json::Value::Null)),
        syscall(
            "process_vm_writev into its own memory",
            "process_vm_writev",
            pid,
        )
        .param("res", eq(f.moved))
        .param("pid", eq(pid))
        .param("data", eq(VM_DATA.to_vec())),
        syscall(
            "process_vm_writev to a reaped child fails",
            "process_vm_writev",
            pid,
        )
        .param("res", eq(f.writev_gone))
        .param("pid", eq(f.gone))
        .param("data", eq(serde_json::Value::Null)),
    ])])
}

/// What `ns_seccomp` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct NsFacts {
    /// /proc/self/ns/uts, opened.
    pub ns_fd: i64,
    /// setns(ns_fd, CLONE_NEWNET): -EINVAL (not a network namespace).
    pub setns_wrong: i64,
    /// setns(-1, 0): -EBADF.
    pub setns_bad: i64,
    /// seccomp(99, 0, NULL): -EINVAL.
    pub seccomp_bad: i64,
    /// The child that unshares its UTS namespace and installs a filter.
    pub child: i64,
    /// Its unshare(CLONE_NEWUTS) once unprivileged: -EPERM.
    pub unshare_denied: i64,
}

fn ns_act(_dir: &Path) -> Result<NsFacts, String> {
    let path = cs("/proc/self/ns/uts");
    let ns_fd = sys!(
        "open ns",
        libc::SYS_openat,
        libc::AT_FDCWD,
        path.as_ptr(),
        libc::O_RDONLY | libc::O_CLOEXEC
    )?;
    sys!("setns own uts", libc::SYS_setns, ns_fd, libc::CLONE_NEWUTS)?;
    let setns_wrong = sys_fail!(
        "setns uts as net",
        libc::SYS_setns,
        ns_fd,
        libc::CLONE_NEWNET
    )?;
    let setns_bad = sys_fail!("setns -1", libc::SYS_setns, -1, 0)?;
    let seccomp_bad = sys_fail!("seccomp(99)", libc::SYS_seccomp, 99usize, 0usize, 0usize)?;
    sys!("close", libc::SYS_close, ns_fd)?;
    let (child, v) = fork_report(|| {
        sys!(
            "unshare uts",
            libc::SYS_unshare,
            libc::CLONE_NEWUTS as usize
        )?;
        let allow = [libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        }];
        let prog = libc::sock_fprog {
            len: 1,
            filter: allow.as_ptr() as *mut libc::sock_filter,
        };
        sys!(
            "seccomp filter",
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0usize,
            &prog as *const libc::sock_fprog
        )?;
        sys!("setresuid 1000", libc::SYS_setresuid, 1000, 1000, 1000)?;
        Ok(vec![sys_fail!(
            "unshare unprivileged",
            libc::SYS_unshare,
            libc::CLONE_NEWUTS as usize
        )?])
    })?;
    Ok(NsFacts {
        ns_fd,
        setns_wrong,
        setns_bad,
        seccomp_bad,
        child,
        unshare_denied: v.first().copied().unwrap_or(0),
    })
}

fn ns_expect(f: &NsFacts, pid: i64) -> Expectation {
    let c = f.child;
    Expectation::new(vec![
        sequence([
            syscall("setns into its own UTS namespace", "setns", pid)
                .param("res", eq(0))
                .param("fd", eq(f.ns_fd))
                .flags("nstype", &["CLONE_NEWUTS"]),
            syscall(
                "setns of a UTS fd as a network namespace fails",
                "setns",
                pid,
            )
            .param("res", eq(f.setns_wrong))
            .param("fd", eq(f.ns_fd))
            .flags("nstype", &["CLONE_NEWNET"]),
            syscall("setns of fd -1 fails", "setns", pid)
                .param("res", eq(f.setns_bad))
                .param("fd", eq(-1))
                .param("nstype", eq(0)),
            syscall("seccomp of an unknown operation fails", "seccomp", pid)
                .param("res", eq(f.seccomp_bad))
                .param("op", eq(99))
                .param("flags", eq(0)),
        ]),
        sequence([
            syscall("unshare of the UTS namespace", "unshare", c)
                .param("res", eq(0))
                .flags("flags", &["CLONE_NEWUTS"]),
            syscall("seccomp installs an allow-all filter", "seccomp", c)
                .param("res", eq(0))
                .param("op", eq(libc::SECCOMP_SET_MODE_FILTER as i64))
                .param("flags", eq(0)),
            syscall("unshare unprivileged fails", "unshare", c)
                .param("res", eq(f.unshare_denied))
                .flags("flags", &["CLONE_NEWUTS"])
                .field("user.uid", eq(1000)),
        ]),
    ])
}

/// What `execveat_family` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ExecFacts {
    /// The workload.
    pub task: Task,
    /// /bin/true, opened.
    pub fd: i64,
    /// The child that execs it through the fd.
    pub child: i64,
    /// execveat of a missing file: -ENOENT.
    pub missing: i64,
    /// /bin/true's real path.
    pub exepath: String,
    /// Its inode, and its ctime and mtime in ns.
    pub ino: u64,
    /// ctime (ns since the epoch).
    pub ctime: u64,
    /// mtime (ns since the epoch).
    pub mtime: u64,
    /// The workload's process group.
    pub pgid: i64,
    /// Its controlling tty (the device number, 0 for none).
    pub tty: i64,
    /// /proc/self/loginuid.
    pub loginuid: i64,
    /// Its capabilities: inheritable, permitted, effective (/proc/self/status).
    pub caps: [i64; 3],
    /// The workload binary's inode.
    pub self_ino: u64,
    /// Its ctime (ns).
    pub self_ctime: u64,
    /// Its mtime (ns).
    pub self_mtime: u64,
}

const EXEC_ARGV: [&str; 2] = ["true", "sinspqa-execveat"];
const EXEC_ENV: &str = "PATH=/usr/bin:/bin";

fn exec_act(_dir: &Path) -> Result<ExecFacts, String> {
    let task = task()?;
    let bin = std::fs::canonicalize("/bin/true").map_err(|e| format!("/bin/true: {e}"))?;
    let p = cs(&bin);
    let fd = sys!(
        "open true",
        libc::SYS_openat,
        libc::AT_FDCWD,
        p.as_ptr(),
        libc::O_RDONLY
    )?;
    let args: Vec<std::ffi::CString> = EXEC_ARGV.iter().map(cs).collect();
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let env0 = cs(EXEC_ENV);
    let env = [env0.as_ptr(), std::ptr::null()];
    let empty = cs("");
    let child = fork_and_wait(|| {
        sys!(
            "execveat",
            libc::SYS_execveat,
            fd,
            empty.as_ptr(),
            argv.as_ptr(),
            env.as_ptr(),
            libc::AT_EMPTY_PATH
        )?;
        Err("execveat returned".into())
    })? as i64;
    let missing_path = cs("sinspqa-missing");
    let missing = sys_fail!(
        "execveat missing",
        libc::SYS_execveat,
        libc::AT_FDCWD,
        missing_path.as_ptr(),
        argv.as_ptr(),
        env.as_ptr(),
        0
    )?;
    sys!("close", libc::SYS_close, fd)?;
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(&bin).map_err(|e| format!("stat: {e}"))?;
    let me = std::fs::metadata(&task.exe).map_err(|e| format!("stat self: {e}"))?;
    let stat = std::fs::read_to_string("/proc/self/stat").map_err(|e| format!("stat: {e}"))?;
    // The fields after the parenthesised comm: state ppid pgrp session tty_nr ...
    let rest: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let num = |i: usize| {
        rest.get(i)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(-1)
    };
    let status =
        std::fs::read_to_string("/proc/self/status").map_err(|e| format!("status: {e}"))?;
    let cap = |k: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| i64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(-1)
    };
    let loginuid = std::fs::read_to_string("/proc/self/loginuid")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1);
    Ok(ExecFacts {
        task,
        fd,
        child,
        missing,
        exepath: bin.display().to_string(),
        ino: md.ino(),
        ctime: md.ctime() as u64 * 1_000_000_000 + md.ctime_nsec() as u64,
        mtime: md.mtime() as u64 * 1_000_000_000 + md.mtime_nsec() as u64,
        pgid: num(2),
        tty: num(4),
        loginuid,
        caps: [cap("CapInh:"), cap("CapPrm:"), cap("CapEff:")],
        self_ino: me.ino(),
        self_ctime: me.ctime() as u64 * 1_000_000_000 + me.ctime_nsec() as u64,
        self_mtime: me.mtime() as u64 * 1_000_000_000 + me.mtime_nsec() as u64,
    })
}

/// NUL-terminated strings as the bytes of a PT_BYTEBUF (args, env).
fn nul_joined(v: &[&str]) -> Vec<u8> {
    v.iter().flat_map(|a| a.bytes().chain([0])).collect()
}

fn exec_expect(f: &ExecFacts, pid: i64) -> Expectation {
    let t = &f.task;
    let common = |m: EventMatcher| {
        m.param("cwd", eq("<NA>"))
            .param("fdlimit", eq(t.fdlimit))
            .param("tty", eq(f.tty))
            .param("vpgid", eq(f.pgid))
            .param("pgid", eq(f.pgid))
            .param("loginuid", eq(f.loginuid))
            .param("cap_inheritable", eq(f.caps[0]))
            .param("cap_permitted", eq(f.caps[1]))
            .param("cap_effective", eq(f.caps[2]))
            .param("uid", eq(0))
            .param("gid", eq(0))
            .unchecked("pgft_maj", "memory")
            .unchecked("pgft_min", "memory")
            .unchecked("vm_size", "memory")
            .unchecked("vm_rss", "memory")
            .unchecked("vm_swap", "memory")
            .unchecked("cgroups", "host")
    };
    // A successful execveat is reported by the sched_process_exec tracepoint, as an execve
    // exit event; the call's enter event (where this libs has one) carries dirfd, pathname
    // and flags.
    let enter = crate::event::current_events("execveat")
        .any(|e| e.direction == crate::event::Direction::Enter && !e.params.is_empty());
    let mut child = Vec::new();
    if enter {
        child.push(
            event("execveat of /bin/true through its fd (enter)")
                .ty("execveat")
                .enter()
                .field("proc.pid", eq(f.child))
                .param("dirfd", eq(f.fd))
                .param("pathname", eq(""))
                .flags("flags", &["AT_EMPTY_PATH"]),
        );
    }
    child.push(
        common(
            event("execveat of /bin/true through its fd: the exec")
                .ty("execve")
                .exit()
                .field("proc.pid", eq(f.child)),
        )
        // Both binaries are writable by root.
        .flags("flags", &["EXE_WRITABLE"])
        .param("res", eq(0))
        .param("exe", eq(EXEC_ARGV[0]))
        .param("args", eq(nul_joined(&EXEC_ARGV[1..])))
        .param("tid", eq(f.child))
        .param("pid", eq(f.child))
        .param("ptid", eq(pid))
        .param("comm", eq("true"))
        .param("env", eq(nul_joined(&[EXEC_ENV])))
        .param("exe_ino", eq(f.ino))
        .unchecked("exe_ino_ctime", "libs bug")
        .unchecked("exe_ino_mtime", "libs bug")
        .param("trusted_exepath", eq(f.exepath.clone()))
        .field("proc.name", eq("true"))
        .field("proc.exepath", eq(f.exepath.clone()))
        .field("proc.ppid", eq(pid))
        .field("proc.pname", eq(t.comm.clone()))
        .field("proc.cmdline", eq(EXEC_ARGV.join(" "))),
    );
    // From libs 0.22 the execve exit event names the file the kernel ran.
    let filename = crate::event::current_events("execve").any(|e| {
        e.direction == crate::event::Direction::Exit
            && e.params.iter().any(|p| p.name == "filename")
    });
    if filename {
        let last = child.pop().expect("the exec matcher");
        child.push(last.param("filename", eq(format!("/dev/fd/{}", f.fd))));
    }
    // The failed call's enter event (where this libs has one) carries the call's flags (none),
    // its exit event the workload binary's (execve_flags: PPM_EXE_WRITABLE, root may write it):
    // asserted on each event apart.
    let mut failed = vec![
        common(syscall("execveat of a missing file fails", "execveat", pid))
            .param("dirfd", eq(libc::AT_FDCWD))
            .param("pathname", eq("sinspqa-missing"))
            .param("res", eq(f.missing))
            .unchecked("flags", "asserted apart")
            // The failed call reports the argv and env it was given.
            .param("exe", eq(EXEC_ARGV[0]))
            .param("args", eq(nul_joined(&EXEC_ARGV[1..])))
            .param("env", eq(nul_joined(&[EXEC_ENV])))
            .param("tid", eq(pid))
            .param("pid", eq(pid))
            .unchecked("ptid", "harness thread")
            .param("comm", eq(t.comm.clone()))
            .param("exe_ino", eq(f.self_ino))
            .unchecked("exe_ino_ctime", "libs bug")
            .unchecked("exe_ino_mtime", "libs bug")
            .param("trusted_exepath", eq(t.exe.clone()))
            .field("proc.name", eq(t.comm.clone())),
    ];
    if enter {
        failed.push(
            event("the failed execveat's flags (enter)")
                .ty("execveat")
                .enter()
                .field("proc.pid", eq(pid))
                .param("flags", eq(0)),
        );
    }
    failed.push(
        event("the failed execveat's exe flags")
            .ty("execveat")
            .exit()
            .field("proc.pid", eq(pid))
            .param("flags", eq(1)),
    );
    Expectation::new(vec![sequence(child), all_of(failed)])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "clone_family",
        area: Area::Process,
        description: "fork, vfork, clone (flag variants) and clone3, both sides of each, and their EINVAL/EAGAIN failures",
        steps: &Typed {
            act: clone_act,
            expect: clone_expect,
        },
    },
    Scenario {
        name: "credentials",
        area: Area::Privileges,
        description: "a child reads its ids, sets its capabilities, drops to uid 1000 / gid 65534 through every set*id call, then fails to regain root",
        steps: &Typed {
            act: cred_act,
            expect: cred_expect,
        },
    },
    Scenario {
        name: "signals_sessions",
        area: Area::Process,
        description: "kill, tkill and tgkill of a child and of itself, and of a reaped child (ESRCH); setpgid and setsid, and their EINVAL/EPERM failures",
        steps: &Typed {
            act: signal_act,
            expect: signal_expect,
        },
    },
    Scenario {
        name: "prctl_rlimits",
        area: Area::Process,
        description: "a child renames itself and becomes a subreaper with prctl, reads and lowers its fd limit with getrlimit, setrlimit and prlimit64, and their EINVAL/ESRCH failures",
        steps: &Typed {
            act: prctl_act,
            expect: prctl_expect,
        },
    },
    Scenario {
        name: "ptrace_pidfd_vm",
        area: Area::Process,
        description: "ptrace attaches to a child, pidfd_open and pidfd_getfd, process_vm_readv/writev of its own memory, and their ESRCH/EINVAL/EBADF/EFAULT failures",
        steps: &Typed {
            act: ptrace_act,
            expect: ptrace_expect,
        },
    },
    Scenario {
        name: "ns_seccomp",
        area: Area::Process,
        description: "setns into its own UTS namespace, unshare of it in a child, a seccomp allow-all filter, and their EINVAL/EBADF/EPERM failures",
        steps: &Typed {
            act: ns_act,
            expect: ns_expect,
        },
    },
    Scenario {
        name: "execveat_family",
        area: Area::Process,
        description: "a child execs /bin/true through its fd with execveat(AT_EMPTY_PATH); execveat of a missing file fails with ENOENT",
        steps: &Typed {
            act: exec_act,
            expect: exec_expect,
        },
    },
];
