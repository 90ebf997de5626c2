//! Scenarios of namespaces: new pid/mount/net/uts namespaces, the harness's stand-in for a
//! container.
use super::act::execve;
use super::prelude::*;

/// The call `ty` by `pid`, in whichever event this libs' table puts the params named after it.
fn call(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).field("proc.pid", eq(pid)).call()
}

fn ex(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).exit().field("proc.pid", eq(pid))
}

/// What `container_like_process` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct NsFacts {
    /// The first child in the new pid namespace (host-side pid).
    pub child: i64,
    /// unshare's flags.
    pub flags: i64,
    /// The mount point of the tmpfs.
    pub mnt: String,
    /// The hostname set.
    pub hostname: String,
}

fn ns_act(dir: &Path) -> Result<NsFacts, String> {
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
        // Nothing mounted there any more: EINVAL.
        let r = sys_fail!("umount2 of a non-mount", libc::SYS_umount2, cm.as_ptr(), 0)?;
        if r != -(libc::EINVAL as i64) {
            return Err(format!("umount2 of a non-mount: {r}, not -EINVAL"));
        }
        execve("/bin/true", &["true", "sinspqa-container"])
    })?;
    Ok(NsFacts {
        child: child as i64,
        flags: flags as i64,
        mnt: mnt.display().to_string(),
        hostname: "sinspqa-ns".into(),
    })
}

fn ns_expect(f: &NsFacts, w: i64) -> Expectation {
    let c = f.child;
    let mnt = f.mnt.as_str();
    Expectation::new(vec![
        sequence([
            syscall("unshare mount, uts, net and pid namespaces", "unshare", w)
                .param("res", eq(0))
                .flags(
                    "flags",
                    &[
                        "CLONE_NEWNS",
                        "CLONE_NEWUTS",
                        "CLONE_NEWNET",
                        "CLONE_NEWPID",
                    ],
                ),
            ex("the first child is pid 1 of the new namespace", "clone", c)
                .param("res", eq(0))
                .field("proc.vpid", eq(1)),
            syscall("it makes / private", "mount", c)
                .param("res", eq(0))
                .param("dev", eq("none"))
                .param("dir", eq("/"))
                .param("type", eq("<NA>"))
                .flags("flags", &["REC", "PRIVATE"]),
            // sethostname has no event of its own: the generic event.
            syscall("it sets a hostname", "sethostname", c)
                .param("nativeID", eq(libc::SYS_sethostname))
                .unchecked("ID", "libs code"),
            syscall("it mounts a tmpfs", "mount", c)
                .param("res", eq(0))
                .param("dev", eq("tmpfs"))
                .param("dir", eq(mnt))
                .param("type", eq("tmpfs"))
                .param("flags", eq(0)),
            syscall("and unmounts it", "umount2", c)
                .param("res", eq(0))
                .param("name", eq(mnt))
                .param("flags", eq(0)),
            syscall("unmounting it again fails", "umount2", c)
                .param("res", eq(-libc::EINVAL))
                .param("name", eq(mnt))
                .param("flags", eq(0)),
            ex("it execs like a container's init", "execve", c)
                .param("res", eq(0))
                .field("proc.name", eq("true"))
                .field("proc.vpid", eq(1))
                .field("proc.pid", one_of([c]))
                .field("proc.cmdline", eq("true sinspqa-container")),
        ]),
        // The flags as libsinsp renders them, on whichever event carries them.
        all_of([call("unshare's flags by name", "unshare", w)
            .param("flags", present())
            .field("evt.args", contains("CLONE_NEWNS"))
            .field("evt.args", contains("CLONE_NEWPID"))
            .field("evt.args", contains("CLONE_NEWNET"))
            .field("evt.args", contains("CLONE_NEWUTS"))]),
        none_of([event("the host-side pid is never 1")
            .field("proc.pid", eq(1))
            .field("proc.ppid", eq(w))]),
    ])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "container_like_process",
    area: Area::Namespaces,
    description: "new pid/mount/net/uts namespaces: pid 1 inside, mounts, hostname",
    steps: &Typed {
        act: ns_act,
        expect: ns_expect,
    },
}];
