//! Scenarios of memory, IPC, time, modules, mounts and other system calls.
use super::prelude::*;
use crate::expect::Pred;

/// A page: the length of the mappings below.
const PAGE: i64 = 4096;

/// libs' `ppm_sc_code`s of the calls that come as the generic "syscall" event (stable across
/// libs versions: `PPM_SC_X(...)` in `driver/ppm_events_public.h`).
mod ppm_sc {
    pub const GETTIMEOFDAY: i64 = 47;
    pub const UNAME: i64 = 67;
    pub const CLOCK_GETTIME: i64 = 176;
    pub const KEYCTL: i64 = 191;
    pub const GETCPU: i64 = 217;
    pub const FSOPEN: i64 = 338;
}

/// Both predicates.
fn both(a: Pred, b: Pred) -> Pred {
    Pred::All(vec![a, b])
}

/// What /proc/self/status says of the memory of this process, in kB (what drivers report as
/// `vm_size`, `vm_rss` and `vm_swap`).
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
pub struct Vm {
    /// VmSize (`mm->total_vm`).
    pub size: i64,
    /// VmRSS.
    pub rss: i64,
    /// VmSwap.
    pub swap: i64,
}

/// Reads /proc/self/status with raw syscalls into `buf` (allocated before the call measured, so
/// the read itself maps nothing), then parses it.
pub(super) fn vm_now(buf: &mut [u8]) -> Result<Vm, String> {
    let path = c"/proc/self/status";
    let fd = sys!(
        "open status",
        libc::SYS_openat,
        libc::AT_FDCWD,
        path.as_ptr(),
        libc::O_RDONLY
    )?;
    let mut n = 0usize;
    loop {
        let r = sys!(
            "read status",
            libc::SYS_read,
            fd,
            buf[n..].as_mut_ptr(),
            buf.len() - n
        )?;
        if r == 0 || n + r as usize >= buf.len() {
            n += r as usize;
            break;
        }
        n += r as usize;
    }
    sys!("close status", libc::SYS_close, fd)?;
    let text = String::from_utf8_lossy(&buf[..n]);
    let kb = |key: &str| -> Result<i64, String> {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("/proc/self/status without {key}"))
    };
    Ok(Vm {
        size: kb("VmSize:")?,
        rss: kb("VmRSS:")?,
        swap: kb("VmSwap:")?,
    })
}

/// The memory params of an mmap/munmap/brk exit event against what /proc said right after the
/// call: `vm_size` exactly (nothing maps between the call and the read), `vm_rss` positive and
/// at most what /proc said later (pages only fault in between), `vm_swap` exactly.
fn vm_params(m: EventMatcher, vm: &Vm) -> EventMatcher {
    m.param("vm_size", eq(vm.size))
        .param("vm_rss", both(gt(0), le(vm.rss)))
        .param("vm_swap", eq(vm.swap))
}

/// `fd.name == path` on the exit event of a call that takes an fd, where libs resolves it: from
/// libs 0.22, whose exit events carry the fd. Up to 0.21 the fd is in the enter event (mmap) or
/// in no event libsinsp reads it from (finit_module, whose enter event is empty), and the exit
/// event's fd.name is empty.
fn fd_name(m: EventMatcher, path: &str) -> EventMatcher {
    if crate::event::exits_carry_enter_params() {
        m.field("fd.name", eq(path))
    } else {
        m
    }
}

// ----- memory maps -----------------------------------------------------------------------------

/// What `memory_maps` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct MapsFacts {
    /// The anonymous mapping (mmap's result).
    pub anon: i64,
    /// Memory right after it.
    pub anon_vm: Vm,
    /// The file mapped.
    pub path: String,
    /// Its fd.
    pub fd: i64,
    /// The file mapping.
    pub file: i64,
    /// Memory right after it.
    pub file_vm: Vm,
    /// mmap of fd -1 without MAP_ANONYMOUS (-EBADF).
    pub mmap_bad: i64,
    /// mprotect of an unaligned address (-EINVAL).
    pub mprotect_bad: i64,
    /// munmap of the anonymous mapping: memory right after it.
    pub munmap_vm: Vm,
    /// munmap of an unaligned address (-EINVAL).
    pub munmap_bad: i64,
    /// brk(0): the current break.
    pub brk0: i64,
    /// brk(brk0 + 4 pages): the new break.
    pub brk_grown: i64,
    /// Memory right after it.
    pub brk_vm: Vm,
    /// brk(1): refused, the break stays.
    pub brk_refused: i64,
}

