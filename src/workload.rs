//! Workloads: small programs that each do one real thing in a child process.
//!
//! The harness starts `sinspqa workload NAME DIR` ([`Workload::spawn`]); the child waits for a
//! line on stdin ("go") so the capture can be opened first and scoped to its pid, then issues
//! exact raw syscalls (through `libc::syscall`, so no libc wrapper picks another syscall), and
//! prints one JSON line of facts (paths, ports, child pids) that the expectations are built
//! from. A workload that fails, dies or hangs is a typed error, never a hang of the harness.
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A failure of a workload, reported with what it printed.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// It could not be started.
    #[error("cannot start workload {name}: {source}")]
    Spawn {
        /// Workload name.
        name: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// It exited with an error or was killed by a signal.
    #[error("workload {name} failed ({status}): {stderr}")]
    Failed {
        /// Workload name.
        name: String,
        /// Exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// It ran past its deadline and was killed.
    #[error("workload {name} did not finish within {secs} s and was killed")]
    Timeout {
        /// Workload name.
        name: String,
        /// The deadline.
        secs: u64,
    },
    /// Its facts line was not JSON.
    #[error("workload {name} printed no facts: {stdout:?}")]
    NoFacts {
        /// Workload name.
        name: String,
        /// What it printed.
        stdout: String,
    },
}

/// A workload child process, waiting for "go".
pub struct Workload {
    name: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

impl Workload {
    /// Starts `exe workload NAME DIR` (exe = the `sinspqa` binary); it waits for [`Workload::go`].
    pub fn spawn(exe: &Path, name: &str, dir: &Path) -> Result<Workload, WorkloadError> {
        let mut child = Command::new(exe)
            .arg("workload")
            .arg(name)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| WorkloadError::Spawn {
                name: name.into(),
                source,
            })?;
        let stdin = child.stdin.take();
        Ok(Workload {
            name: name.into(),
            child: Some(child),
            stdin,
        })
    }

    /// The workload's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Lets it run, waits at most `timeout` for it to finish, and returns its facts (with
    /// `"pid"` added). On timeout the child is killed and reaped.
    pub fn go(mut self, timeout: Duration) -> Result<Value, WorkloadError> {
        let name = self.name.clone();
        if let Some(mut s) = self.stdin.take() {
            let _ = s.write_all(b"go\n");
        }
        let mut child = self.child.take().expect("child");
        let pid = child.id();
        let deadline = Instant::now() + timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(WorkloadError::Timeout {
                        name,
                        secs: timeout.as_secs(),
                    });
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(WorkloadError::Spawn { name, source: e }),
            }
        };
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut o) = child.stdout.take() {
            let _ = o.read_to_string(&mut out);
        }
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        if !status.success() {
            return Err(WorkloadError::Failed {
                name,
                status: status.to_string(),
                stderr: err.trim().to_string(),
            });
        }
        let mut facts: Value = out
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| WorkloadError::NoFacts {
                name: name.clone(),
                stdout: out.clone(),
            })?;
        facts["pid"] = json!(pid);
        Ok(facts)
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ----- the child side -------------------------------------------------------------------------

use crate::scenarios::act::{cs, drop_to_nobody, execve, fork_and_wait, sys, wait4};

/// Runs scenario `name`'s action in this process (the `sinspqa workload` subcommand): waits
/// for "go" on stdin, acts, prints the facts as one JSON line.
pub fn run_child(name: &str, dir: &Path) -> Result<(), String> {
    let s = crate::scenarios::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = crate::scenarios::all().iter().map(|s| s.name).collect();
        format!("unknown workload {name:?}; known: {}", known.join(", "))
    })?;
    let mut line = String::new();
    BufReader::new(std::io::stdin())
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let facts = s.steps.act(dir)?;
    println!("{facts}");
    Ok(())
}

