//! The scenarios written before scenarios had one file each: their actions are in
//! `crate::workload`, joined by the workload name, their facts untyped JSON. Being moved into
//! the area modules, one by one.
use super::{Area, Facts, Legacy, Scenario};

use crate::expect::{
    all_of, contains, eq, event, ge, gt, lt, none_of, one_of, present, regex, sequence,
};
use crate::expect::{EventMatcher, Expectation};

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

fn spawn_exec(f: &Facts) -> Expectation {
    let (w, c) = (f.pid() as i64, f.n("child"));
    Expectation::new(vec![
        all_of([
            ex("the workload forks the child", "clone", w).param("res", eq(c)),
            ex("the child returns from clone", "clone", c).param("res", eq(0)),
            ex("the child execs echo with its args", "execve", c)
                .param("res", eq(0))
                .field("proc.name", eq("echo"))
                .field("proc.exe", eq("echo"))
                .field("proc.exepath", eq(real("/bin/echo")))
                .field("proc.cmdline", eq("echo sinspqa-exec second arg"))
                .field("proc.ppid", eq(w))
                .field("proc.pname", eq(f.s("comm"))),
            ex("the workload reaps the child", "wait4", w),
        ]),
        sequence([
            ex("echo execs", "execve", c).param("res", eq(0)),
            ex("echo writes its args", "write", c)
                .param("res", eq(24))
                .field("fd.num", eq(1)),
            event("echo exits")
                .ty("procexit")
                .field("proc.pid", eq(c))
                .param("status", eq(0)),
        ]),
        none_of([ex("no failed exec", "execve", c).param("res", lt(0))]),
    ])
}

fn shell_spawn(f: &Facts) -> Expectation {
    let (w, c) = (f.pid() as i64, f.n("child"));
    Expectation::new(vec![
        sequence([
            ex("the shell starts", "execve", c)
                .field("proc.name", eq("sh"))
                .field("proc.pname", eq(f.s("comm")))
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
                .field("proc.pid", eq(c)),
        ]),
        all_of([ex("the workload reaps the shell", "wait4", w)]),
    ])
}

fn db_spawn(f: &Facts) -> Expectation {
    let c = f.n("child");
    Expectation::new(vec![sequence([
        ex("the database server starts", "execve", c)
            .field("proc.name", eq("mysqld"))
            .field("proc.exepath", eq(f.s("db"))),
        event("the database spawns a process")
            .ty("execve")
            .exit()
            .field("proc.name", eq("ls"))
            .field("proc.pname", eq("mysqld"))
            .field("proc.ppid", eq(c))
            .field("proc.cmdline", eq("ls /")),
    ])])
}

fn system_user_shell(f: &Facts) -> Expectation {
    let c = f.n("child");
    Expectation::new(vec![sequence([
        ex("the child becomes nobody", "setuid", c).param("res", eq(0)),
        ex("the system user starts a shell", "execve", c)
            .param("res", eq(0))
            .field("proc.name", eq("sh"))
            .field("user.uid", eq(65534))
            .field("group.gid", eq(65534)),
    ])])
}

fn signals_memory(f: &Facts) -> Expectation {
    let (w, k) = (f.pid() as i64, f.n("killed"));
    Expectation::new(vec![all_of([
        call("mmap of one anonymous page", "mmap", w).param("length", eq(f.n("len"))),
        ex("mmap returns the address", "mmap", w).param("res", eq(f.n("addr"))),
        call("mprotect of that page", "mprotect", w).param("addr", eq(f.n("addr"))),
        ex("mprotect succeeds", "mprotect", w).param("res", eq(0)),
        ex("munmap succeeds", "munmap", w).param("res", eq(0)),
        ex("brk answers", "brk", w).param("res", gt(0)),
        call("kill SIGTERM to the child", "kill", w)
            .param("pid", eq(k))
            .param("sig", eq(f.n("signal"))),
        ex("kill succeeds", "kill", w).param("res", eq(0)),
        // A fatal signal is delivered to the dying thread group as SIGKILL (kernel complete_signal()).
        event("the signal is delivered")
            .ty("signaldeliver")
            .param("dpid", eq(k))
            .param("sig", one_of([f.n("signal"), 9])),
        event("the child dies of SIGTERM")
            .ty("procexit")
            .field("proc.pid", eq(k))
            .param("sig", eq(f.n("signal"))),
        // pause(2) is a generic event in libs: type and thread only, no return value.
        call("the child pauses", "pause", k),
        ex("its pause is interrupted", "pause", k),
        ex("eventfd2", "eventfd2", w).param("res", ge(0)),
        ex("epoll_create1", "epoll_create1", w).param("res", ge(0)),
        ex("inotify_init1", "inotify_init1", w).param("res", ge(0)),
        ex("timerfd_create", "timerfd_create", w).param("res", ge(0)),
        ex("memfd_create", "memfd_create", w)
            .param("fd", ge(0))
            .param("name", eq("sinspqa-memfd")),
        ex("prlimit reads RLIMIT_NOFILE", "prlimit", w)
            .param("res", eq(0))
            .param("oldmax", gt(0)),
    ])])
}

