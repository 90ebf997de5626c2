//! Scenarios of the ia32 paths: 32-bit system calls (`int $0x80`, through the kernel's IA32
//! emulation) issued by the 64-bit workload, with its arguments below 4 GiB (`MAP_32BIT`). The
//! drivers map each to its 64-bit event (stat64 is reported as stat, umount as umount2, _llseek as
//! lseek, mmap2 as mmap): libs' promise is that a 32-bit process is seen as a 64-bit one is.
use super::prelude::*;

/// ia32 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl).
mod nr {
    pub const UMOUNT: i64 = 22;
    pub const LLSEEK: i64 = 140;
    pub const MMAP2: i64 = 192;
    pub const STAT64: i64 = 195;
    pub const LSTAT64: i64 = 196;
    pub const FSTAT64: i64 = 197;
}

/// A 32-bit system call: `int $0x80` with the ia32 ABI's registers (ebx, ecx, edx, esi, edi,
/// ebp); returns eax sign-extended (-errno on failure).
fn int80(nr: i64, a: [u32; 6]) -> i64 {
    let r: i32;
    // SAFETY: a system call through the IA32 emulation; every pointer argument points into the
    // workload's own MAP_32BIT page (or is a deliberate bad address the kernel refuses). rbx and
    // rbp are saved and restored around it (the compiler may use them).
    unsafe {
        std::arch::asm!(
            "xchg rbx, {b}",
            "push rbp",
            "mov ebp, {p:e}",
            "int 0x80",
            "pop rbp",
            "xchg rbx, {b}",
            b = inout(reg) a[0] as u64 => _,
            p = in(reg) a[5],
            inout("eax") nr as i32 => r,
            in("ecx") a[1],
            in("edx") a[2],
            in("esi") a[3],
            in("edi") a[4],
        );
    }
    r as i64
}

/// A page below 4 GiB the 32-bit calls can point into.
fn low_page() -> Result<&'static mut [u8], String> {
    let p = sys!(
        "mmap MAP_32BIT",
        libc::SYS_mmap,
        0usize,
        4096usize,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT,
        -1,
        0usize
    )?;
    // SAFETY: a fresh private anonymous mapping of 4096 bytes, never unmapped (the workload is a
    // short-lived process).
    Ok(unsafe { std::slice::from_raw_parts_mut(p as *mut u8, 4096) })
}

/// What `ia32_calls` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Ia32Facts {
    /// The file stat64/lstat64 looked at, and its fd for fstat64/_llseek.
    pub file: String,
    /// Its fd.
    pub fd: i64,
    /// A path that does not exist.
    pub missing: String,
    /// stat64 of the missing path (-ENOENT).
    pub stat_missing: i64,
    /// fstat64 of fd -1 (-EBADF).
    pub fstat_bad: i64,
    /// The offset _llseek reached (its result, written to the caller's buffer).
    pub llseek_result: i64,
    /// mmap2's address.
    pub mmap2_addr: i64,
    /// umount of a path that is not a mount point (-EINVAL).
    pub umount_res: i64,
}

