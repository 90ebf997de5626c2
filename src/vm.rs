//! The kernel-module and legacy-eBPF engines run in a VM: this machine's kernel loads no
//! modules. A Debian kernel boots under qemu with a busybox initramfs (`kmod/guest-init`) that
//! mounts the host's root over 9p (read-only, under a tmpfs overlay) and runs a job script in it,
//! so the guest runs the very binaries built on the host. Results come back through a writable
//! 9p share. qemu is a child process with a deadline: it is always killed and reaped, and a
//! guest that panics, hangs or does not boot is a clear failure with its serial log attached.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::column::{Column, EngineKind};
use crate::report::RunReport;
use crate::suite::{ScenarioResult, Status};

/// A Debian kernel prepared for the VM: image, initramfs and drivers built for it.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// Kernel ABI name, e.g. `6.1.0-56-amd64`.
    pub abi: String,
    /// The kernel image.
    pub vmlinuz: PathBuf,
    /// The guest initramfs.
    pub initrd: PathBuf,
    /// `scap.ko` built for it (`None`: it does not build, see `build_findings`).
    pub scap_ko: Option<PathBuf>,
    /// The legacy eBPF probe built for it (`None`: this libs has none, removed in 0.24, or it
    /// does not build, see `build_findings`).
    pub bpf_probe: Option<PathBuf>,
    /// The drivers that do not build for this kernel with this libs: the engine, and the
    /// driver's first compiler error. The other engines still run.
    pub build_findings: Vec<(EngineKind, String)>,
}

/// Errors of the VM runner.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    /// The kernel or its drivers could not be prepared.
    #[error("preparing kernel {abi}: {message}")]
    Prepare {
        /// Kernel ABI.
        abi: String,
        /// What kmod/build-drivers said.
        message: String,
    },
    /// qemu could not start.
    #[error("cannot start qemu: {0}")]
    Qemu(std::io::Error),
    /// The guest did not finish its job in time (killed).
    #[error("guest {abi} did not finish within {secs} s (killed); serial log tail:\n{serial}")]
    Timeout {
        /// Kernel ABI.
        abi: String,
        /// The deadline.
        secs: u64,
        /// Last lines of the serial console.
        serial: String,
    },
    /// The guest kernel never started the guest's init (killed at the boot deadline).
    #[error(
        "guest {abi} did not reach its init within {secs} s (killed); serial log tail:\n{serial}"
    )]
    BootHang {
        /// Kernel ABI.
        abi: String,
        /// The boot deadline.
        secs: u64,
        /// Last lines of the serial console.
        serial: String,
    },
    /// The guest stopped without reporting (panic, failed boot).
    #[error(
        "guest {abi} stopped without finishing its job ({status}); serial log tail:\n{serial}"
    )]
    NoResult {
        /// Kernel ABI.
        abi: String,
        /// qemu's exit status.
        status: String,
        /// Last lines of the serial console.
        serial: String,
    },
    /// I/O on the share.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Builds (or takes from the cache) the kernel image, initramfs and drivers for `abi` (a kernel
/// ABI such as `6.1.0-56-amd64`, or `bookworm`, `bookworm-backports`, `bullseye`, `trixie`,
/// `trixie-backports`, `sid` for the kernel those suites ship today) by running
/// `kmod/build-drivers`. A driver that does not build for the kernel (its exit code 3) is named
/// with its first compiler error.
pub fn prepare(abi: &str) -> Result<Kernel, VmError> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("kmod/build-drivers");
    let out = Command::new(&script)
        .arg(abi)
        // the drivers come from the very source this binary's libs was built from
        .env("FALCOSECURITY_LIBS_DIR", crate::LIBS_SOURCE_DIR)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| VmError::Prepare {
            abi: abi.into(),
            message: format!("{}: {e}", script.display()),
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Exit 3: a driver does not build for this kernel with this libs, a finding (its first
    // compiler error), not a broken set-up: the rest was built and its engines run.
    let mut build_findings = Vec::new();
    if out.status.code() == Some(3) {
        for e in stdout
            .lines()
            .filter_map(|l| l.strip_prefix("DRIVER_BUILD_ERROR="))
        {
            let engine = if e.starts_with("probe.o") {
                EngineKind::LegacyBpf
            } else {
                EngineKind::Kmod
            };
            build_findings.push((
                engine,
                format!("driver does not build for this kernel with this libs: {e}"),
            ));
        }
    }
    if !out.status.success() && build_findings.is_empty() {
        return Err(VmError::Prepare {
            abi: abi.into(),
            message: format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                stdout.trim()
            ),
        });
    }
    let get = |k: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(PathBuf::from)
            .ok_or_else(|| VmError::Prepare {
                abi: abi.into(),
                message: format!("build-drivers printed no {k}"),
            })
    };
    Ok(Kernel {
        abi: get("ABI")?.display().to_string(),
        vmlinuz: get("KERNEL")?,
        initrd: get("INITRD")?,
        scap_ko: Some(get("SCAP_KO")?).filter(|p| !p.as_os_str().is_empty()),
        bpf_probe: Some(get("BPF_PROBE")?).filter(|p| !p.as_os_str().is_empty()),
        build_findings,
    })
}