fn file_ops(f: &Facts) -> Expectation {
    let w = f.pid() as i64;
    let (f1, f2, f3, s1, d1, dir) = (
        f.s("f1"),
        f.s("f2"),
        f.s("f3"),
        f.s("s1"),
        f.s("d1"),
        f.s("dir"),
    );
    // On an overlayfs (a container's root), a file created there is on the upper layer.
    let created_flags = if f.b("overlay") {
        "flags=[0-9]+\\(O_TRUNC\\|O_CREAT\\|O_WRONLY\\|O_F_CREATED\\|FD_UPPER_LAYER\\)"
    } else {
        "flags=[0-9]+\\(O_TRUNC\\|O_CREAT\\|O_WRONLY\\|O_F_CREATED\\)"
    };
    Expectation::new(vec![
        all_of([
            ex("create f1", "openat", w)
                .field("fd.name", eq(f1.as_str()))
                .param("fd", ge(0))
                .field("evt.args", regex(created_flags)),
            ex("write f1", "write", w)
                .field("fd.name", eq(f1.as_str()))
                .param("res", eq(18)),
            ex("pwrite f1", "pwrite", w)
                .field("fd.name", eq(f1.as_str()))
                .param("res", eq(18)),
            ex("writev f1", "writev", w)
                .field("fd.name", eq(f1.as_str()))
                .param("res", eq(18)),
            // Generic events in libs: no fd parameter, so no fd.* fields.
            ex("ftruncate", "ftruncate", w),
            ex("fsync", "fsync", w),
            ex("flock f1", "flock", w)
                .param("res", eq(0))
                .field("fd.name", eq(f1.as_str())),
            ex("read f1", "read", w)
                .field("fd.name", eq(f1.as_str()))
                .param("res", eq(16)),
            ex("lseek f1", "lseek", w).param("res", eq(0)),
            ex("pread f1", "pread", w)
                .param("res", eq(8))
                .param("pos", eq(4)),
            ex("readv f1", "readv", w).param("res", eq(8)),
            ex("rename f1 to f2", "renameat2", w)
                .param("res", eq(0))
                .param("oldpath", eq(f1.as_str()))
                .param("newpath", eq(f2.as_str())),
            ex("hard link f3", "linkat", w)
                .param("res", eq(0))
                .param("newpath", eq(f3.as_str())),
            ex("symlink s1", "symlinkat", w)
                .param("res", eq(0))
                .param("target", eq(f2.as_str()))
                .param("linkpath", eq(s1.as_str())),
            ex("chmod f2", "fchmodat", w)
                .param("res", eq(0))
                .param("filename", eq(f2.as_str()))
                .param("mode", eq(0o600)),
            ex("mkdir d1", "mkdirat", w)
                .param("res", eq(0))
                .param("path", eq(d1.as_str())),
            ex("fchdir into d1", "fchdir", w).param("res", eq(0)),
            ex("chdir back", "chdir", w)
                .param("res", eq(0))
                .param("path", eq(dir.as_str())),
            ex("unlink f3", "unlinkat", w)
                .param("res", eq(0))
                .param("name", eq(f3.as_str())),
            ex("rmdir d1", "unlinkat", w)
                .param("res", eq(0))
                .param("name", eq(d1.as_str()))
                .field("evt.args", contains("AT_REMOVEDIR")),
        ]),
        sequence([
            ex("create", "openat", w).field("fd.name", eq(f1.as_str())),
            ex("then write", "write", w).field("fd.name", eq(f1.as_str())),
            ex("then close", "close", w).param("res", eq(0)),
            ex("then rename", "renameat2", w),
            ex("then unlink", "unlinkat", w).param("name", eq(f3.as_str())),
        ]),
    ])
}

fn binary_dir_write(f: &Facts) -> Expectation {
    let (w, p) = (f.pid() as i64, f.s("path"));
    Expectation::new(vec![sequence([
        ex("a file is created below /usr/local/bin", "openat", w)
            .field("fd.name", eq(p.as_str()))
            .field("fd.directory", eq("/usr/local/bin"))
            .field("evt.args", contains("O_CREAT"))
            .param("fd", ge(0)),
        ex("it is written", "write", w)
            .field("fd.name", eq(p.as_str()))
            .param("res", eq(10)),
        ex("it is removed", "unlinkat", w)
            .param("name", eq(p.as_str()))
            .param("res", eq(0)),
    ])])
}