fn ia32_act(dir: &Path) -> Result<Ia32Facts, String> {
    let page = low_page()?;
    let file = dir.join("ia32-file");
    std::fs::write(&file, b"0123456789").map_err(|e| e.to_string())?;
    let missing = dir.join("ia32-missing");
    let put = |page: &mut [u8], at: usize, s: &str| {
        page[at..at + s.len()].copy_from_slice(s.as_bytes());
        page[at + s.len()] = 0;
    };
    let (file_s, missing_s) = (file.display().to_string(), missing.display().to_string());
    put(page, 0, &file_s);
    put(page, 1024, &missing_s);
    let base = page.as_ptr() as u64 as u32;
    let (path, miss, statbuf, result) = (base, base + 1024, base + 2048, base + 3072);
    let fd = sys!("open", libc::SYS_open, cs(&file).as_ptr(), libc::O_RDONLY)?;

    let r = int80(nr::STAT64, [path, statbuf, 0, 0, 0, 0]);
    ok(r, "stat64")?;
    let r = int80(nr::LSTAT64, [path, statbuf, 0, 0, 0, 0]);
    ok(r, "lstat64")?;
    let r = int80(nr::FSTAT64, [fd as u32, statbuf, 0, 0, 0, 0]);
    ok(r, "fstat64")?;
    let stat_missing = int80(nr::STAT64, [miss, statbuf, 0, 0, 0, 0]);
    let fstat_bad = int80(nr::FSTAT64, [u32::MAX, statbuf, 0, 0, 0, 0]);
    // _llseek(fd, offset_high 0, offset_low 4, &result, SEEK_SET)
    let r = int80(
        nr::LLSEEK,
        [fd as u32, 0, 4, result, libc::SEEK_SET as u32, 0],
    );
    ok(r, "_llseek")?;
    let llseek_result = i64::from_le_bytes(page[3072..3080].try_into().expect("8 bytes"));
    // mmap2(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, pgoff 0)
    let a = int80(
        nr::MMAP2,
        [
            0,
            4096,
            libc::PROT_READ as u32,
            libc::MAP_PRIVATE as u32,
            fd as u32,
            0,
        ],
    );
    // An address above 2 GiB reads as negative in eax: only -4095..-1 are errors.
    if (-4095..0).contains(&a) {
        return Err(format!("mmap2: errno {}", -a));
    }
    let mmap2_addr = a as u32 as i64;
    let umount_res = int80(nr::UMOUNT, [path, 0, 0, 0, 0, 0]);
    sys!("close", libc::SYS_close, fd)?;
    Ok(Ia32Facts {
        file: file_s,
        fd,
        missing: missing_s,
        stat_missing,
        fstat_bad,
        llseek_result,
        mmap2_addr,
        umount_res,
    })
}

fn ia32_expect(f: &Ia32Facts, pid: i64) -> Expectation {
    Expectation::new(vec![sequence([
        syscall("stat64 is reported as stat", "stat", pid)
            .param("res", eq(0))
            .param("path", eq(f.file.as_str())),
        syscall("lstat64 is reported as lstat", "lstat", pid)
            .param("res", eq(0))
            .param("path", eq(f.file.as_str())),
        syscall("fstat64 is reported as fstat", "fstat", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .field("fd.name", eq(f.file.as_str())),
        syscall("stat64 of a missing file fails", "stat", pid)
            .param("res", eq(f.stat_missing))
            .param("path", eq(f.missing.as_str())),
        syscall("fstat64 of fd -1 fails", "fstat", pid)
            .param("res", eq(f.fstat_bad))
            .param("fd", eq(-1)),
        // _llseek(fd, 0, 4, &result, SEEK_SET) reached offset 4 and returned 0; the drivers
        // report it as lseek with lseek's argument layout, so `offset` is _llseek's offset_high
        // and `whence` its offset_low: wrong values by design of the mapping (a libs finding).
        syscall("_llseek is reported as lseek", "lseek", pid)
            .param("res", eq(0))
            .param("fd", eq(f.fd))
            .unchecked("offset", "libs bug: offset_high")
            .unchecked("whence", "libs bug: offset_low"),
        syscall("mmap2 is reported as mmap", "mmap", pid)
            .param("res", eq(f.mmap2_addr))
            .param("addr", eq(0))
            .param("length", eq(4096))
            .flags("prot", &["PROT_READ"])
            .flags("flags", &["MAP_PRIVATE"])
            .param("fd", eq(f.fd))
            .param("offset", eq(0))
            .unchecked("vm_size", "process state")
            .unchecked("vm_rss", "process state")
            .unchecked("vm_swap", "process state"),
        syscall(
            "umount of a non-mount point fails, reported as umount2",
            "umount2",
            pid,
        )
        .param("res", eq(f.umount_res))
        .param("name", eq(f.file.as_str()))
        .param("flags", eq(0)),
    ])])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "ia32_calls",
    area: Area::System,
    description: "32-bit stat64/lstat64/fstat64/_llseek/mmap2/umount (int 0x80) seen as their 64-bit events, and two failures",
    steps: &Typed {
        act: ia32_act,
        expect: ia32_expect,
    },
}];
