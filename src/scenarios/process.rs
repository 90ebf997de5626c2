//! Scenarios of processes: a fork and exec with args, shells spawning commands (from an
//! ordinary program, a database server, a system user), and signals, memory and special fds.
use super::act::{drop_to_nobody, execve};
use super::prelude::*;

fn ex(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).exit().field("proc.pid", eq(pid))
}

/// The call `ty` by `pid`, in whichever event this libs' table puts the params named after it.
fn call(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).field("proc.pid", eq(pid)).call()
}

/// The real path of a binary (merged-/usr systems resolve /bin/x to /usr/bin/x).
fn real(p: &str) -> String {
    std::fs::canonicalize(p)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| p.to_string())
}

/// The workload's own command name: what its children see as proc.pname.
fn comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// What a scenario that forks one child did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ChildFacts {
    /// The forked child's pid.
    pub child: i64,
    /// The workload's command name (the child's proc.pname).
    pub comm: String,
    /// What the child inherits.
    pub env: ExecEnv,
    /// The inode of what the child execs.
    pub exe_ino: u64,
}

/// What an exec'd child of the workload inherits (as root) and its execve event reports.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ExecEnv {
    /// RLIMIT_NOFILE's soft limit.
    pub fdlimit: u64,
    /// The process group.
    pub pgid: i64,
    /// /proc/self/loginuid.
    pub loginuid: u64,
    /// The controlling tty (tty_nr of /proc/self/stat).
    pub tty: u64,
    /// Capabilities (inheritable, permitted, effective) of /proc/self/status.
    pub caps: [u64; 3],
}

/// The workload's [`ExecEnv`].
fn exec_env() -> Result<ExecEnv, String> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    sys!(
        "prlimit64",
        libc::SYS_prlimit64,
        0,
        libc::RLIMIT_NOFILE,
        std::ptr::null::<libc::rlimit>(),
        &mut rl as *mut _
    )?;
    let pgid = sys!("getpgid", libc::SYS_getpgid, 0)?;
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    let stat = read("/proc/self/stat")?;
    let status = read("/proc/self/status")?;
    Ok(ExecEnv {
        fdlimit: rl.rlim_cur,
        pgid,
        loginuid: read("/proc/self/loginuid")?.trim().parse().unwrap_or(0),
        tty: stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().nth(4))
            .and_then(|t| t.parse().ok())
            .unwrap_or(0),
        caps: [
            status_hex(&status, "CapInh:"),
            status_hex(&status, "CapPrm:"),
            status_hex(&status, "CapEff:"),
        ],
    })
}

/// The inode of the file at `path` (symlinks followed).
fn ino_of(path: &str) -> Result<u64, String> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(path)
        .map_err(|e| format!("{path}: {e}"))?
        .ino())
}

/// The exec flags of a binary's overlay layer (upper, lower).
const EXE_LAYERS: [&str; 2] = ["EXE_UPPER_LAYER", "EXE_LOWER_LAYER"];

/// A successful execve by root's child `c` of workload `w`, whole: `filename` (really
/// `trusted`, inode `exe_ino`) run as `argv`
/// with `PATH=/usr/bin:/bin`, writable by root, its state inherited from the workload.
fn root_exec(
    name: &str,
    c: i64,
    w: i64,
    (filename, trusted, exe_ino): (&str, &str, u64),
    argv: &[&str],
    env: &ExecEnv,
) -> EventMatcher {
    syscall(name, "execve", c)
        .param("res", eq(0))
        .param("filename", eq(filename))
        .param("exe", eq(argv[0]))
        .param("args", eq(nul_joined(&argv[1..])))
        .param("tid", eq(c))
        .param("pid", eq(c))
        .param("ptid", eq(w))
        .param("comm", eq(argv[0]))
        .param("env", eq(nul_joined(&["PATH=/usr/bin:/bin"])))
        .param("fdlimit", eq(env.fdlimit))
        .param("pgid", eq(env.pgid))
        .param("vpgid", eq(env.pgid))
        .param("loginuid", eq(env.loginuid))
        .param("tty", eq(env.tty))
        .param(
            "flags",
            layered("execve", "flags", &["EXE_WRITABLE"], EXE_LAYERS, trusted),
        )
        .param("cap_inheritable", eq(env.caps[0]))
        .param("cap_permitted", eq(env.caps[1]))
        .param("cap_effective", eq(env.caps[2]))
        .param("exe_ino", eq(exe_ino))
        .param("uid", eq(0))
        .param("gid", eq(0))
        .param("trusted_exepath", eq(trusted))
        .unchecked("exe_ino_ctime", "libs bug")
        .unchecked("exe_ino_mtime", "libs bug")
        .unchecked("cwd", "empty")
        .unchecked("cgroups", "host")
        .unchecked("pgft_maj", "counter")
        .unchecked("pgft_min", "counter")
        .unchecked("vm_size", "counter")
        .unchecked("vm_rss", "counter")
        .unchecked("vm_swap", "counter")
}

