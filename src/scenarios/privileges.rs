//! Scenarios of users and groups: root dropping to nobody, nobody failing to become root.
use super::act::drop_to_nobody;
use super::prelude::*;

fn ex(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).exit().field("proc.pid", eq(pid))
}

/// The call `ty` by `pid`, in whichever event this libs' table puts the params named after it.
fn call(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).field("proc.pid", eq(pid)).call()
}

/// What a scenario whose child changes its credentials did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CredFacts {
    /// The child's pid.
    pub child: i64,
}

fn setuid_drop_act(_dir: &Path) -> Result<CredFacts, String> {
    let child = fork_and_wait(|| {
        drop_to_nobody()?;
        // Now unprivileged: reading /etc/shadow must fail with EACCES.
        sys_fail!(
            "openat /etc/shadow as nobody",
            libc::SYS_openat,
            libc::AT_FDCWD,
            c"/etc/shadow".as_ptr(),
            libc::O_RDONLY,
            0
        )?;
        Ok(())
    })?;
    Ok(CredFacts {
        child: child as i64,
    })
}

fn setuid_drop_expect(f: &CredFacts, _w: i64) -> Expectation {
    let c = f.child;
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

fn setuid_nonroot_act(_dir: &Path) -> Result<CredFacts, String> {
    let child = fork_and_wait(|| {
        sys!("setresgid", libc::SYS_setresgid, 65534, 65534, 65534)?;
        sys!("setresuid", libc::SYS_setresuid, 65534, 65534, 65534)?;
        // A non-root user trying to become root: EPERM.
        sys_fail!("setuid(0) as nobody", libc::SYS_setuid, 0)?;
        Ok(())
    })?;
    Ok(CredFacts {
        child: child as i64,
    })
}

fn setuid_nonroot_expect(f: &CredFacts, _w: i64) -> Expectation {
    let c = f.child;
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
