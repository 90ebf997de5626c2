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
        m.param("exe", eq("<NA>"))
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
    let ret: i64;
    // SAFETY: vfork's child runs only exit_group(0) before touching any memory; the parent
    // resumes after it exited. rcx/r11 are clobbered by `syscall`.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov eax, 231",
            "xor edi, edi",
            "syscall",
            "2:",
            inout("rax") libc::SYS_vfork => ret,
            out("rdi") _,
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
        unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) },
        "clone",
    )?;
    let mut settid: i32 = 0;
    let shared_flags = libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_PARENT_SETTID;
    let clone_shared = reap_forked(
        // SAFETY: as above; the kernel stores the child's tid in `settid`.
        unsafe {
            libc::syscall(
                libc::SYS_clone,
                shared_flags | libc::SIGCHLD,
                0,
                &mut settid as *mut i32,
                0,
                0,
            )
        },
        "clone shared",
    )?;
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
        libc::CLONE_THREAD,
        0,
        0,
        0,
        0
    )?;
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

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "clone_family",
    area: Area::Process,
    description: "fork, vfork, clone (flag variants) and clone3, both sides of each, and their EINVAL/EAGAIN failures",
    steps: &Typed {
        act: clone_act,
        expect: clone_expect,
    },
}];