/// What `spawn_exec_with_args` did, and what the exec'd child inherits.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ExecFacts {
    /// The forked child's pid.
    pub child: i64,
    /// The workload's command name (the child's proc.pname).
    pub comm: String,
    /// RLIMIT_NOFILE's soft limit.
    pub fdlimit: u64,
    /// The process group.
    pub pgid: i64,
    /// /proc/self/loginuid.
    pub loginuid: u64,
    /// The controlling tty (tty_nr of /proc/self/stat).
    pub tty: u64,
    /// Capabilities (inheritable, permitted, effective) of /proc/self/status.
    pub caps: [u64; 3],
    /// /bin/echo's inode, ctime and mtime (ns).
    pub exe_ino: u64,
    /// ctime in ns.
    pub exe_ctime: u64,
    /// mtime in ns.
    pub exe_mtime: u64,
    /// execve of a missing file (-ENOENT).
    pub enoent: i64,
    /// The workload's argv (its clone events report them).
    pub argv: Vec<String>,
    /// The workload's parent.
    pub ppid: i64,
}

/// What the child execs.
const ECHO_ARGV: &[&str] = &["echo", "sinspqa-exec", "second arg"];
/// A path that does not exist.
const NO_SUCH_EXE: &str = "/sinspqa-no-such-dir/echo";

/// A string array param (args, env) as the drivers encode it: NUL-terminated strings.
fn nul_joined<S: AsRef<str>>(items: &[S]) -> Vec<i64> {
    let mut v = Vec::new();
    for s in items {
        v.extend(s.as_ref().bytes().map(|b| b as i64));
        v.push(0);
    }
    v
}

fn status_hex(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0)
}

fn spawn_exec_act(_dir: &Path) -> Result<ExecFacts, String> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    sys!(
        "prlimit64",
        libc::SYS_prlimit64,
        0,
        libc::RLIMIT_NOFILE,
        std::ptr::null::<libc::rlimit>(),
        &mut rl as *mut _
    )?;
    let pgid = sys!("getpgid", libc::SYS_getpgid, 0)?;
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    let loginuid = read("/proc/self/loginuid")?.trim().parse().unwrap_or(0);
    let stat = read("/proc/self/stat")?;
    // tty_nr: the 7th field, the 5th after the ")" closing comm.
    let tty = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().nth(4))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let status = read("/proc/self/status")?;
    let caps = [
        status_hex(&status, "CapInh:"),
        status_hex(&status, "CapPrm:"),
        status_hex(&status, "CapEff:"),
    ];
    let md = std::fs::metadata("/bin/echo").map_err(|e| e.to_string())?;
    use std::os::unix::fs::MetadataExt;
    let ns = |s: i64, n: i64| (s * 1_000_000_000 + n) as u64;
    let bad = cs(NO_SUCH_EXE);
    let args: Vec<std::ffi::CString> = ECHO_ARGV.iter().map(cs).collect();
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let env = [c"PATH=/usr/bin:/bin".as_ptr(), std::ptr::null()];
    let child = fork_and_wait(|| {
        let r = sys_fail!(
            "execve of a missing file",
            libc::SYS_execve,
            bad.as_ptr(),
            ptrs.as_ptr(),
            env.as_ptr()
        )?;
        if r != -(libc::ENOENT as i64) {
            return Err(format!("execve of a missing file: {r}, not -ENOENT"));
        }
        execve("/bin/echo", ECHO_ARGV)
    })?;
    Ok(ExecFacts {
        child: child as i64,
        comm: comm(),
        fdlimit: rl.rlim_cur,
        pgid,
        loginuid,
        tty,
        caps,
        exe_ino: md.ino(),
        exe_ctime: ns(md.ctime(), md.ctime_nsec()),
        exe_mtime: ns(md.mtime(), md.mtime_nsec()),
        enoent: -(libc::ENOENT as i64),
        argv: std::env::args().collect(),
        // SAFETY: getppid has no preconditions.
        ppid: unsafe { libc::getppid() } as i64,
    })
}

