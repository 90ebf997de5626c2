//! The tracepoints that are off unless asked for: page faults (`page_fault`, from the
//! `exceptions:page_fault_user` tracepoint) and context switches (`switch`, from
//! `sched_switch`). The suite asks for them only in this area's capture (by naming their events),
//! as Falco leaves them off: they come from every process of the machine.
use super::prelude::*;
use super::sys::{vm_now, Vm};
use crate::expect::Pred;

const PAGE: usize = 4096;

/// What `faults_and_switches` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FaultFacts {
    /// Two fresh anonymous pages (mmap, nothing touched yet).
    pub base: u64,
    /// The byte written first (in the first page): a write fault on a page not present.
    pub write_at: u64,
    /// The byte then read (in the second page): a read fault on a page not present.
    pub read_at: u64,
    /// This executable's code mapping (`r-xp` in /proc/self/maps): where both faults' ip is.
    pub text: (u64, u64),
    /// This thread's major and minor page faults (getrusage RUSAGE_THREAD) right before it
    /// slept: what the switch away from it reports.
    pub majflt: u64,
    /// See `majflt`.
    pub minflt: u64,
    /// Its memory then, in kB (/proc/self/status), as the switch reports it.
    pub vm: Vm,
}

/// The executable mapping of this binary's code.
fn text_mapping() -> Result<(u64, u64), String> {
    let exe = std::fs::read_link("/proc/self/exe").map_err(|e| format!("/proc/self/exe: {e}"))?;
    let maps =
        std::fs::read_to_string("/proc/self/maps").map_err(|e| format!("/proc/self/maps: {e}"))?;
    let exe = exe.display().to_string();
    maps.lines()
        .filter(|l| l.contains(" r-xp ") && l.ends_with(exe.as_str()))
        .find_map(|l| {
            let (lo, hi) = l.split_whitespace().next()?.split_once('-')?;
            Some((
                u64::from_str_radix(lo, 16).ok()?,
                u64::from_str_radix(hi, 16).ok()?,
            ))
        })
        .ok_or_else(|| format!("no r-xp mapping of {exe} in /proc/self/maps"))
}

/// One nanosleep, through the same code each time (so that a first call has faulted its code
/// and stack in before the counters are read).
#[inline(never)]
fn sleep_ns(ns: i64) -> Result<i64, String> {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: ns,
    };
    sys!(
        "nanosleep",
        libc::SYS_nanosleep,
        &ts as *const libc::timespec,
        0usize
    )
}

/// This thread's (major, minor) page faults, through the same code each time.
#[inline(never)]
fn faults_so_far(ru: &mut libc::rusage) -> Result<(u64, u64), String> {
    sys!(
        "getrusage RUSAGE_THREAD",
        libc::SYS_getrusage,
        libc::RUSAGE_THREAD,
        ru as *mut libc::rusage
    )?;
    Ok((ru.ru_majflt as u64, ru.ru_minflt as u64))
}

#[inline(never)]
fn faults_act(_dir: &Path) -> Result<FaultFacts, String> {
    let mut f = FaultFacts {
        text: text_mapping()?,
        ..FaultFacts::default()
    };
    let base = sys!(
        "mmap two anonymous pages",
        libc::SYS_mmap,
        0usize,
        2 * PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0
    )? as u64;
    f.base = base;
    f.write_at = base + 0x10;
    f.read_at = base + PAGE as u64 + 0x20;
    // SAFETY: both addresses lie in the two pages just mapped read-write; volatile so that the
    // compiler keeps each access (each is the fault this scenario checks).
    unsafe {
        std::ptr::write_volatile(f.write_at as *mut u8, 0x5a);
        let _ = std::ptr::read_volatile(f.read_at as *const u8);
    }
    // The buffer is allocated before the status is read, so the read maps nothing.
    let mut buf = vec![0u8; 16384];
    f.vm = vm_now(&mut buf)?;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct getrusage fills.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // A first round of the calls below faults in their code and stack pages.
    faults_so_far(&mut ru)?;
    sleep_ns(1)?;
    (f.majflt, f.minflt) = faults_so_far(&mut ru)?;
    // Sleep: the scheduler switches away from this thread, whose counters are those above.
    sleep_ns(20_000_000)?;
    Ok(f)
}

/// How far the driver's RSS may be from /proc's, in kB: a per-CPU counter batch (64 pages)
/// on each of up to 8 CPUs.
const RSS_SLACK_KB: i64 = 64 * 4 * 8;

/// `v` within `slack` kB of `kb`, and positive.
fn within_kb(kb: i64, slack: i64) -> Pred {
    Pred::All(vec![gt(0), ge(kb - slack), le(kb + slack)])
}

/// `lo <= v < hi`.
fn within(lo: u64, hi: u64) -> Pred {
    Pred::All(vec![ge(lo as i64), lt(hi as i64)])
}

fn faults_expect(f: &FaultFacts, pid: i64) -> Expectation {
    let fault = |name: &str, at: u64, access: &str| {
        event(name)
            .ty("page_fault")
            .enter()
            .field("thread.tid", eq(pid))
            .param("addr", eq(at as i64))
            .param("ip", within(f.text.0, f.text.1))
            .flags("error", &["PAGE_NOT_PRESENT", access, "USER_FAULT"])
    };
    Expectation::new(vec![sequence([
        fault(
            "a write to a fresh page faults, user mode, page not present",
            f.write_at,
            "WRITE_ACCESS",
        ),
        fault(
            "then a read of the next fresh page",
            f.read_at,
            "READ_ACCESS",
        ),
        event("the thread is switched out while it sleeps, with its counters")
            .ty("switch")
            .enter()
            .field("thread.tid", eq(pid))
            .param("pgft_maj", eq(f.majflt as i64))
            .param("pgft_min", eq(f.minflt as i64))
            .param("vm_size", eq(f.vm.size))
            // RSS is a per-CPU counter: the driver reads mm's approximate value, /proc sums the
            // CPUs' shares, so the two differ by up to a batch per CPU (debug build, 6.18: the
            // driver 28 kB above /proc with no fault between them).
            .param("vm_rss", within_kb(f.vm.rss, RSS_SLACK_KB))
            .param("vm_swap", eq(f.vm.swap))
            .unchecked("next", "the scheduler's choice"),
    ])])
}

/// The scenarios of this area.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "faults_and_switches",
    area: Area::Tracepoints,
    description: "a write and a read of fresh anonymous pages fault (address, code address, \
                  access flags), and the sleeping thread is switched out with its fault counters \
                  and memory",
    steps: &Typed {
        act: faults_act,
        expect: faults_expect,
    },
}];