fn maps_act(dir: &Path) -> Result<MapsFacts, String> {
    let mut buf = vec![0u8; 16384];
    let mut f = MapsFacts::default();
    let prot_rw = libc::PROT_READ | libc::PROT_WRITE;
    let anon_flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    f.anon = sys!(
        "mmap anonymous",
        libc::SYS_mmap,
        0usize,
        PAGE,
        prot_rw,
        anon_flags,
        -1,
        0
    )?;
    f.anon_vm = vm_now(&mut buf)?;

    let path = dir.join("mapped");
    let p = cs(&path);
    f.path = path.display().to_string();
    let fd = sys!(
        "create the file",
        libc::SYS_openat,
        libc::AT_FDCWD,
        p.as_ptr(),
        libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC,
        0o600
    )?;
    let page = vec![b'm'; PAGE as usize];
    sys!("fill it", libc::SYS_write, fd, page.as_ptr(), page.len())?;
    f.fd = fd;
    f.file = sys!(
        "mmap the file",
        libc::SYS_mmap,
        0usize,
        PAGE,
        libc::PROT_READ,
        libc::MAP_SHARED,
        fd,
        0
    )?;
    f.file_vm = vm_now(&mut buf)?;
    f.mmap_bad = sys_fail!(
        "mmap of fd -1",
        libc::SYS_mmap,
        0usize,
        PAGE,
        libc::PROT_READ,
        libc::MAP_PRIVATE,
        -1,
        0
    )?;

    sys!(
        "mprotect",
        libc::SYS_mprotect,
        f.anon,
        PAGE,
        libc::PROT_READ
    )?;
    f.mprotect_bad = sys_fail!(
        "mprotect unaligned",
        libc::SYS_mprotect,
        1usize,
        PAGE,
        libc::PROT_READ | libc::PROT_EXEC
    )?;

    sys!("munmap the file", libc::SYS_munmap, f.file, PAGE)?;
    sys!("munmap anonymous", libc::SYS_munmap, f.anon, PAGE)?;
    f.munmap_vm = vm_now(&mut buf)?;
    f.munmap_bad = sys_fail!("munmap unaligned", libc::SYS_munmap, 1usize, PAGE)?;
    sys!("close", libc::SYS_close, fd)?;

    f.brk0 = sys!("brk(0)", libc::SYS_brk, 0usize)?;
    f.brk_grown = sys!("brk grow", libc::SYS_brk, f.brk0 + 4 * PAGE)?;
    f.brk_vm = vm_now(&mut buf)?;
    // brk cannot fail: a refused break (here below the data segment) returns the current one
    f.brk_refused = sys!("brk(1)", libc::SYS_brk, 1usize)?;
    sys!("brk back", libc::SYS_brk, f.brk0)?;
    if f.brk_grown != f.brk0 + 4 * PAGE || f.brk_refused != f.brk_grown {
        return Err(format!("unexpected breaks: {f:?}"));
    }
    Ok(f)
}

fn maps_expect(f: &MapsFacts, pid: i64) -> Expectation {
    let mmap = |name: &str| syscall(name, "mmap", pid);
    Expectation::new(vec![sequence([
        vm_params(mmap("mmap of an anonymous page"), &f.anon_vm)
            .param("res", eq(f.anon))
            .param("addr", eq(0))
            .param("length", eq(PAGE))
            .flags("prot", &["PROT_READ", "PROT_WRITE"])
            .flags("flags", &["MAP_PRIVATE", "MAP_ANONYMOUS"])
            .param("fd", eq(-1))
            .param("offset", eq(0)),
        fd_name(
            vm_params(mmap("mmap of a file, shared"), &f.file_vm),
            &f.path,
        )
        .param("res", eq(f.file))
        .param("addr", eq(0))
        .param("length", eq(PAGE))
        .flags("prot", &["PROT_READ"])
        .flags("flags", &["MAP_SHARED"])
        .param("fd", eq(f.fd))
        .param("offset", eq(0)),
        mmap("mmap of fd -1 without MAP_ANONYMOUS fails")
            .param("res", eq(f.mmap_bad))
            .param("vm_size", gt(0))
            .param("vm_rss", gt(0))
            .param("vm_swap", ge(0))
            .param("addr", eq(0))
            .param("length", eq(PAGE))
            .flags("prot", &["PROT_READ"])
            .flags("flags", &["MAP_PRIVATE"])
            .param("fd", eq(-1))
            .param("offset", eq(0)),
        syscall("mprotect the anonymous page read-only", "mprotect", pid)
            .param("res", eq(0))
            .param("addr", eq(f.anon))
            .param("length", eq(PAGE))
            .flags("prot", &["PROT_READ"]),
        syscall("mprotect of an unaligned address fails", "mprotect", pid)
            .param("res", eq(f.mprotect_bad))
            .param("addr", eq(1))
            .param("length", eq(PAGE))
            .flags("prot", &["PROT_READ", "PROT_EXEC"]),
        vm_params(
            syscall("munmap of the anonymous page", "munmap", pid),
            &f.munmap_vm,
        )
        .param("res", eq(0))
        .param("addr", eq(f.anon))
        .param("length", eq(PAGE)),
        syscall("munmap of an unaligned address fails", "munmap", pid)
            .param("res", eq(f.munmap_bad))
            .param("vm_size", gt(0))
            .param("vm_rss", gt(0))
            .param("vm_swap", ge(0))
            .param("addr", eq(1))
            .param("length", eq(PAGE)),
        syscall("brk(0) reads the break", "brk", pid)
            .param("res", eq(f.brk0))
            .param("addr", eq(0))
            .param("vm_size", gt(0))
            .param("vm_rss", gt(0))
            .param("vm_swap", ge(0)),
        vm_params(syscall("brk grows the heap", "brk", pid), &f.brk_vm)
            .param("res", eq(f.brk_grown))
            .param("addr", eq(f.brk0 + 4 * PAGE)),
        syscall("brk(1) is refused: the break stays", "brk", pid)
            .param("res", eq(f.brk_refused))
            .param("addr", eq(1))
            .param("vm_size", eq(f.brk_vm.size))
            .param("vm_rss", gt(0))
            .param("vm_swap", ge(0)),
    ])])
}