fn spawn_exec_expect(f: &ExecFacts, w: i64) -> Expectation {
    let c = f.child;
    // What both sides of the workload's fork report: the workload's image and state.
    let fork = |m: EventMatcher| {
        m.param("exe", eq(f.argv.first().map(String::as_str).unwrap_or("")))
            .param("args", eq(nul_joined(f.argv.get(1..).unwrap_or_default())))
            .param("comm", eq(f.comm.as_str()))
            .param("fdlimit", eq(f.fdlimit))
            .param("uid", eq(0))
            .param("gid", eq(0))
            .flags("flags", &["CLONE_CHILD_CLEARTID", "CLONE_CHILD_SETTID"])
            .unchecked("cwd", "harness")
            .unchecked("cgroups", "host")
            .unchecked("pgft_maj", "counter")
            .unchecked("pgft_min", "counter")
            .unchecked("vm_size", "counter")
            .unchecked("vm_rss", "counter")
            .unchecked("vm_swap", "counter")
            .unchecked("pidns_init_start_ts", "time")
    };
    let env = nul_joined(&["PATH=/usr/bin:/bin"]);
    Expectation::new(vec![
        all_of([
            fork(
                syscall("the workload forks the child", "clone", w)
                    .param("res", eq(c))
                    .param("tid", eq(w))
                    .param("pid", eq(w))
                    .unchecked("ptid", "harness thread")
                    .param("vtid", eq(w))
                    .param("vpid", eq(w)),
            ),
            // The child only returns from clone: its exit event alone, not a whole call.
            fork(
                ex("the child returns from clone", "clone", c)
                    .param("res", eq(0))
                    .param("tid", eq(c))
                    .param("pid", eq(c))
                    .param("ptid", eq(w))
                    .param("vtid", eq(c))
                    .param("vpid", eq(c)),
            ),
            // wait4 has no event of its own: the generic event.
            syscall("the workload reaps the child", "wait4", w)
                .param("nativeID", eq(libc::SYS_wait4))
                .unchecked("ID", "libs code"),
        ]),
        sequence([
            syscall("the child's exec of a missing file fails", "execve", c)
                .param("res", eq(f.enoent))
                .param("filename", eq(NO_SUCH_EXE))
                // exe and args from the call's argv; the rest the workload's own state.
                .param("exe", eq("echo"))
                .param("args", eq(nul_joined(&ECHO_ARGV[1..])))
                .param("tid", eq(c))
                .param("pid", eq(c))
                .param("ptid", eq(w))
                .param("comm", eq(f.comm.as_str()))
                .param("fdlimit", eq(f.fdlimit))
                .param("pgid", eq(f.pgid))
                .param("vpgid", eq(f.pgid))
                .param("loginuid", eq(f.loginuid))
                .param("tty", eq(f.tty))
                .param("uid", eq(0))
                .param("gid", eq(0))
                .unchecked("cwd", "empty")
                .unchecked("env", "environment")
                .unchecked("cgroups", "host")
                .unchecked("flags", "workload")
                .unchecked("cap_inheritable", "workload")
                .unchecked("cap_permitted", "workload")
                .unchecked("cap_effective", "workload")
                .unchecked("exe_ino", "workload")
                .unchecked("exe_ino_ctime", "workload")
                .unchecked("exe_ino_mtime", "workload")
                .unchecked("trusted_exepath", "workload")
                .unchecked("pgft_maj", "counter")
                .unchecked("pgft_min", "counter")
                .unchecked("vm_size", "counter")
                .unchecked("vm_rss", "counter")
                .unchecked("vm_swap", "counter"),
            syscall("the child execs echo with its args", "execve", c)
                .param("res", eq(0))
                .param("filename", eq("/bin/echo"))
                .param("exe", eq("echo"))
                .param("args", eq(nul_joined(&ECHO_ARGV[1..])))
                .param("tid", eq(c))
                .param("pid", eq(c))
                .param("ptid", eq(w))
                .param("comm", eq("echo"))
                .param("env", eq(env))
                .param("fdlimit", eq(f.fdlimit))
                .param("pgid", eq(f.pgid))
                .param("vpgid", eq(f.pgid))
                .param("loginuid", eq(f.loginuid))
                .param("tty", eq(f.tty))
                .param(
                    "flags",
                    layered(
                        "execve",
                        "flags",
                        &["EXE_WRITABLE"],
                        EXE_LAYERS,
                        "/bin/echo",
                    ),
                )
                .param("cap_inheritable", eq(f.caps[0]))
                .param("cap_permitted", eq(f.caps[1]))
                .param("cap_effective", eq(f.caps[2]))
                .param("exe_ino", eq(f.exe_ino))
                // Wrong on this kernel (6.18) in libs 0.20.0 and 0.25.4: ctime comes 2^31 ns
                // late (the I_CTIME_QUERIED bit of the multigrain i_ctime_nsec, kernel 6.13+,
                // read as nanoseconds), mtime is above 2^63. Facts keep the true values.
                .unchecked("exe_ino_ctime", "libs bug")
                .unchecked("exe_ino_mtime", "libs bug")
                .param("uid", eq(0))
                .param("gid", eq(0))
                .param("trusted_exepath", eq(real("/bin/echo")))
                .unchecked("cwd", "empty")
                .unchecked("cgroups", "host")
                .unchecked("pgft_maj", "counter")
                .unchecked("pgft_min", "counter")
                .unchecked("vm_size", "counter")
                .unchecked("vm_rss", "counter")
                .unchecked("vm_swap", "counter")
                .field("proc.name", eq("echo"))
                .field("proc.exe", eq("echo"))
                .field("proc.exepath", eq(real("/bin/echo")))
                .field("proc.cmdline", eq("echo sinspqa-exec second arg"))
                .field("proc.ppid", eq(w))
                .field("proc.pname", eq(f.comm.as_str())),
            ex("echo writes its args", "write", c)
                .param("res", eq(24))
                .field("fd.num", eq(1)),
            event("echo exits")
                .ty("procexit")
                .field("proc.pid", eq(c))
                .param("status", eq(0))
                .param("ret", eq(0))
                .param("sig", eq(0))
                .param("core", eq(0))
                .param("reaper_tid", eq(0)),
        ]),
        none_of([
            ex("no failed exec but the missing file's", "execve", c)
                .param("res", lt(0))
                .param("res", ne(f.enoent)),
            ex("no failed exec once echo runs", "execve", c)
                .param("res", lt(0))
                .field("proc.name", eq("echo")),
        ]),
    ])
}