/// Runs the action of a legacy workload (see `crate::scenarios::legacy`) and returns its facts.
pub(crate) fn legacy_act(name: &str, dir: &Path) -> Result<Value, String> {
    let mut facts = match name {
        "exec" => exec()?,
        "shell" => shell()?,
        "db-spawn" => db_spawn(dir)?,
        "system-user-shell" => system_user_shell()?,
        "signals-memory" => signals_memory()?,
        "file-ops" => file_ops(dir)?,
        "binary-dir-write" => binary_dir_write()?,
        "binary-dir-modify" => binary_dir_modify()?,
        "sensitive-read" => sensitive_read()?,
        "pipes-dup" => pipes_dup()?,
        "tcp" => tcp()?,
        "udp" => udp()?,
        "unix" => unix(dir)?,
        "setuid-drop" => setuid_drop()?,
        "setuid-nonroot" => setuid_nonroot()?,
        "namespaces" => namespaces(dir)?,
        other => return Err(format!("unknown legacy workload {other:?}")),
    };
    // The workload's own command name: what its children see as proc.pname.
    facts["comm"] = json!(std::fs::read_to_string("/proc/self/comm")
        .unwrap_or_default()
        .trim());
    Ok(facts)
}

fn exec() -> Result<Value, String> {
    let child = fork_and_wait(|| execve("/bin/echo", &["echo", "sinspqa-exec", "second arg"]))?;
    Ok(json!({ "child": child }))
}

fn shell() -> Result<Value, String> {
    let child =
        fork_and_wait(|| execve("/bin/sh", &["sh", "-c", "/bin/true sinspqa-shell; exit 0"]))?;
    Ok(json!({ "child": child }))
}

fn db_spawn(dir: &Path) -> Result<Value, String> {
    // A "database server" (a copy of the shell named mysqld) spawning a process.
    let db = dir.join("mysqld");
    std::fs::copy("/bin/sh", &db).map_err(|e| e.to_string())?;
    let dbs = db.display().to_string();
    let child = fork_and_wait(|| execve(&dbs, &["mysqld", "-c", "/bin/ls / > /dev/null"]))?;
    Ok(json!({ "child": child, "db": dbs }))
}

fn system_user_shell() -> Result<Value, String> {
    let child = fork_and_wait(|| {
        drop_to_nobody()?;
        execve("/bin/sh", &["sh", "-c", "exit 0"])
    })?;
    Ok(json!({ "child": child, "uid": 65534 }))
}

fn signals_memory() -> Result<Value, String> {
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
    sys!("brk", libc::SYS_brk, 0usize)?;
    // Signals: a child that waits, killed with SIGTERM by kill(2).
    // SAFETY: the child only pauses (raw syscall) until killed.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        loop {
            // SAFETY: pause(2) has no arguments.
            unsafe { libc::syscall(libc::SYS_pause) };
        }
    }
    std::thread::sleep(Duration::from_millis(50));
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
    Ok(json!({ "killed": pid, "signal": libc::SIGTERM, "addr": addr, "len": len }))
}

fn file_ops(dir: &Path) -> Result<Value, String> {
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
    let s = |p: &PathBuf| p.display().to_string();
    Ok(json!({
        "f1": s(&f1), "f2": s(&f2), "f3": s(&f3), "s1": s(&s1), "d1": s(&d1),
        "dir": s(&dir.to_path_buf()), "overlay": on_overlayfs(dir)?,
    }))
}

/// Whether `dir` lives on an overlayfs (as in a container): the drivers then flag files opened
/// on its upper layer with FD_UPPER_LAYER.
fn on_overlayfs(dir: &Path) -> Result<bool, String> {
    const OVERLAYFS_SUPER_MAGIC: libc::c_long = 0x794c_7630;
    let c = cs(dir);
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return Err(format!(
            "statfs {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(st.f_type as libc::c_long == OVERLAYFS_SUPER_MAGIC)
}

fn binary_dir_write() -> Result<Value, String> {
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
    Ok(json!({ "path": p }))
}

fn binary_dir_modify() -> Result<Value, String> {
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
    Ok(json!({ "dir": d1, "renamed": d2 }))
}

fn sensitive_read() -> Result<Value, String> {
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
    Ok(json!({ "path": "/etc/shadow", "read": n }))
}

fn pipes_dup() -> Result<Value, String> {
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
    Ok(
        json!({ "read_fd": p[0], "write_fd": p[1], "dup": d1, "dup2": d2, "dup3": d3, "fcntl": d4, "len": msg.len() }),
    )
}

fn sockaddr_in(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
        },
        sin_zero: [0; 8],
    }
}