fn binary_dir_modify(f: &Facts) -> Expectation {
    let (w, d, r) = (f.pid() as i64, f.s("dir"), f.s("renamed"));
    Expectation::new(vec![sequence([
        ex("a directory is made below /usr/local/bin", "mkdirat", w)
            .param("path", eq(d.as_str()))
            .param("res", eq(0)),
        ex("it is renamed", "renameat2", w)
            .param("oldpath", eq(d.as_str()))
            .param("newpath", eq(r.as_str()))
            .param("res", eq(0)),
        ex("it is removed", "unlinkat", w)
            .param("name", eq(r.as_str()))
            .param("res", eq(0)),
    ])])
}

fn sensitive_read(f: &Facts) -> Expectation {
    let w = f.pid() as i64;
    Expectation::new(vec![sequence([
        ex("/etc/shadow is opened", "openat", w)
            .field("fd.name", eq("/etc/shadow"))
            .field("fd.type", eq("file"))
            .field("user.uid", eq(0))
            .param("fd", ge(0)),
        ex("it is read", "read", w)
            .field("fd.name", eq("/etc/shadow"))
            .param("res", eq(f.n("read"))),
        ex("it is closed", "close", w).param("res", eq(0)),
    ])])
}

fn pipes_dup(f: &Facts) -> Expectation {
    let w = f.pid() as i64;
    let len = f.n("len");
    Expectation::new(vec![all_of([
        ex("pipe2", "pipe2", w)
            .param("res", eq(0))
            .param("fd1", eq(f.n("read_fd")))
            .param("fd2", eq(f.n("write_fd"))),
        ex("write into the pipe", "write", w)
            .field("fd.type", eq("pipe"))
            .field("fd.num", eq(f.n("write_fd")))
            .param("res", eq(len)),
        ex("read from the pipe", "read", w)
            .field("fd.type", eq("pipe"))
            .field("fd.num", eq(f.n("read_fd")))
            .param("res", eq(len)),
        ex("dup", "dup", w)
            .param("res", eq(f.n("dup")))
            .param("oldfd", eq(f.n("read_fd"))),
        ex("dup2", "dup2", w)
            .param("res", eq(f.n("dup2")))
            .param("newfd", eq(f.n("dup2"))),
        ex("dup3", "dup3", w)
            .param("res", eq(f.n("dup3")))
            .param("newfd", eq(f.n("dup3"))),
        ex("fcntl F_DUPFD_CLOEXEC", "fcntl", w).param("res", eq(f.n("fcntl"))),
    ])])
}

fn tcp(f: &Facts) -> Expectation {
    let w = f.pid() as i64;
    let (sp, cp) = (f.n("server_port"), f.n("client_port"));
    let conn = format!("127.0.0.1:{cp}->127.0.0.1:{sp}");
    let tcp_fields = |m: EventMatcher| {
        m.field("fd.name", eq(conn.as_str()))
            .field("fd.l4proto", eq("tcp"))
            .field("fd.sip", eq("127.0.0.1"))
            .field("fd.sport", eq(sp))
            .field("fd.cip", eq("127.0.0.1"))
            .field("fd.cport", eq(cp))
    };
    Expectation::new(vec![
        sequence([
            ex("the server socket", "socket", w)
                .param("fd", ge(0))
                .field("evt.args", contains("AF_INET")),
            ex("SO_REUSEADDR", "setsockopt", w).param("res", eq(0)),
            ex("bind to 127.0.0.1:0", "bind", w)
                .param("res", eq(0))
                .field("fd.name", eq("127.0.0.1:0")),
            ex("listen", "listen", w)
                .param("res", eq(0))
                .param("backlog", eq(8)),
            tcp_fields(ex("the client connects", "connect", w)).param("res", eq(0)),
            tcp_fields(ex("the server accepts", "accept4", w)).param("fd", ge(0)),
            tcp_fields(ex("the client sends", "sendto", w)).param("res", eq(f.n("sent"))),
            tcp_fields(ex("the server receives", "recvfrom", w)).param("res", eq(f.n("received"))),
            tcp_fields(ex("the client shuts down writes", "shutdown", w)).param("res", eq(0)),
        ]),
        all_of([
            ex("getsockname", "getsockname", w),
            ex("getsockopt SO_ERROR", "getsockopt", w).param("res", eq(0)),
            call("close the client", "close", w).param("fd", eq(f.n("client_fd"))),
            call("close the accepted connection", "close", w).param("fd", eq(f.n("conn_fd"))),
        ]),
    ])
}