/// The shell's argv.
const SHELL_ARGV: &[&str] = &["sh", "-c", "/bin/true sinspqa-shell; exit 0"];

fn shell_act(_dir: &Path) -> Result<ChildFacts, String> {
    let env = exec_env()?;
    let exe_ino = ino_of("/bin/sh")?;
    let child = fork_and_wait(|| execve("/bin/sh", SHELL_ARGV))?;
    Ok(ChildFacts {
        child: child as i64,
        comm: comm(),
        env,
        exe_ino,
    })
}

fn shell_expect(f: &ChildFacts, w: i64) -> Expectation {
    let c = f.child;
    Expectation::new(vec![
        sequence([
            root_exec(
                "the shell starts",
                c,
                w,
                ("/bin/sh", &real("/bin/sh"), f.exe_ino),
                SHELL_ARGV,
                &f.env,
            )
            .field("proc.name", eq("sh"))
            .field("proc.pname", eq(f.comm.as_str()))
            .field("proc.cmdline", contains("sinspqa-shell")),
            event("the shell spawns true")
                .ty("execve")
                .exit()
                .field("proc.name", eq("true"))
                .field("proc.pname", eq("sh"))
                .field("proc.ppid", eq(c))
                .field("proc.cmdline", eq("true sinspqa-shell")),
            event("the shell exits")
                .ty("procexit")
                .field("proc.pid", eq(c))
                .param("status", eq(0))
                .param("ret", eq(0))
                .param("sig", eq(0))
                .param("core", eq(0))
                .param("reaper_tid", eq(0)),
        ]),
        all_of([ex("the workload reaps the shell", "wait4", w)]),
    ])
}