fn local_port(fd: libc::c_long) -> Result<u16, String> {
    let mut a = sockaddr_in(0);
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    sys!(
        "getsockname",
        libc::SYS_getsockname,
        fd,
        &mut a as *mut _,
        &mut len as *mut _
    )?;
    Ok(u16::from_be(a.sin_port))
}

fn tcp() -> Result<Value, String> {
    let sl = std::mem::size_of::<libc::sockaddr_in>();
    let srv = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0
    )?;
    let one: i32 = 1;
    sys!(
        "setsockopt",
        libc::SYS_setsockopt,
        srv,
        libc::SOL_SOCKET,
        libc::SO_REUSEADDR,
        &one as *const i32,
        4
    )?;
    let a = sockaddr_in(0);
    sys!("bind", libc::SYS_bind, srv, &a as *const _, sl)?;
    sys!("listen", libc::SYS_listen, srv, 8)?;
    let sport = local_port(srv)?;
    let cli = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0
    )?;
    let to = sockaddr_in(sport);
    sys!("connect", libc::SYS_connect, cli, &to as *const _, sl)?;
    let cport = local_port(cli)?;
    let conn = sys!(
        "accept4",
        libc::SYS_accept4,
        srv,
        std::ptr::null_mut::<libc::sockaddr>(),
        std::ptr::null_mut::<u32>(),
        libc::SOCK_CLOEXEC
    )?;
    let msg = b"hello over tcp";
    sys!(
        "sendto",
        libc::SYS_sendto,
        cli,
        msg.as_ptr(),
        msg.len(),
        0,
        std::ptr::null::<libc::sockaddr>(),
        0
    )?;
    let mut buf = [0u8; 64];
    let n = sys!(
        "recvfrom",
        libc::SYS_recvfrom,
        conn,
        buf.as_mut_ptr(),
        buf.len(),
        0,
        std::ptr::null_mut::<libc::sockaddr>(),
        std::ptr::null_mut::<u32>()
    )?;
    let mut v: i32 = 0;
    let mut vl: u32 = 4;
    sys!(
        "getsockopt",
        libc::SYS_getsockopt,
        cli,
        libc::SOL_SOCKET,
        libc::SO_ERROR,
        &mut v as *mut i32,
        &mut vl as *mut u32
    )?;
    sys!("shutdown", libc::SYS_shutdown, cli, libc::SHUT_WR)?;
    for fd in [conn, cli, srv] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(
        json!({ "server_port": sport, "client_port": cport, "sent": msg.len(), "received": n, "client_fd": cli, "conn_fd": conn }),
    )
}

fn udp() -> Result<Value, String> {
    let sl = std::mem::size_of::<libc::sockaddr_in>();
    let srv = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_DGRAM,
        0
    )?;
    let a = sockaddr_in(0);
    sys!("bind", libc::SYS_bind, srv, &a as *const _, sl)?;
    let sport = local_port(srv)?;
    let cli = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_DGRAM,
        0
    )?;
    let to = sockaddr_in(sport);
    let msg = b"hello over udp";
    sys!(
        "sendto",
        libc::SYS_sendto,
        cli,
        msg.as_ptr(),
        msg.len(),
        0,
        &to as *const _,
        sl
    )?;
    let cport = local_port(cli)?;
    let mut buf = [0u8; 64];
    let mut from = sockaddr_in(0);
    let mut fl = sl as u32;
    let n = sys!(
        "recvfrom",
        libc::SYS_recvfrom,
        srv,
        buf.as_mut_ptr(),
        buf.len(),
        0,
        &mut from as *mut _,
        &mut fl as *mut u32
    )?;
    for fd in [cli, srv] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(json!({ "server_port": sport, "client_port": cport, "sent": msg.len(), "received": n }))
}