// ----- memory locks ----------------------------------------------------------------------------

/// What `memory_locks` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LocksFacts {
    /// The anonymous page locked and unlocked.
    pub addr: i64,
    /// mlock of address 0 (-ENOMEM: not mapped).
    pub mlock_bad: i64,
    /// mlock2 of address 0, MLOCK_ONFAULT (-ENOMEM).
    pub mlock2_bad: i64,
    /// munlock of address 0 (-ENOMEM).
    pub munlock_bad: i64,
    /// mlockall(0) (-EINVAL: no flag).
    pub mlockall_bad: i64,
}

fn locks_act(_dir: &Path) -> Result<LocksFacts, String> {
    let mut f = LocksFacts {
        addr: sys!(
            "mmap",
            libc::SYS_mmap,
            0usize,
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0
        )?,
        ..Default::default()
    };
    sys!("mlock", libc::SYS_mlock, f.addr, PAGE)?;
    f.mlock_bad = sys_fail!("mlock of 0", libc::SYS_mlock, 0usize, PAGE)?;
    sys!("munlock", libc::SYS_munlock, f.addr, PAGE)?;
    f.munlock_bad = sys_fail!("munlock of 0", libc::SYS_munlock, 0usize, 37)?;
    sys!(
        "mlock2",
        libc::SYS_mlock2,
        f.addr,
        PAGE,
        libc::MLOCK_ONFAULT
    )?;
    f.mlock2_bad = sys_fail!(
        "mlock2 of 0",
        libc::SYS_mlock2,
        0usize,
        4,
        libc::MLOCK_ONFAULT
    )?;
    sys!(
        "mlockall",
        libc::SYS_mlockall,
        libc::MCL_FUTURE | libc::MCL_ONFAULT
    )?;
    f.mlockall_bad = sys_fail!("mlockall(0)", libc::SYS_mlockall, 0)?;
    sys!("munlockall", libc::SYS_munlockall)?;
    sys!("munmap", libc::SYS_munmap, f.addr, PAGE)?;
    Ok(f)
}

fn locks_expect(f: &LocksFacts, pid: i64) -> Expectation {
    Expectation::new(vec![sequence([
        syscall("mlock of a page", "mlock", pid)
            .param("res", eq(0))
            .param("addr", eq(f.addr))
            .param("len", eq(PAGE)),
        syscall("mlock of an unmapped address fails", "mlock", pid)
            .param("res", eq(f.mlock_bad))
            .param("addr", eq(0))
            .param("len", eq(PAGE)),
        syscall("munlock of the page", "munlock", pid)
            .param("res", eq(0))
            .param("addr", eq(f.addr))
            .param("len", eq(PAGE)),
        syscall("munlock of an unmapped address fails", "munlock", pid)
            .param("res", eq(f.munlock_bad))
            .param("addr", eq(0))
            .param("len", eq(37)),
        syscall("mlock2 of the page on fault", "mlock2", pid)
            .param("res", eq(0))
            .param("addr", eq(f.addr))
            .param("len", eq(PAGE))
            .flags("flags", &["MLOCK_ONFAULT"]),
        syscall("mlock2 of an unmapped address fails", "mlock2", pid)
            .param("res", eq(f.mlock2_bad))
            .param("addr", eq(0))
            .param("len", eq(4))
            .flags("flags", &["MLOCK_ONFAULT"]),
        syscall("mlockall of future pages on fault", "mlockall", pid)
            .param("res", eq(0))
            .flags("flags", &["MCL_FUTURE", "MCL_ONFAULT"]),
        syscall("mlockall without a flag fails", "mlockall", pid)
            .param("res", eq(f.mlockall_bad))
            .param("flags", eq(0)),
        syscall("munlockall", "munlockall", pid).param("res", eq(0)),
    ])])
}

// ----- System V semaphores ---------------------------------------------------------------------

/// What `sysv_semaphores` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SemFacts {
    /// The semaphore set (semget's result).
    pub semid: i64,
    /// semget with nsems -1 (-EINVAL).
    pub semget_bad: i64,
    /// semop on semid -1 (-EINVAL).
    pub semop_bad: i64,
    /// semop of one operation claiming (size_t)-1 (-E2BIG).
    pub semop_nsops_bad: i64,
    /// semctl GETVAL of semaphore 1 (its value).
    pub getval: i64,
    /// semctl SETVAL on semid -1 (-EINVAL).
    pub semctl_bad: i64,
}

