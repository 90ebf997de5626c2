//! Scenarios of users and groups: root dropping to nobody, nobody failing to become root.
use super::act::drop_to_nobody;
use super::prelude::*;

/// `(uid_t)-1` / `(gid_t)-1` as the drivers report a PT_UID/PT_GID param: unsigned.
const ID_MINUS_1: i64 = u32::MAX as i64;
/// The uid and gid of nobody.
const NOBODY: i64 = 65534;

/// What a scenario whose child changes its credentials did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CredFacts {
    /// The child's pid.
    pub child: i64,
}

/// A raw syscall that must fail with `errno` (in the forked child, which cannot return facts).
macro_rules! fail_with {
    ($what:expr, $errno:expr, $nr:expr $(, $a:expr)* $(,)?) => {{
        let r = sys_fail!($what, $nr $(, $a)*)?;
        if r != -($errno as i64) {
            return Err(format!("{}: failed with {r}, not -{}", $what, $errno));
        }
    }};
}

fn setuid_drop_act(_dir: &Path) -> Result<CredFacts, String> {
    let child = fork_and_wait(|| {
        // Invalid ids, refused even to root.
        fail_with!("setgid(-1)", libc::EINVAL, libc::SYS_setgid, -1);
        fail_with!("setuid(-1)", libc::EINVAL, libc::SYS_setuid, -1);
        // The path in a page the child just wrote (a string literal's page may not be resident
        // yet: libs 0.20's enter event, read before the kernel faults it in, shows `<NA>`).
        let shadow = cs("/etc/shadow");
        drop_to_nobody()?;
        // Now unprivileged: reading /etc/shadow must fail with EACCES.
        fail_with!(
            "openat /etc/shadow as nobody",
            libc::EACCES,
            libc::SYS_openat,
            libc::AT_FDCWD,
            shadow.as_ptr(),
            libc::O_RDONLY,
            0
        );
        Ok(())
    })?;
    Ok(CredFacts {
        child: child as i64,
    })
}

fn setuid_drop_expect(f: &CredFacts, _w: i64) -> Expectation {
    let c = f.child;
    Expectation::new(vec![sequence([
        syscall("root cannot setgid(-1)", "setgid", c)
            .param("res", eq(-libc::EINVAL))
            .param("gid", eq(ID_MINUS_1))
            .field("group.gid", eq(0)),
        syscall("root cannot setuid(-1)", "setuid", c)
            .param("res", eq(-libc::EINVAL))
            .param("uid", eq(ID_MINUS_1))
            .field("user.uid", eq(0)),
        // setgroups has no event of its own: the generic event, with the native syscall number.
        syscall("drop supplementary groups", "setgroups", c)
            .param("nativeID", eq(libc::SYS_setgroups))
            .unchecked("ID", "libs code"),
        syscall("setgid nobody", "setgid", c)
            .param("res", eq(0))
            .param("gid", eq(NOBODY))
            .field("group.gid", eq(NOBODY)),
        syscall("setuid nobody", "setuid", c)
            .param("res", eq(0))
            .param("uid", eq(NOBODY))
            .field("user.uid", eq(NOBODY)),
        syscall("nobody cannot open /etc/shadow", "openat", c)
            .param("fd", eq(-libc::EACCES))
            .param("dirfd", eq(-100))
            .param("name", eq("/etc/shadow"))
            .flags("flags", &["O_RDONLY"])
            .param("mode", eq(0))
            .param("dev", eq(0))
            .param("ino", eq(0))
            .field("user.uid", eq(NOBODY))
            .field("group.gid", eq(NOBODY))
            .field("evt.res", eq("EACCES")),
    ])])
}

fn setuid_nonroot_act(_dir: &Path) -> Result<CredFacts, String> {
    let child = fork_and_wait(|| {
        sys!("setresgid", libc::SYS_setresgid, NOBODY, NOBODY, NOBODY)?;
        sys!("setresuid", libc::SYS_setresuid, NOBODY, NOBODY, NOBODY)?;
        // A non-root user trying to become root: EPERM, each way.
        fail_with!(
            "setresgid(0) as nobody",
            libc::EPERM,
            libc::SYS_setresgid,
            0,
            0,
            0
        );
        fail_with!(
            "setresuid(0) as nobody",
            libc::EPERM,
            libc::SYS_setresuid,
            0,
            0,
            0
        );
        fail_with!("setuid(0) as nobody", libc::EPERM, libc::SYS_setuid, 0);
        Ok(())
    })?;
    Ok(CredFacts {
        child: child as i64,
    })
}

fn setuid_nonroot_expect(f: &CredFacts, _w: i64) -> Expectation {
    let c = f.child;
    Expectation::new(vec![sequence([
        syscall("setresgid nobody", "setresgid", c)
            .param("res", eq(0))
            .param("rgid", eq(NOBODY))
            .param("egid", eq(NOBODY))
            .param("sgid", eq(NOBODY))
            .field("group.gid", eq(NOBODY)),
        syscall("setresuid nobody", "setresuid", c)
            .param("res", eq(0))
            .param("ruid", eq(NOBODY))
            .param("euid", eq(NOBODY))
            .param("suid", eq(NOBODY))
            .field("user.uid", eq(NOBODY)),
        syscall("nobody cannot setresgid to root", "setresgid", c)
            .param("res", eq(-libc::EPERM))
            .param("rgid", eq(0))
            .param("egid", eq(0))
            .param("sgid", eq(0))
            .field("group.gid", eq(NOBODY)),
        syscall("nobody cannot setresuid to root", "setresuid", c)
            .param("res", eq(-libc::EPERM))
            .param("ruid", eq(0))
            .param("euid", eq(0))
            .param("suid", eq(0))
            .field("user.uid", eq(NOBODY)),
        syscall("a non-root user asks for uid 0 and is refused", "setuid", c)
            .param("res", eq(-libc::EPERM))
            .param("uid", eq(0))
            .field("user.uid", eq(NOBODY))
            .field("evt.res", eq("EPERM")),
    ])])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "drop_privileges",
        area: Area::Privileges,
        description: "root drops to nobody, then cannot read /etc/shadow",
        steps: &Typed {
            act: setuid_drop_act,
            expect: setuid_drop_expect,
        },
    },
    Scenario {
        name: "non_root_setuid",
        area: Area::Privileges,
        description: "a non-root user tries setuid(0) and is refused",
        steps: &Typed {
            act: setuid_nonroot_act,
            expect: setuid_nonroot_expect,
        },
    },
];