/// What `db_program_spawns_process` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DbFacts {
    /// The "database server" child's pid.
    pub child: i64,
    /// Its executable (a copy of sh named mysqld in the temp dir).
    pub db: String,
    /// What the child inherits.
    pub env: ExecEnv,
    /// The inode of the copy.
    pub exe_ino: u64,
}

/// The "database server"'s argv.
const DB_ARGV: &[&str] = &["mysqld", "-c", "/bin/ls / > /dev/null"];

fn db_act(dir: &Path) -> Result<DbFacts, String> {
    // A "database server" (a copy of the shell named mysqld) spawning a process.
    let db = dir.join("mysqld");
    std::fs::copy("/bin/sh", &db).map_err(|e| e.to_string())?;
    let dbs = db.display().to_string();
    let env = exec_env()?;
    let exe_ino = ino_of(&dbs)?;
    let child = fork_and_wait(|| execve(&dbs, DB_ARGV))?;
    Ok(DbFacts {
        child: child as i64,
        db: dbs,
        env,
        exe_ino,
    })
}

fn db_expect(f: &DbFacts, w: i64) -> Expectation {
    let c = f.child;
    Expectation::new(vec![sequence([
        root_exec(
            "the database server starts",
            c,
            w,
            (&f.db, &f.db, f.exe_ino),
            DB_ARGV,
            &f.env,
        )
        .field("proc.name", eq("mysqld"))
        .field("proc.exepath", eq(f.db.as_str())),
        event("the database spawns a process")
            .ty("execve")
            .exit()
            .field("proc.name", eq("ls"))
            .field("proc.pname", eq("mysqld"))
            .field("proc.ppid", eq(c))
            .field("proc.cmdline", eq("ls /")),
    ])])
}

/// What `system_user_interactive` did, and what the shell inherits.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SystemUserFacts {
    /// The child's pid.
    pub child: i64,
    /// RLIMIT_NOFILE's soft limit.
    pub fdlimit: u64,
    /// The process group.
    pub pgid: i64,
    /// /proc/self/loginuid.
    pub loginuid: u64,
    /// The controlling tty.
    pub tty: u64,
    /// /bin/sh's inode.
    pub exe_ino: u64,
}

fn system_user_act(_dir: &Path) -> Result<SystemUserFacts, String> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    sys!(
        "prlimit64",
        libc::SYS_prlimit64,
        0,
        libc::RLIMIT_NOFILE,
        std::ptr::null::<libc::rlimit>(),
        &mut rl as *mut _
    )?;
    let pgid = sys!("getpgid", libc::SYS_getpgid, 0)?;
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    let loginuid = read("/proc/self/loginuid")?.trim().parse().unwrap_or(0);
    let stat = read("/proc/self/stat")?;
    let tty = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().nth(4))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    use std::os::unix::fs::MetadataExt;
    let exe_ino = std::fs::metadata("/bin/sh")
        .map_err(|e| e.to_string())?
        .ino();
    let child = fork_and_wait(|| {
        drop_to_nobody()?;
        execve("/bin/sh", &["sh", "-c", "exit 0"])
    })?;
    Ok(SystemUserFacts {
        child: child as i64,
        fdlimit: rl.rlim_cur,
        pgid,
        loginuid,
        tty,
        exe_ino,
    })
}