fn sem_act(_dir: &Path) -> Result<SemFacts, String> {
    let mut f = SemFacts {
        semid: sys!(
            "semget",
            libc::SYS_semget,
            libc::IPC_PRIVATE,
            2,
            libc::IPC_CREAT | 0o600
        )?,
        ..Default::default()
    };
    f.semget_bad = sys_fail!(
        "semget nsems -1",
        libc::SYS_semget,
        libc::IPC_PRIVATE,
        -1,
        libc::IPC_CREAT
    )?;
    let ops = [
        libc::sembuf {
            sem_num: 0,
            sem_op: 3,
            sem_flg: libc::SEM_UNDO as i16,
        },
        libc::sembuf {
            sem_num: 1,
            sem_op: 7,
            sem_flg: libc::IPC_NOWAIT as i16,
        },
    ];
    sys!("semop", libc::SYS_semop, f.semid, ops.as_ptr(), 2usize)?;
    f.semop_bad = sys_fail!("semop semid -1", libc::SYS_semop, -1, ops.as_ptr(), 1usize)?;
    // the drivers must not read operations past the one there (libs' semopX_wrong_nops)
    f.semop_nsops_bad = sys_fail!(
        "semop of (size_t)-1 operations",
        libc::SYS_semop,
        f.semid,
        ops.as_ptr(),
        usize::MAX
    )?;
    sys!(
        "semctl SETVAL",
        libc::SYS_semctl,
        f.semid,
        1,
        libc::SETVAL,
        5
    )?;
    f.getval = sys!(
        "semctl GETVAL",
        libc::SYS_semctl,
        f.semid,
        1,
        libc::GETVAL,
        0
    )?;
    f.semctl_bad = sys_fail!("semctl semid -1", libc::SYS_semctl, -1, 0, libc::SETVAL, 1)?;
    sys!(
        "semctl IPC_RMID",
        libc::SYS_semctl,
        f.semid,
        0,
        libc::IPC_RMID,
        0
    )?;
    if f.getval != 5 {
        return Err(format!("GETVAL read {} after SETVAL 5", f.getval));
    }
    Ok(f)
}

fn sem_expect(f: &SemFacts, pid: i64) -> Expectation {
    let semop = |name: &str, res: i64, semid: i64| {
        syscall(name, "semop", pid)
            .param("res", eq(res))
            .param("semid", eq(semid))
    };
    let semctl = |name: &str| syscall(name, "semctl", pid);
    Expectation::new(vec![sequence([
        syscall("semget creates a private set of 2", "semget", pid)
            .param("res", eq(f.semid))
            .param("key", eq(0))
            .param("nsems", eq(2))
            .flags("semflg", &["IPC_CREAT"]),
        syscall("semget of -1 semaphores fails", "semget", pid)
            .param("res", eq(f.semget_bad))
            .param("key", eq(0))
            .param("nsems", eq(-1))
            .flags("semflg", &["IPC_CREAT"]),
        semop("semop of two operations", 0, f.semid)
            .param("nsops", eq(2))
            .param("sem_num_0", eq(0))
            .param("sem_op_0", eq(3))
            .flags("sem_flg_0", &["SEM_UNDO"])
            .param("sem_num_1", eq(1))
            .param("sem_op_1", eq(7))
            .flags("sem_flg_1", &["IPC_NOWAIT"]),
        // on failure the drivers send no operation (libs' semopX_wrong_nops)
        semop("semop on semid -1 fails", f.semop_bad, -1)
            .param("nsops", eq(1))
            .param("sem_num_0", eq(0))
            .param("sem_op_0", eq(0))
            .param("sem_flg_0", eq(0))
            .param("sem_num_1", eq(0))
            .param("sem_op_1", eq(0))
            .param("sem_flg_1", eq(0)),
        semop(
            "semop of (size_t)-1 operations fails",
            f.semop_nsops_bad,
            f.semid,
        )
        .param("nsops", eq(u32::MAX))
        .param("sem_num_0", eq(0))
        .param("sem_op_0", eq(0))
        .param("sem_flg_0", eq(0))
        .param("sem_num_1", eq(0))
        .param("sem_op_1", eq(0))
        .param("sem_flg_1", eq(0)),
        semctl("semctl SETVAL 5")
            .param("res", eq(0))
            .param("semid", eq(f.semid))
            .param("semnum", eq(1))
            .flags("cmd", &["SETVAL"])
            .param("val", eq(5)),
        // val is only read for SETVAL
        semctl("semctl GETVAL reads 5")
            .param("res", eq(f.getval))
            .param("semid", eq(f.semid))
            .param("semnum", eq(1))
            .flags("cmd", &["GETVAL"])
            .param("val", eq(0)),
        semctl("semctl on semid -1 fails")
            .param("res", eq(f.semctl_bad))
            .param("semid", eq(-1))
            .param("semnum", eq(0))
            .flags("cmd", &["SETVAL"])
            .param("val", eq(1)),
        semctl("semctl IPC_RMID removes the set")
            .param("res", eq(0))
            .param("semid", eq(f.semid))
            .param("semnum", eq(0))
            .flags("cmd", &["IPC_RMID"])
            .param("val", eq(0)),
    ])])
}

// ----- keys and bpf ----------------------------------------------------------------------------

/// A PT_DYN param as the drivers encode it: the index of its type, then the value.
fn dyn_i64(v: i64) -> Pred {
    let mut b = vec![0u8]; // PPM_KEYCTL_IDX_INT64
    b.extend(v.to_le_bytes());
    eq(serde_json::to_value(b).unwrap_or_default())
}