fn udp(f: &Facts) -> Expectation {
    let w = f.pid() as i64;
    let (sp, cp) = (f.n("server_port"), f.n("client_port"));
    Expectation::new(vec![sequence([
        ex("a UDP socket", "socket", w)
            .param("fd", ge(0))
            .field("evt.args", contains("AF_INET")),
        ex("bind", "bind", w).param("res", eq(0)),
        call("sendto the server", "sendto", w).param("tuple", contains(format!("\"port\":{sp}"))),
        ex("sent", "sendto", w)
            .param("res", eq(f.n("sent")))
            .field("fd.l4proto", eq("udp")),
        ex("the server receives from the client", "recvfrom", w)
            .param("res", eq(f.n("received")))
            .field("fd.l4proto", eq("udp"))
            .field(
                "evt.args",
                contains(format!("127.0.0.1:{cp}->127.0.0.1:{sp}")),
            ),
    ])])
}

fn unix(f: &Facts) -> Expectation {
    let w = f.pid() as i64;
    let path = f.s("path");
    Expectation::new(vec![all_of([
        ex("socketpair", "socketpair", w)
            .param("res", eq(0))
            .field("evt.args", contains("fd1=")),
        ex("sendmsg on the pair", "sendmsg", w)
            .param("res", eq(f.n("sent")))
            .field("fd.type", eq("unix")),
        ex("recvmsg on the pair", "recvmsg", w)
            .param("res", eq(f.n("received")))
            .field("fd.type", eq("unix")),
        ex("bind the named socket", "bind", w)
            .param("res", eq(0))
            .field("evt.args", contains(path.as_str())),
        ex("listen on it", "listen", w).param("res", eq(0)),
        ex("connect to it", "connect", w)
            .param("res", eq(0))
            .field("fd.type", eq("unix"))
            .field("fd.name", contains(path.as_str())),
    ])])
}

fn setuid_drop(f: &Facts) -> Expectation {
    let c = f.n("child");
    Expectation::new(vec![sequence([
        ex("drop supplementary groups", "setgroups", c),
        call("setgid nobody", "setgid", c).param("gid", eq(65534)),
        ex("setgid succeeds", "setgid", c).param("res", eq(0)),
        call("setuid nobody", "setuid", c).param("uid", eq(65534)),
        ex("setuid succeeds", "setuid", c)
            .param("res", eq(0))
            .field("user.uid", eq(65534)),
        ex("nobody cannot open /etc/shadow", "openat", c)
            .param("fd", eq(-13))
            .param("name", eq("/etc/shadow"))
            .field("user.uid", eq(65534))
            .field("evt.res", eq("EACCES")),
    ])])
}

fn setuid_nonroot(f: &Facts) -> Expectation {
    let c = f.n("child");
    Expectation::new(vec![sequence([
        call("setresgid nobody", "setresgid", c)
            .param("rgid", eq(65534))
            .param("egid", eq(65534)),
        call("setresuid nobody", "setresuid", c)
            .param("ruid", eq(65534))
            .param("euid", eq(65534)),
        ex("setresuid succeeds", "setresuid", c).param("res", eq(0)),
        call("a non-root user asks for uid 0", "setuid", c)
            .param("uid", eq(0))
            .field("user.uid", eq(65534)),
        ex("and is refused", "setuid", c)
            .param("res", eq(-1))
            .field("evt.res", eq("EPERM")),
    ])])
}

fn namespaces(f: &Facts) -> Expectation {
    let (w, c) = (f.pid() as i64, f.n("child"));
    let mnt = f.s("mnt");
    Expectation::new(vec![
        sequence([
            call("unshare mount, uts, net and pid namespaces", "unshare", w)
                .param("flags", present())
                .field("evt.args", contains("CLONE_NEWNS"))
                .field("evt.args", contains("CLONE_NEWPID"))
                .field("evt.args", contains("CLONE_NEWNET"))
                .field("evt.args", contains("CLONE_NEWUTS")),
            ex("unshare succeeds", "unshare", w).param("res", eq(0)),
            ex("the first child is pid 1 of the new namespace", "clone", c)
                .param("res", eq(0))
                .field("proc.vpid", eq(1)),
            ex("it sets a hostname", "sethostname", c),
            ex("it mounts a tmpfs", "mount", c)
                .param("res", eq(0))
                .param("dev", eq("tmpfs"))
                .param("dir", eq(mnt.as_str()))
                .param("type", eq("tmpfs")),
            ex("and unmounts it", "umount2", c)
                .param("res", eq(0))
                .param("name", eq(mnt.as_str())),
            ex("it execs like a container's init", "execve", c)
                .param("res", eq(0))
                .field("proc.name", eq("true"))
                .field("proc.vpid", eq(1))
                .field("proc.pid", one_of([c]))
                .field("proc.cmdline", eq("true sinspqa-container")),
        ]),
        none_of([event("the host-side pid is never 1")
            .field("proc.pid", eq(1))
            .field("proc.ppid", eq(w))]),
    ])
}