fn system_user_expect(f: &SystemUserFacts, w: i64) -> Expectation {
    let c = f.child;
    Expectation::new(vec![sequence([
        syscall("the child drops its groups", "setgroups", c)
            .param("nativeID", eq(libc::SYS_setgroups))
            .unchecked("ID", "libs code"),
        syscall("the child's group becomes nobody", "setgid", c)
            .param("res", eq(0))
            .param("gid", eq(65534))
            .field("group.gid", eq(65534)),
        syscall("the child becomes nobody", "setuid", c)
            .param("res", eq(0))
            .param("uid", eq(65534))
            .field("user.uid", eq(65534)),
        syscall("the system user starts a shell", "execve", c)
            .param("res", eq(0))
            .param("filename", eq("/bin/sh"))
            .param("exe", eq("sh"))
            .param("args", eq(nul_joined(&["-c", "exit 0"])))
            .param("tid", eq(c))
            .param("pid", eq(c))
            .param("ptid", eq(w))
            .param("comm", eq("sh"))
            .param("env", eq(nul_joined(&["PATH=/usr/bin:/bin"])))
            .param("fdlimit", eq(f.fdlimit))
            .param("pgid", eq(f.pgid))
            .param("vpgid", eq(f.pgid))
            .param("loginuid", eq(f.loginuid))
            .param("tty", eq(f.tty))
            // nobody cannot write the shell; setuid away from root cleared the capabilities.
            .param(
                "flags",
                layered("execve", "flags", &[], EXE_LAYERS, "/bin/sh"),
            )
            .param("cap_inheritable", eq(0))
            .param("cap_permitted", eq(0))
            .param("cap_effective", eq(0))
            .param("exe_ino", eq(f.exe_ino))
            .param("uid", eq(65534))
            .param("gid", eq(65534))
            .param("trusted_exepath", eq(real("/bin/sh")))
            .unchecked("exe_ino_ctime", "libs bug")
            .unchecked("exe_ino_mtime", "libs bug")
            .unchecked("cwd", "empty")
            .unchecked("cgroups", "host")
            .unchecked("pgft_maj", "counter")
            .unchecked("pgft_min", "counter")
            .unchecked("vm_size", "counter")
            .unchecked("vm_rss", "counter")
            .unchecked("vm_swap", "counter")
            .field("proc.name", eq("sh"))
            .field("user.uid", eq(65534))
            .field("group.gid", eq(65534)),
    ])])
}

/// What `signals_memory_fds` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SignalsFacts {
    /// The child killed with SIGTERM.
    pub killed: i64,
    /// The signal sent.
    pub signal: i64,
    /// The anonymous page mapped.
    pub addr: i64,
    /// Its length.
    pub len: i64,
    /// brk(0)'s answer: the current break.
    pub brk: i64,
    /// mmap of a bad fd (-EBADF).
    pub mmap_bad: i64,
    /// kill with an invalid signal (-EINVAL).
    pub kill_bad: i64,
    /// The eventfd, epoll, inotify, timerfd and memfd fds.
    pub fds: [i64; 5],
    /// RLIMIT_NOFILE (soft, hard).
    pub nofile: [i64; 2],
}