/// What `keys_bpf_modules` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct KeysFacts {
    /// keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING): the keyring's serial.
    pub keyring: i64,
    /// keyctl of operation -3 (-EOPNOTSUPP).
    pub keyctl_bad: i64,
    /// bpf(BPF_MAP_CREATE) of a one-entry array: the map's fd.
    pub map_fd: i64,
    /// bpf(BPF_MAP_CREATE) of an array of 0 entries (-EINVAL).
    pub bpf_bad: i64,
    /// bpf of command -1 (-EINVAL).
    pub bpf_bad_cmd: i64,
    /// init_module of an image that is no module (-ENOEXEC; -ENOSYS where the kernel has no
    /// module support).
    pub init_module_bad: i64,
    /// The regular file given to finit_module.
    pub path: String,
    /// Its fd.
    pub fd: i64,
    /// finit_module of that file (-ENOEXEC, or -ENOSYS).
    pub finit_module_bad: i64,
    /// delete_module of a module not loaded (-ENOENT, or -ENOSYS).
    pub delete_module_bad: i64,
}

/// The image given to init_module: not a module.
const NOT_A_MODULE: &[u8; 16] = b"not a module....";

/// `union bpf_attr` for BPF_MAP_CREATE: map_type, key_size, value_size, max_entries, then zeros.
fn map_attr(max_entries: u32) -> [u32; 16] {
    let mut a = [0u32; 16];
    a[..4].copy_from_slice(&[2 /* BPF_MAP_TYPE_ARRAY */, 4, 4, max_entries]);
    a
}

fn keys_act(dir: &Path) -> Result<KeysFacts, String> {
    // KEYCTL_GET_KEYRING_ID = 0, KEY_SPEC_USER_KEYRING = -4
    let mut f = KeysFacts {
        keyring: sys!("keyctl GET_KEYRING_ID", libc::SYS_keyctl, 0, -4i64, 0, 0, 0)?,
        ..Default::default()
    };
    f.keyctl_bad = sys_fail!("keyctl -3", libc::SYS_keyctl, -3, 47, 0, 0, 0)?;
    let attr = map_attr(1);
    f.map_fd = sys!(
        "bpf BPF_MAP_CREATE",
        libc::SYS_bpf,
        0,
        attr.as_ptr(),
        std::mem::size_of_val(&attr)
    )?;
    let bad = map_attr(0);
    f.bpf_bad = sys_fail!(
        "bpf BPF_MAP_CREATE of 0 entries",
        libc::SYS_bpf,
        0,
        bad.as_ptr(),
        std::mem::size_of_val(&bad)
    )?;
    sys!("close the map", libc::SYS_close, f.map_fd)?;
    f.bpf_bad_cmd = sys_fail!("bpf of command -1", libc::SYS_bpf, -1, 0usize, 0)?;

    f.init_module_bad = sys_fail!(
        "init_module",
        libc::SYS_init_module,
        NOT_A_MODULE.as_ptr(),
        NOT_A_MODULE.len(),
        c"x=1".as_ptr()
    )?;
    let path = dir.join("not-a-module.ko");
    std::fs::write(&path, NOT_A_MODULE).map_err(|e| format!("{}: {e}", path.display()))?;
    f.path = path.display().to_string();
    let p = cs(&path);
    f.fd = sys!(
        "open the file",
        libc::SYS_openat,
        libc::AT_FDCWD,
        p.as_ptr(),
        libc::O_RDONLY | libc::O_CLOEXEC
    )?;
    f.finit_module_bad = sys_fail!(
        "finit_module",
        libc::SYS_finit_module,
        f.fd,
        c"y=2".as_ptr(),
        1 // MODULE_INIT_IGNORE_MODVERSIONS
    )?;
    sys!("close the file", libc::SYS_close, f.fd)?;
    f.delete_module_bad = sys_fail!(
        "delete_module",
        libc::SYS_delete_module,
        c"sinspqa_no_such_module".as_ptr(),
        libc::O_NONBLOCK | libc::O_TRUNC
    )?;
    Ok(f)
}