/// Every scenario, in matrix order.
/// The legacy scenarios, in the registry's order.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "spawn_exec_with_args",
        area: Area::Process,
        description: "a process forks a child that execs echo with args",
        steps: &Legacy {
            workload: "exec",
            expect: spawn_exec,
        },
    },
    Scenario {
        name: "untrusted_shell",
        area: Area::Process,
        description: "a program spawns sh -c, which spawns a command",
        steps: &Legacy {
            workload: "shell",
            expect: shell_spawn,
        },
    },
    Scenario {
        name: "db_program_spawns_process",
        area: Area::Process,
        description: "a program named mysqld spawns ls",
        steps: &Legacy {
            workload: "db-spawn",
            expect: db_spawn,
        },
    },
    Scenario {
        name: "system_user_interactive",
        area: Area::Process,
        description: "a system user (nobody) starts a shell",
        steps: &Legacy {
            workload: "system-user-shell",
            expect: system_user_shell,
        },
    },
    Scenario {
        name: "signals_memory_fds",
        area: Area::Process,
        description: "mmap/mprotect/munmap/brk, kill + signal delivery, special fds",
        steps: &Legacy {
            workload: "signals-memory",
            expect: signals_memory,
        },
    },
    Scenario {
        name: "file_operations",
        area: Area::File,
        description: "create/write/read/rename/link/symlink/chmod/mkdir/unlink under a temp dir",
        steps: &Legacy {
            workload: "file-ops",
            expect: file_ops,
        },
    },
    Scenario {
        name: "write_below_binary_dir",
        area: Area::File,
        description: "a file is written below /usr/local/bin",
        steps: &Legacy {
            workload: "binary-dir-write",
            expect: binary_dir_write,
        },
    },
    Scenario {
        name: "modify_binary_dirs",
        area: Area::File,
        description: "a directory is made, renamed and removed below /usr/local/bin",
        steps: &Legacy {
            workload: "binary-dir-modify",
            expect: binary_dir_modify,
        },
    },
    Scenario {
        name: "read_sensitive_file",
        area: Area::File,
        description: "/etc/shadow is opened and read",
        steps: &Legacy {
            workload: "sensitive-read",
            expect: sensitive_read,
        },
    },
    Scenario {
        name: "pipes_and_dup",
        area: Area::File,
        description: "a pipe is written and read; fds are duplicated",
        steps: &Legacy {
            workload: "pipes-dup",
            expect: pipes_dup,
        },
    },
    Scenario {
        name: "tcp_client_server",
        area: Area::Network,
        description: "TCP connect/accept/send/recv on 127.0.0.1",
        steps: &Legacy {
            workload: "tcp",
            expect: tcp,
        },
    },
    Scenario {
        name: "udp_client_server",
        area: Area::Network,
        description: "UDP sendto/recvfrom on 127.0.0.1",
        steps: &Legacy {
            workload: "udp",
            expect: udp,
        },
    },
    Scenario {
        name: "unix_sockets",
        area: Area::Network,
        description: "an AF_UNIX socketpair and a named unix socket",
        steps: &Legacy {
            workload: "unix",
            expect: unix,
        },
    },
    Scenario {
        name: "drop_privileges",
        area: Area::Privileges,
        description: "root drops to nobody, then cannot read /etc/shadow",
        steps: &Legacy {
            workload: "setuid-drop",
            expect: setuid_drop,
        },
    },
    Scenario {
        name: "non_root_setuid",
        area: Area::Privileges,
        description: "a non-root user tries setuid(0) and is refused",
        steps: &Legacy {
            workload: "setuid-nonroot",
            expect: setuid_nonroot,
        },
    },
    Scenario {
        name: "container_like_process",
        area: Area::Namespaces,
        description: "new pid/mount/net/uts namespaces: pid 1 inside, mounts, hostname",
        steps: &Legacy {
            workload: "namespaces",
            expect: namespaces,
        },
    },
];