fn signals_act(_dir: &Path) -> Result<SignalsFacts, String> {
    // Memory: mmap, mprotect, munmap, brk.
    let len = 4096usize;
    let addr = sys!(
        "mmap",
        libc::SYS_mmap,
        0usize,
        len,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0usize
    )?;
    sys!("mprotect", libc::SYS_mprotect, addr, len, libc::PROT_READ)?;
    sys!("munmap", libc::SYS_munmap, addr, len)?;
    let brk = sys!("brk", libc::SYS_brk, 0usize)?;
    // A file mapping of no file: EBADF.
    let mmap_bad = sys_fail!(
        "mmap of a bad fd",
        libc::SYS_mmap,
        0usize,
        len,
        libc::PROT_READ,
        libc::MAP_PRIVATE,
        -1,
        0usize
    )?;
    // Signals: a child that waits, killed with SIGTERM by kill(2).
    // SAFETY: the child only pauses (raw syscall) until killed.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        loop {
            // SAFETY: pause(2) has no arguments.
            unsafe { libc::syscall(libc::SYS_pause) };
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    // 65: past SIGRTMAX (and within the u8 the drivers report a signal in).
    let kill_bad = sys_fail!("kill with signal 65", libc::SYS_kill, pid, 65)?;
    sys!("kill", libc::SYS_kill, pid, libc::SIGTERM)?;
    wait4(pid)?;
    // Descriptors of other kinds.
    let efd = sys!("eventfd2", libc::SYS_eventfd2, 0, libc::EFD_CLOEXEC)?;
    let ep = sys!(
        "epoll_create1",
        libc::SYS_epoll_create1,
        libc::EPOLL_CLOEXEC
    )?;
    let ino = sys!("inotify_init1", libc::SYS_inotify_init1, libc::IN_CLOEXEC)?;
    let tfd = sys!(
        "timerfd_create",
        libc::SYS_timerfd_create,
        libc::CLOCK_MONOTONIC,
        0
    )?;
    let mfd = sys!(
        "memfd_create",
        libc::SYS_memfd_create,
        c"sinspqa-memfd".as_ptr(),
        0
    )?;
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    sys!(
        "prlimit64",
        libc::SYS_prlimit64,
        0,
        libc::RLIMIT_NOFILE,
        std::ptr::null::<libc::rlimit>(),
        &mut rl as *mut _
    )?;
    for fd in [efd, ep, ino, tfd, mfd] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(SignalsFacts {
        killed: pid as i64,
        signal: libc::SIGTERM as i64,
        addr: addr as i64,
        len: len as i64,
        brk,
        mmap_bad,
        kill_bad,
        fds: [efd, ep, ino, tfd, mfd],
        nofile: [rl.rlim_cur as i64, rl.rlim_max as i64],
    })
}