fn keys_expect(f: &KeysFacts, pid: i64) -> Expectation {
    let keyctl = |name: &str, res: i64| {
        // keyctl has no event of its own in libs 0.20.0 (0.25.4 has one): there it is the
        // generic event
        syscall(name, "keyctl", pid)
            .param("res", eq(res))
            .param("ID", eq(ppm_sc::KEYCTL))
            .param("nativeID", eq(libc::SYS_keyctl))
    };
    Expectation::new(vec![sequence([
        keyctl("keyctl GET_KEYRING_ID of the user keyring", f.keyring)
            .flags("operation", &["KEYCTL_GET_KEYRING_ID"])
            .param("arg2", dyn_i64(-4))
            .param("arg3", dyn_i64(0))
            .param("arg4", dyn_i64(0))
            .param("arg5", dyn_i64(0)),
        // an unknown operation: its raw value, and no argument read
        keyctl("keyctl of an unknown operation fails", f.keyctl_bad)
            .param("operation", eq(-3i32 as u32))
            .param("arg2", dyn_i64(0))
            .param("arg3", dyn_i64(0))
            .param("arg4", dyn_i64(0))
            .param("arg5", dyn_i64(0)),
        syscall("bpf creates an array map", "bpf", pid)
            .param("fd", eq(f.map_fd))
            .flags("cmd", &["BPF_MAP_CREATE"])
            .field("fd.num", eq(f.map_fd))
            .field("fd.typechar", eq("b")),
        syscall("bpf of a map of 0 entries fails", "bpf", pid)
            .param("fd", eq(f.bpf_bad))
            .flags("cmd", &["BPF_MAP_CREATE"]),
        syscall("bpf of command -1 fails", "bpf", pid)
            .param("fd", eq(f.bpf_bad_cmd))
            // the raw command: PT_INT64 in the enter event of libs 0.20 (-1), PT_ENUMFLAGS32 in
            // the exit event (its u32 value, as libs' bpfX_invalid_cmd asserts)
            .param("cmd", one_of([-1i64, u32::MAX as i64])),
        syscall(
            "init_module of an image that is no module fails",
            "init_module",
            pid,
        )
        .param("res", eq(f.init_module_bad))
        .param(
            "img",
            eq(serde_json::to_value(NOT_A_MODULE).unwrap_or_default()),
        )
        .param("length", eq(NOT_A_MODULE.len() as i64))
        .param("uargs", eq("x=1")),
        fd_name(
            syscall("finit_module of a regular file fails", "finit_module", pid),
            &f.path,
        )
        .param("res", eq(f.finit_module_bad))
        .param("fd", eq(f.fd))
        .param("uargs", eq("y=2"))
        .flags("flags", &["MODULE_INIT_IGNORE_MODVERSIONS"]),
        syscall(
            "delete_module of a module not loaded fails",
            "delete_module",
            pid,
        )
        .param("res", eq(f.delete_module_bad))
        .param("name", eq("sinspqa_no_such_module"))
        .flags("flags", &["O_NONBLOCK", "O_TRUNC"]),
    ])])
}

// ----- mounts ----------------------------------------------------------------------------------

/// What `mounts` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct MountFacts {
    /// The forked child that unshared its mount namespace and mounted in it.
    pub child: i64,
    /// The mount point (in the temp dir).
    pub mnt: String,
    /// umount2 of the mount point once unmounted (-EINVAL: not a mount point).
    pub umount2_bad: i64,
    /// mount of an unknown file system type (-ENODEV).
    pub mount_bad: i64,
    /// fsopen("tmpfs"): the file system context fd.
    pub fs_fd: i64,
    /// fsopen of an unknown file system type (-ENODEV).
    pub fsopen_bad: i64,
    /// fsconfig of an unknown key (-EINVAL).
    pub fsconfig_bad: i64,
}

// <linux/mount.h>
const FSOPEN_CLOEXEC: i64 = 1;
const FSCONFIG_SET_STRING: i64 = 1;

fn mount_act(dir: &Path) -> Result<MountFacts, String> {
    let mut f = MountFacts::default();
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).map_err(|e| format!("mkdir {}: {e}", mnt.display()))?;
    f.mnt = mnt.display().to_string();
    let m = cs(&mnt);
    // the child's errnos come back through a shared page
    let shared = sys!(
        "mmap a shared page",
        libc::SYS_mmap,
        0usize,
        PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED | libc::MAP_ANONYMOUS,
        -1,
        0
    )? as *mut i64;
    f.child = fork_and_wait(|| {
        sys!("unshare", libc::SYS_unshare, libc::CLONE_NEWNS)?;
        sys!(
            "make / private",
            libc::SYS_mount,
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null::<libc::c_char>(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null::<libc::c_void>()
        )?;
        sys!(
            "mount tmpfs",
            libc::SYS_mount,
            c"sinspqa".as_ptr(),
            m.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            c"size=1m".as_ptr()
        )?;
        sys!("umount2", libc::SYS_umount2, m.as_ptr(), libc::MNT_DETACH)?;
        let umount2_bad = sys_fail!("umount2 again", libc::SYS_umount2, m.as_ptr(), 0)?;
        let mount_bad = sys_fail!(
            "mount nosuchfs",
            libc::SYS_mount,
            c"sinspqa".as_ptr(),
            m.as_ptr(),
            c"nosuchfs".as_ptr(),
            libc::MS_RDONLY,
            std::ptr::null::<libc::c_void>()
        )?;
        // SAFETY: `shared` is a live shared page of 512 i64s.
        unsafe {
            *shared = umount2_bad;
            *shared.add(1) = mount_bad;
        }
        Ok(())
    })? as i64;
    // SAFETY: as above; the child has exited.
    unsafe {
        f.umount2_bad = *shared;
        f.mount_bad = *shared.add(1);
    }
    sys!("munmap", libc::SYS_munmap, shared as usize, PAGE)?;

    f.fs_fd = sys!(
        "fsopen tmpfs",
        libc::SYS_fsopen,
        c"tmpfs".as_ptr(),
        FSOPEN_CLOEXEC
    )?;
    f.fsopen_bad = sys_fail!(
        "fsopen nosuchfs",
        libc::SYS_fsopen,
        c"nosuchfs".as_ptr(),
        FSOPEN_CLOEXEC
    )?;
    sys!(
        "fsconfig size",
        libc::SYS_fsconfig,
        f.fs_fd,
        FSCONFIG_SET_STRING,
        c"size".as_ptr(),
        c"1m".as_ptr(),
        0
    )?;
    f.fsconfig_bad = sys_fail!(
        "fsconfig nosuchkey",
        libc::SYS_fsconfig,
        f.fs_fd,
        FSCONFIG_SET_STRING,
        c"nosuchkey".as_ptr(),
        c"x".as_ptr(),
        0
    )?;
    sys!("close", libc::SYS_close, f.fs_fd)?;
    Ok(f)
}