fn unix(dir: &Path) -> Result<Value, String> {
    let mut sv = [0i32; 2];
    sys!(
        "socketpair",
        libc::SYS_socketpair,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0,
        sv.as_mut_ptr()
    )?;
    let msg = b"hello over a unix socketpair";
    let mut iov = libc::iovec {
        iov_base: msg.as_ptr() as *mut _,
        iov_len: msg.len(),
    };
    // SAFETY: msghdr is plain data; zeroed is a valid empty header.
    let mut mh: libc::msghdr = unsafe { std::mem::zeroed() };
    mh.msg_iov = &mut iov;
    mh.msg_iovlen = 1;
    sys!("sendmsg", libc::SYS_sendmsg, sv[0], &mh as *const _, 0)?;
    let mut buf = [0u8; 64];
    let mut riov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut _,
        iov_len: buf.len(),
    };
    // SAFETY: as above.
    let mut rh: libc::msghdr = unsafe { std::mem::zeroed() };
    rh.msg_iov = &mut riov;
    rh.msg_iovlen = 1;
    let n = sys!("recvmsg", libc::SYS_recvmsg, sv[1], &mut rh as *mut _, 0)?;
    // A named socket: bind, listen, connect.
    let path = dir.join("sinspqa.sock");
    // SAFETY: sockaddr_un is plain data.
    let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sa.sun_family = libc::AF_UNIX as u16;
    for (d, s) in sa
        .sun_path
        .iter_mut()
        .zip(path.display().to_string().bytes())
    {
        *d = s as libc::c_char;
    }
    let sl = std::mem::size_of::<libc::sockaddr_un>();
    let srv = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, srv, &sa as *const _, sl)?;
    sys!("listen", libc::SYS_listen, srv, 4)?;
    let cli = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("connect", libc::SYS_connect, cli, &sa as *const _, sl)?;
    for fd in [cli, srv, sv[0] as libc::c_long, sv[1] as libc::c_long] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(json!({ "pair": sv, "sent": msg.len(), "received": n, "path": path.display().to_string() }))
}

fn setuid_drop() -> Result<Value, String> {
    let child = fork_and_wait(|| {
        drop_to_nobody()?;
        // Now unprivileged: reading /etc/shadow must fail with EACCES.
        match sys!(
            "openat",
            libc::SYS_openat,
            libc::AT_FDCWD,
            c"/etc/shadow".as_ptr(),
            libc::O_RDONLY,
            0
        ) {
            Err(_) => Ok(()),
            Ok(_) => Err("nobody could open /etc/shadow".into()),
        }
    })?;
    Ok(json!({ "child": child, "uid": 65534, "gid": 65534 }))
}

fn setuid_nonroot() -> Result<Value, String> {
    let child = fork_and_wait(|| {
        sys!("setresgid", libc::SYS_setresgid, 65534, 65534, 65534)?;
        sys!("setresuid", libc::SYS_setresuid, 65534, 65534, 65534)?;
        // A non-root user trying to become root: EPERM.
        match sys!("setuid", libc::SYS_setuid, 0) {
            Err(_) => Ok(()),
            Ok(_) => Err("nobody became root".into()),
        }
    })?;
    Ok(json!({ "child": child }))
}

fn namespaces(dir: &Path) -> Result<Value, String> {
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).map_err(|e| e.to_string())?;
    let flags = libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWNET | libc::CLONE_NEWPID;
    sys!("unshare", libc::SYS_unshare, flags)?;
    let cm = cs(&mnt);
    // The first child in the new pid namespace is its pid 1: the harness's stand-in for a container.
    let child = fork_and_wait(|| {
        // Keep mounts private to this namespace before mounting anything.
        sys!(
            "mount",
            libc::SYS_mount,
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null::<u8>(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null::<u8>()
        )?;
        let host = b"sinspqa-ns";
        sys!(
            "sethostname",
            libc::SYS_sethostname,
            host.as_ptr(),
            host.len()
        )?;
        sys!(
            "mount",
            libc::SYS_mount,
            c"tmpfs".as_ptr(),
            cm.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            std::ptr::null::<u8>()
        )?;
        sys!("umount2", libc::SYS_umount2, cm.as_ptr(), 0)?;
        execve("/bin/true", &["true", "sinspqa-container"])
    })?;
    Ok(
        json!({ "child": child, "flags": flags, "mnt": mnt.display().to_string(), "hostname": "sinspqa-ns" }),
    )
}