fn signals_expect(f: &SignalsFacts, w: i64) -> Expectation {
    let k = f.killed;
    let [efd, ep, ino, tfd, mfd] = f.fds;
    // libs 0.20's modern eBPF sends 0 for timerfd_create's clockid ("like the old probe");
    // from 0.22 the exit event has the clock asked for.
    let timerfd_clockid = if crate::event::exits_carry_enter_params() {
        libc::CLOCK_MONOTONIC
    } else {
        0
    };
    let vm = |m: EventMatcher| {
        m.unchecked("vm_size", "counter")
            .unchecked("vm_rss", "counter")
            .unchecked("vm_swap", "counter")
    };
    Expectation::new(vec![
        sequence([
            vm(syscall("mmap of one anonymous page", "mmap", w)
                .param("res", eq(f.addr))
                .param("addr", eq(0))
                .param("length", eq(f.len))
                .flags("prot", &["PROT_READ", "PROT_WRITE"])
                .flags("flags", &["MAP_PRIVATE", "MAP_ANONYMOUS"])
                .param("fd", eq(-1))
                .param("offset", eq(0))),
            syscall("mprotect of that page", "mprotect", w)
                .param("res", eq(0))
                .param("addr", eq(f.addr))
                .param("length", eq(f.len))
                .flags("prot", &["PROT_READ"]),
            vm(syscall("munmap succeeds", "munmap", w)
                .param("res", eq(0))
                .param("addr", eq(f.addr))
                .param("length", eq(f.len))),
            vm(syscall("brk answers", "brk", w)
                .param("res", eq(f.brk))
                .param("res", gt(0))
                .param("addr", eq(0))),
            vm(syscall("mmap of a bad fd fails", "mmap", w)
                .param("res", eq(f.mmap_bad))
                .param("res", eq(-libc::EBADF))
                .param("addr", eq(0))
                .param("length", eq(f.len))
                .flags("prot", &["PROT_READ"])
                .flags("flags", &["MAP_PRIVATE"])
                .param("fd", eq(-1))
                .param("offset", eq(0))),
            syscall("kill with an invalid signal fails", "kill", w)
                .param("res", eq(f.kill_bad))
                .param("res", eq(-libc::EINVAL))
                .param("pid", eq(k))
                .param("sig", eq(65)),
            syscall("kill SIGTERM to the child", "kill", w)
                .param("res", eq(0))
                .param("pid", eq(k))
                .param("sig", eq(f.signal)),
            syscall("eventfd2", "eventfd2", w)
                .param("res", eq(efd))
                .param("initval", eq(0))
                .flags("flags", &["O_CLOEXEC"]),
            syscall("epoll_create1", "epoll_create1", w)
                .param("res", eq(ep))
                .flags("flags", &["EPOLL_CLOEXEC"]),
            syscall("inotify_init1", "inotify_init1", w)
                .param("res", eq(ino))
                .flags("flags", &["O_CLOEXEC"]),
            syscall("timerfd_create", "timerfd_create", w)
                .param("res", eq(tfd))
                .param("clockid", eq(timerfd_clockid))
                .param("flags", eq(0)),
            syscall("memfd_create", "memfd_create", w)
                .param("fd", eq(mfd))
                .param("name", eq("sinspqa-memfd"))
                .param("flags", eq(0)),
            syscall("prlimit reads RLIMIT_NOFILE", "prlimit", w)
                .param("res", eq(0))
                .param("pid", eq(0))
                .flags("resource", &["RLIMIT_NOFILE"])
                // No new limit given (NULL): the drivers report 0.
                .param("newcur", eq(0))
                .param("newmax", eq(0))
                .param("oldcur", eq(f.nofile[0]))
                .param("oldmax", eq(f.nofile[1]))
                .param("oldmax", gt(0)),
        ]),
        all_of([
            // A fatal signal is delivered to the dying thread group as SIGKILL (kernel complete_signal()).
            event("the signal is delivered")
                .ty("signaldeliver")
                .param("dpid", eq(k))
                .param("sig", one_of([f.signal, 9]))
                // The kernel's own SIGKILL comes from no process (0); a SIGTERM delivered to a
                // handler would name the workload.
                .param("spid", one_of([0, w])),
            event("the child dies of SIGTERM")
                .ty("procexit")
                .field("proc.pid", eq(k))
                // The raw wait status of a death by signal is the signal; the exit code 0.
                .param("status", eq(f.signal))
                .param("ret", eq(0))
                .param("sig", eq(f.signal))
                .param("core", eq(0))
                .param("reaper_tid", eq(0)),
            // pause(2) is a generic event in libs: type and thread only, no return value.
            call("the child pauses", "pause", k),
            ex("its pause is interrupted", "pause", k),
        ]),
    ])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "spawn_exec_with_args",
        area: Area::Process,
        description: "a process forks a child that execs echo with args",
        steps: &Typed {
            act: spawn_exec_act,
            expect: spawn_exec_expect,
        },
    },
    Scenario {
        name: "untrusted_shell",
        area: Area::Process,
        description: "a program spawns sh -c, which spawns a command",
        steps: &Typed {
            act: shell_act,
            expect: shell_expect,
        },
    },
    Scenario {
        name: "db_program_spawns_process",
        area: Area::Process,
        description: "a program named mysqld spawns ls",
        steps: &Typed {
            act: db_act,
            expect: db_expect,
        },
    },
    Scenario {
        name: "system_user_interactive",
        area: Area::Process,
        description: "a system user (nobody) starts a shell",
        steps: &Typed {
            act: system_user_act,
            expect: system_user_expect,
        },
    },
    Scenario {
        name: "signals_memory_fds",
        area: Area::Process,
        description: "mmap/mprotect/munmap/brk, kill + signal delivery, special fds",
        steps: &Typed {
            act: signals_act,
            expect: signals_expect,
        },
    },
];