fn mount_expect(f: &MountFacts, pid: i64) -> Expectation {
    let child = f.child;
    let mnt = f.mnt.as_str();
    let fsopen = |name: &str| {
        // fsopen has no event of its own: the generic event, which carries no result
        syscall(name, "fsopen", pid)
            .param("ID", eq(ppm_sc::FSOPEN))
            .param("nativeID", eq(libc::SYS_fsopen))
    };
    Expectation::new(vec![sequence([
        syscall("mount makes / private in the new namespace", "mount", child)
            .param("res", eq(0))
            .param("dev", eq("none"))
            .param("dir", eq("/"))
            // a NULL string: an empty param, which libsinsp shows as "<NA>"
            .param("type", eq("<NA>"))
            .flags("flags", &["REC", "PRIVATE"]),
        syscall("mount of a tmpfs", "mount", child)
            .param("res", eq(0))
            .param("dev", eq("sinspqa"))
            .param("dir", eq(mnt))
            .param("type", eq("tmpfs"))
            .flags("flags", &["NOSUID", "NODEV"]),
        syscall("umount2 detaches it", "umount2", child)
            .param("res", eq(0))
            .param("name", eq(mnt))
            .flags("flags", &["DETACH"]),
        syscall("umount2 of a directory not mounted fails", "umount2", child)
            .param("res", eq(f.umount2_bad))
            .param("name", eq(mnt))
            .param("flags", eq(0)),
        syscall("mount of an unknown file system type fails", "mount", child)
            .param("res", eq(f.mount_bad))
            .param("dev", eq("sinspqa"))
            .param("dir", eq(mnt))
            .param("type", eq("nosuchfs"))
            .flags("flags", &["RDONLY"]),
        fsopen("fsopen of tmpfs"),
        fsopen("fsopen of an unknown file system type (fails)"),
        syscall("fsconfig sets the size", "fsconfig", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fs_fd))
            .flags("cmd", &["FSCONFIG_SET_STRING"])
            .param("key", eq("size"))
            .param("value_bytebuf", absent())
            .param("value_charbuf", eq("1m"))
            .param("aux", eq(0)),
        // on failure the drivers send no value
        syscall("fsconfig of an unknown key fails", "fsconfig", pid)
            .param("res", eq(f.fsconfig_bad))
            .param("fd", eq(f.fs_fd))
            .flags("cmd", &["FSCONFIG_SET_STRING"])
            .param("key", eq("nosuchkey"))
            .param("value_bytebuf", absent())
            .param("value_charbuf", eq("<NA>"))
            .param("aux", eq(0)),
    ])])
}

// ----- time, cpu, futex ------------------------------------------------------------------------

/// What `time_and_cpu` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TimeFacts {
    /// nanosleep with tv_nsec = 10^9 (-EINVAL).
    pub nanosleep_bad: i64,
    /// The futex word's address.
    pub word: i64,
    /// futex FUTEX_WAKE on an unaligned address (-EINVAL).
    pub futex_bad: i64,
}

fn time_act(_dir: &Path) -> Result<TimeFacts, String> {
    let mut f = TimeFacts::default();
    // SAFETY: a zeroed utsname is a valid out-buffer.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    sys!("uname", libc::SYS_uname, &mut uts as *mut libc::utsname)?;
    sys_fail!("uname EFAULT", libc::SYS_uname, BAD_PTR)?;
    let tiny = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1000,
    };
    sys!(
        "nanosleep",
        libc::SYS_nanosleep,
        &tiny as *const libc::timespec,
        0usize
    )?;
    let bad = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000,
    };
    f.nanosleep_bad = sys_fail!(
        "nanosleep tv_nsec 10^9",
        libc::SYS_nanosleep,
        &bad as *const libc::timespec,
        0usize
    )?;
    let mut ts = tiny;
    sys!(
        "clock_gettime",
        libc::SYS_clock_gettime,
        libc::CLOCK_MONOTONIC,
        &mut ts as *mut libc::timespec
    )?;
    sys_fail!(
        "clock_gettime of clock 12345",
        libc::SYS_clock_gettime,
        12345,
        &mut ts as *mut libc::timespec
    )?;
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    sys!(
        "gettimeofday",
        libc::SYS_gettimeofday,
        &mut tv as *mut libc::timeval,
        0usize
    )?;
    sys_fail!(
        "gettimeofday EFAULT",
        libc::SYS_gettimeofday,
        BAD_PTR,
        0usize
    )?;
    let (mut cpu, mut node) = (0u32, 0u32);
    sys!(
        "getcpu",
        libc::SYS_getcpu,
        &mut cpu as *mut u32,
        &mut node as *mut u32,
        0usize
    )?;
    sys_fail!("getcpu EFAULT", libc::SYS_getcpu, BAD_PTR, 0usize, 0usize)?;
    let word = [0u32; 2];
    f.word = word.as_ptr() as i64;
    sys!(
        "futex FUTEX_WAKE",
        libc::SYS_futex,
        f.word,
        libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
        1,
        0usize,
        0usize,
        0
    )?;
    f.futex_bad = sys_fail!(
        "futex FUTEX_WAKE unaligned",
        libc::SYS_futex,
        f.word + 1,
        libc::FUTEX_WAKE,
        1,
        0usize,
        0usize,
        0
    )?;
    Ok(f)
}