/// How a guest job ended.
#[derive(Debug, Clone)]
pub struct GuestOutcome {
    /// The job script's exit code.
    pub rc: i32,
    /// What the job printed.
    pub job_log: String,
    /// The serial console.
    pub serial: String,
    /// "kvm" or "tcg".
    pub accel: &'static str,
    /// Wall-clock time of the VM.
    pub elapsed: Duration,
}

/// Kills and reaps qemu whatever happens (also on panic or early return).
struct Qemu(Option<Child>);

impl Drop for Qemu {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether KVM works for guests here: tried once per process (it may exist and still refuse).
static KVM_BROKEN: OnceLock<()> = OnceLock::new();

fn kvm_candidate() -> bool {
    KVM_BROKEN.get().is_none()
        && std::env::var("SINSPQA_VM_ACCEL")
            .map(|v| v != "tcg")
            .unwrap_or(true)
        && std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok()
}

/// Boots `kernel` and runs `job` (a shell script) inside, in the host's root; `share` is the
/// writable directory the job sees at `/sinspqa-share`. Waits at most `timeout`.
pub fn run_job(
    kernel: &Kernel,
    job: &str,
    share: &Path,
    timeout: Duration,
) -> Result<GuestOutcome, VmError> {
    std::fs::write(share.join("job.sh"), job)?;
    std::fs::write(
        share.join("stage2.sh"),
        include_str!("../kmod/guest-stage2"),
    )?;
    if kvm_candidate() {
        match boot(kernel, share, timeout, true) {
            Ok(o) => return Ok(o),
            // KVM present but unusable for guests (seen here: MSR errors): fall back to TCG.
            Err(VmError::NoResult { serial, .. }) if !serial.contains(GUEST_MARK) => {
                let _ = KVM_BROKEN.set(());
                tracing::info!("KVM unusable for guests, falling back to TCG");
            }
            Err(VmError::BootHang { .. }) => {
                let _ = KVM_BROKEN.set(());
                tracing::info!("KVM guest did not boot, falling back to TCG");
            }
            Err(e) => return Err(e),
        }
    }
    // Under TCG the guest kernel occasionally hangs before it starts init (seen here with
    // bookworm's 6.1: "task swapper/0:1 blocked for more than 120 seconds", nothing from init):
    // such a boot is killed at the boot deadline and tried once more; the job never started, so
    // nothing is run twice.
    match boot(kernel, share, timeout, false) {
        Err(VmError::BootHang { serial, secs, .. }) => {
            eprintln!(
                "guest {}: no init after {secs} s under TCG, booting once more; serial log tail:\n{serial}",
                kernel.abi
            );
            boot(kernel, share, timeout, false)
        }
        r => r,
    }
}

/// What the guest's init prints first (kmod/guest-init): the kernel reached userspace.
const GUEST_MARK: &str = "sinspqa-guest:";

/// How long a guest kernel may take to start its init. A TCG boot reaches it in seconds here,
/// minutes only on a badly overloaded host.
const BOOT_DEADLINE: Duration = Duration::from_secs(180);

fn boot(
    kernel: &Kernel,
    share: &Path,
    timeout: Duration,
    kvm: bool,
) -> Result<GuestOutcome, VmError> {
    for f in ["job.rc", "job.log", "serial.log"] {
        let _ = std::fs::remove_file(share.join(f));
    }
    let serial = share.join("serial.log");
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args([
        "-machine",
        "q35",
        "-smp",
        "2",
        "-m",
        "3072",
        "-display",
        "none",
        "-monitor",
        "none",
        "-no-reboot",
    ]);
    if kvm {
        cmd.args(["-accel", "kvm", "-cpu", "host"]);
    } else {
        cmd.args(["-accel", "tcg,thread=multi", "-cpu", "max"]);
    }
    cmd.arg("-serial").arg(format!("file:{}", serial.display()));
    cmd.arg("-kernel")
        .arg(&kernel.vmlinuz)
        .arg("-initrd")
        .arg(&kernel.initrd);
    cmd.args(["-append", "console=ttyS0 panic=-1 quiet"]);
    cmd.args([
        "-virtfs",
        "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
    ]);
    cmd.arg("-virtfs").arg(format!(
        "local,path={},mount_tag=share,security_model=none",
        share.display()
    ));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // If the harness dies (even SIGKILL), the kernel kills qemu: no VM outlives its runner.
    // SAFETY: prctl in the forked child before exec, async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let boot_deadline = BOOT_DEADLINE.min(timeout);
    let mut booted = false;
    let mut q = Qemu(Some(cmd.spawn().map_err(VmError::Qemu)?));
    let status = loop {
        let child = q.0.as_mut().unwrap();
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if !booted && start.elapsed() > boot_deadline {
            let s = std::fs::read_to_string(&serial).unwrap_or_default();
            booted = s.contains(GUEST_MARK);
            if !booted {
                drop(q);
                return Err(VmError::BootHang {
                    abi: kernel.abi.clone(),
                    secs: boot_deadline.as_secs(),
                    serial: tail(&s, 40),
                });
            }
        }
        if start.elapsed() > timeout {
            drop(q);
            let s = std::fs::read_to_string(&serial).unwrap_or_default();
            return Err(VmError::Timeout {
                abi: kernel.abi.clone(),
                secs: timeout.as_secs(),
                serial: tail(&s, 40),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    if let Some(mut e) = q.0.take().and_then(|mut c| c.stderr.take()) {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    let serial_text = std::fs::read_to_string(&serial).unwrap_or_default();
    let rc = std::fs::read_to_string(share.join("job.rc"))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    let Some(rc) = rc else {
        return Err(VmError::NoResult {
            abi: kernel.abi.clone(),
            status: format!("{status}; qemu: {}", err.trim()),
            serial: tail(&serial_text, 40),
        });
    };
    Ok(GuestOutcome {
        rc,
        job_log: std::fs::read_to_string(share.join("job.log")).unwrap_or_default(),
        serial: serial_text,
        accel: if kvm { "kvm" } else { "tcg" },
        elapsed: start.elapsed(),
    })
}

/// Where a guest's recordings go on the host: each into `<dir>/<abi>/`.
#[derive(Debug, Clone, Default)]
pub struct GuestFiles {
    /// The `.scap` of every failing scenario (`sinspqa run --out`).
    pub findings: Option<PathBuf>,
    /// Every scenario's recording (`sinspqa run --record`).
    pub record: Option<PathBuf>,
}

/// Copies the `.scap` files of `from` (if any) into `to/<abi>/`.
fn copy_scaps(from: &Path, to: Option<&Path>, abi: &str) {
    let (Some(to), Ok(dir)) = (to, std::fs::read_dir(from)) else {
        return;
    };
    let to = to.join(abi);
    for e in dir.flatten() {
        if e.path().extension().is_some_and(|x| x == "scap") {
            if let Err(err) = std::fs::create_dir_all(&to)
                .and_then(|_| std::fs::copy(e.path(), to.join(e.file_name())))
            {
                eprintln!("vm {abi}: cannot keep {}: {err}", e.path().display());
            }
        }
    }
}

/// Runs the QA scenarios inside a guest of `kernel` on the kmod, legacy eBPF and modern eBPF
/// engines, and returns their results with columns named `<engine>@<abi>`; the guest's
/// recordings are kept as `files` says.
pub fn run_suite(
    kernel: &Kernel,
    exe: &Path,
    scenarios: Option<&[String]>,
    scenario_timeout: f64,
    vm_timeout: Duration,
    files: &GuestFiles,
) -> Result<(Vec<ScenarioResult>, GuestOutcome), VmError> {
    let share = tempfile::Builder::new().prefix("sinspqa-vm-").tempdir()?;
    // The guest runs its own copy: a rebuild on the host must not change a binary in use.
    std::fs::copy(exe, share.path().join("sinspqa"))?;
    let exe = Path::new("/sinspqa-share/sinspqa");
    let scen = scenarios
        .map(|s| format!("--scenarios {}", s.join(",")))
        .unwrap_or_default();
    let job = format!(
        r#"export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
cd /tmp
echo "guest kernel $(uname -r)"
if insmod {ko} > /sinspqa-share/insmod.log 2>&1; then echo "scap.ko loaded"; ls /dev/scap0; else echo "insmod failed"; fi
{exe} run --engines modern_bpf,kmod,bpf --capture-per-scenario {probe} --timeout {t} --out /sinspqa-share/report {record} {scen}
rc=$?
rmmod scap 2>/dev/null
exit $rc
"#,
        ko = kernel
            .scap_ko
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "/nonexistent/scap.ko (it does not build)".into()),
        exe = exe.display(),
        probe = kernel
            .bpf_probe
            .as_ref()
            .map(|p| format!("--bpf-probe {}", p.display()))
            .unwrap_or_default(),
        t = scenario_timeout,
        record = if files.record.is_some() {
            "--record /sinspqa-share/record"
        } else {
            ""
        },
    );
    let outcome = run_job(kernel, &job, share.path(), vm_timeout)?;
    copy_scaps(
        &share.path().join("report"),
        files.findings.as_deref(),
        &kernel.abi,
    );
    copy_scaps(
        &share.path().join("record"),
        files.record.as_deref(),
        &kernel.abi,
    );
    let report = std::fs::read(share.path().join("report/report.json"));
    let report: serde_json::Value = match report.ok().and_then(|b| serde_json::from_slice(&b).ok())
    {
        Some(r) => r,
        None => {
            return Err(VmError::NoResult {
                abi: kernel.abi.clone(),
                status: format!("job exited {} without a report", outcome.rc),
                serial: format!(
                    "{}\n--- job log ---\n{}",
                    tail(&outcome.serial, 20),
                    tail(&outcome.job_log, 40)
                ),
            })
        }
    };
    let insmod = std::fs::read_to_string(share.path().join("insmod.log")).unwrap_or_default();
    let mut results: Vec<ScenarioResult> = serde_json::from_value(report["results"].clone())
        .map_err(|e| VmError::NoResult {
            abi: kernel.abi.clone(),
            status: format!("bad report: {e}"),
            serial: String::new(),
        })?;
    for r in &mut results {
        // A module that does not load is a driver failure on this kernel, not a skip.
        if r.column.engine == EngineKind::Kmod && !insmod.trim().is_empty() {
            if let Status::Skipped(why) = &r.status {
                r.status = Status::Fail(format!("insmod scap.ko failed: {}; {why}", insmod.trim()));
            }
        }
        // A driver that does not build for this kernel: its engine's columns say so.
        if let Some((_, why)) = kernel
            .build_findings
            .iter()
            .find(|(e, _)| *e == r.column.engine)
        {
            r.status = Status::Fail(why.clone());
        }
        r.column = r.column.in_kernel(&kernel.abi);
    }
    Ok((results, outcome))
}

/// Appends the VM results of `kernel` to `report`; a VM that fails becomes a failed result per
/// engine with the serial log.
pub fn add_kernel_to_report(
    report: &mut RunReport,
    kernel_abi: &str,
    exe: &Path,
    scenarios: Option<&[String]>,
    scenario_timeout: f64,
    vm_timeout: Duration,
    files: &GuestFiles,
) {
    let fail_all = |report: &mut RunReport, kernel_abi: &str, why: String| {
        for engine in EngineKind::ALL {
            report.push(ScenarioResult {
                scenario: "vm".into(),
                column: Column::live(engine).in_kernel(kernel_abi),
                status: Status::Fail(why.clone()),
                events_checked: 0,
                events_validated: 0,
                event_types: Default::default(),
                stats: None,
                drops: None,
                seconds: 0.0,
            });
        }
    };
    let kernel = match prepare(kernel_abi) {
        Ok(k) => k,
        Err(e) => {
            report.guests.push(crate::report::GuestKernel {
                requested: kernel_abi.into(),
                abi: None,
            });
            return fail_all(report, kernel_abi, e.to_string());
        }
    };
    report.guests.push(crate::report::GuestKernel {
        requested: kernel_abi.into(),
        abi: Some(kernel.abi.clone()),
    });
    if kernel.abi != kernel_abi {
        eprintln!("vm {kernel_abi}: resolved to kernel {}", kernel.abi);
    }
    let kernel_abi = kernel.abi.as_str();
    match run_suite(&kernel, exe, scenarios, scenario_timeout, vm_timeout, files) {
        Ok((results, outcome)) => {
            eprintln!(
                "vm {kernel_abi}: {} results in {:.0} s ({})",
                results.len(),
                outcome.elapsed.as_secs_f64(),
                outcome.accel
            );
            for r in results {
                report.push(r);
            }
        }
        Err(e) => fail_all(report, kernel_abi, e.to_string()),
    }
}