fn time_expect(f: &TimeFacts, pid: i64) -> Expectation {
    // calls without an event of their own: the generic event, which carries no result (the
    // failures are in the sequence, indistinguishable from the successes but by their order)
    let generic = |name: &str, ty: &str, id: i64, nr: i64| {
        syscall(name, ty, pid)
            .param("ID", eq(id))
            .param("nativeID", eq(nr))
    };
    Expectation::new(vec![sequence([
        generic("uname", "uname", ppm_sc::UNAME, libc::SYS_uname),
        generic(
            "uname to a bad pointer (fails)",
            "uname",
            ppm_sc::UNAME,
            libc::SYS_uname,
        ),
        syscall("nanosleep of 1 µs", "nanosleep", pid)
            .param("res", eq(0))
            .param("interval", eq(1000)),
        syscall("nanosleep of tv_nsec 10^9 fails", "nanosleep", pid)
            .param("res", eq(f.nanosleep_bad))
            .param("interval", eq(1_000_000_000)),
        generic(
            "clock_gettime",
            "clock_gettime",
            ppm_sc::CLOCK_GETTIME,
            libc::SYS_clock_gettime,
        ),
        generic(
            "clock_gettime of an unknown clock (fails)",
            "clock_gettime",
            ppm_sc::CLOCK_GETTIME,
            libc::SYS_clock_gettime,
        ),
        generic(
            "gettimeofday",
            "gettimeofday",
            ppm_sc::GETTIMEOFDAY,
            libc::SYS_gettimeofday,
        ),
        generic(
            "gettimeofday to a bad pointer (fails)",
            "gettimeofday",
            ppm_sc::GETTIMEOFDAY,
            libc::SYS_gettimeofday,
        ),
        generic("getcpu", "getcpu", ppm_sc::GETCPU, libc::SYS_getcpu),
        generic(
            "getcpu to a bad pointer (fails)",
            "getcpu",
            ppm_sc::GETCPU,
            libc::SYS_getcpu,
        ),
        syscall("futex FUTEX_WAKE of a private word", "futex", pid)
            .param("res", eq(0))
            .param("addr", eq(f.word))
            .flags("op", &["FUTEX_WAKE", "FUTEX_PRIVATE_FLAG"])
            .param("val", eq(1)),
        syscall(
            "futex FUTEX_WAKE of an unaligned address fails",
            "futex",
            pid,
        )
        .param("res", eq(f.futex_bad))
        .param("addr", eq(f.word + 1))
        .flags("op", &["FUTEX_WAKE"])
        .param("val", eq(1)),
    ])])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "memory_maps",
        area: Area::System,
        description: "mmap (anonymous, file-backed, fd -1), mprotect, munmap and brk, with their \
                      failures and the memory params checked against /proc/self/status",
        steps: &Typed {
            act: maps_act,
            expect: maps_expect,
        },
    },
    Scenario {
        name: "memory_locks",
        area: Area::System,
        description: "mlock, mlock2, munlock, mlockall and munlockall, with ENOMEM/EINVAL failures",
        steps: &Typed {
            act: locks_act,
            expect: locks_expect,
        },
    },
    Scenario {
        name: "sysv_semaphores",
        area: Area::System,
        description: "semget, semop (two operations) and semctl SETVAL/GETVAL/IPC_RMID, with \
                      EINVAL failures",
        steps: &Typed {
            act: sem_act,
            expect: sem_expect,
        },
    },
    Scenario {
        name: "keys_bpf_modules",
        area: Area::System,
        description: "keyctl GET_KEYRING_ID and an unknown operation, bpf BPF_MAP_CREATE and its \
                      EINVAL, and failing init_module, finit_module and delete_module",
        steps: &Typed {
            act: keys_act,
            expect: keys_expect,
        },
    },
    Scenario {
        name: "mounts",
        area: Area::System,
        description: "in a child in its own mount namespace: mount of a tmpfs, umount2, and their \
                      failures; fsopen and fsconfig",
        steps: &Typed {
            act: mount_act,
            expect: mount_expect,
        },
    },
    Scenario {
        name: "time_and_cpu",
        area: Area::System,
        description: "uname, nanosleep, clock_gettime, gettimeofday, getcpu and futex FUTEX_WAKE, \
                      each with a failure",
        steps: &Typed {
            act: time_act,
            expect: time_expect,
        },
    },
];
