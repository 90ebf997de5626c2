//! `sinspqa`: command-line front end of the capture core.
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use sinspqa::{Capture, Engine, Error};

#[derive(Parser)]
#[command(
    name = "sinspqa",
    version,
    about = "Capture core and QA harness for falcosecurity/libs"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum EngineArg {
    ModernBpf,
    Kmod,
    Savefile,
}

/// Options of the `capture` subcommand.
#[derive(Args)]
struct CaptureArgs {
    /// Engine to use (savefile is implied by --read).
    #[arg(long, value_enum)]
    engine: Option<EngineArg>,
    /// Read events from this .scap file.
    #[arg(long, short = 'r')]
    read: Option<PathBuf>,
    /// Also write the captured events to this .scap file.
    #[arg(long, short = 'w')]
    write: Option<PathBuf>,
    /// sinsp filter expression.
    #[arg(long, short = 'f')]
    filter: Option<String>,
    /// Comma-separated sinsp fields to print (default: a sensible set).
    #[arg(long, value_delimiter = ',')]
    fields: Option<Vec<String>>,
    /// Stop after N events.
    #[arg(short = 'n')]
    count: Option<u64>,
    /// Stop after this many seconds (live engines default to 60 s when -n is given, so a
    /// count that drops keep below N never hangs).
    #[arg(long)]
    duration: Option<f64>,
    /// One JSON object per event per line (the shape sinsp-example -j prints).
    #[arg(long, conflicts_with = "full_json")]
    json: bool,
    /// Each event in full, one JSON object per line: header, every param by its event-table
    /// name (typed) and the requested fields; every line validates against `sinspqa schema`.
    #[arg(long)]
    full_json: bool,
    /// Use the legacy eBPF engine with this probe object (built for the running kernel).
    #[arg(long)]
    bpf_probe: Option<PathBuf>,
    /// Bytes of each per-CPU kernel buffer (default: libs' 8 MiB).
    #[arg(long)]
    buffer_size: Option<u64>,
}

/// Shard K of N (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shard {
    k: usize,
    n: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?}: want K/N, e.g. 1/2"))?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|e| format!("{s:?}: K: {e}"))?,
            n.trim().parse().map_err(|e| format!("{s:?}: N: {e}"))?,
        );
        if n == 0 || k == 0 || k > n {
            return Err(format!("{s:?}: want 1 <= K <= N"));
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// Whether the `i`th unit of the run (0-based) is this shard's.
    fn takes(self, i: usize) -> bool {
        i % self.n == self.k - 1
    }
}

#[derive(Subcommand)]
enum ReportCmd {
    /// Merge the reports of shards (each a directory with the report.json of a `sinspqa run
    /// --shard K/N`) into one matrix, report.json, junit.xml and report.md.
    Merge {
        /// The shards' output directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged reports.
        #[arg(long, default_value = "target/sinspqa-report")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum Cmd {
    /// Capture events live or from a file, print them, optionally write a .scap file.
    Capture(CaptureArgs),
    /// Show which engines can run on this machine, and why not.
    Engines,
    /// Show the libs this binary was built from: version, upstream commit, origin (debian,
    /// tarball, submodule, checkout), driver schema, source and build directories, and the
    /// sinsp-example built from the same source (one `key value` line each).
    Libs,
    /// The main job: every QA scenario on every engine (live + replay of its recording), as a
    /// matrix; writes junit.xml and report.json; exits non-zero on any failure.
    Run {
        /// Only these scenarios (default: all).
        #[arg(long, value_delimiter = ',')]
        scenarios: Option<Vec<String>>,
        /// Where to write junit.xml, report.json and the .scap of failing scenarios.
        #[arg(long, default_value = "target/sinspqa-report")]
        out: PathBuf,
        /// Legacy eBPF probe object for the `bpf` column (default: $SINSPQA_BPF_PROBE).
        #[arg(long)]
        bpf_probe: Option<PathBuf>,
        /// Seconds each scenario may wait for its events.
        #[arg(long, default_value_t = 20.0)]
        timeout: f64,
        /// Keep every scenario's recording here as <scenario>-<engine>.scap (gzip); a guest's in <abi>/.
        #[arg(long)]
        record: Option<PathBuf>,
        /// Engines to run on this machine (modern_bpf, kmod, bpf).
        #[arg(long, value_delimiter = ',', default_value = "modern_bpf,kmod,bpf")]
        engines: Vec<String>,
        /// Debian kernels to boot in a VM (qemu) and run kmod, legacy eBPF and modern eBPF in,
        /// e.g. 6.1.0-56-amd64,6.12.95+deb12-amd64. Empty: none.
        #[arg(long, value_delimiter = ',')]
        kernels: Vec<String>,
        /// Only the smoke set: the scenarios of whole programs (what CI runs in its guests).
        #[arg(long, conflicts_with = "scenarios")]
        smoke: bool,
        /// One live capture per scenario rather than one per area (guests under TCG: a
        /// capture shared by an area's scenarios drains the busy ones' backlog while the next
        /// workload runs, and a slow consumer then loses events).
        #[arg(long)]
        capture_per_scenario: bool,
        /// Ask the kernel for every syscall and tracepoint (page faults and sched_switch
        /// excepted) rather than only those the scenarios match (default; libsinsp's state set
        /// is always added), e.g. to see what a busy machine costs the capture.
        #[arg(long)]
        all_syscalls: bool,
        /// Seconds a VM may run before it is killed.
        #[arg(long, default_value_t = 1800)]
        vm_timeout: u64,
        /// Run only shard K of N (`2/3`): the run's units (each guest kernel; on this machine,
        /// each engine's capture group) dealt out in turn, the same way for the same
        /// arguments; `sinspqa report merge` joins the shards' reports.
        #[arg(long)]
        shard: Option<Shard>,
    },
    /// Reports of runs.
    Report {
        #[command(subcommand)]
        cmd: ReportCmd,
    },
    /// Print the JSON Schema (draft 2020-12) of events, generated from libs' event table.
    Schema,
    /// The coverage map: every current event of this libs' table, whether a scenario asserts
    /// it and how many of its params by value (the rest marked unchecked with a reason, bounded
    /// or missing), then the totals.
    Coverage {
        /// One JSON object: event_types_asserted, params_total, params_asserted, ... and an
        /// entry per event.
        #[arg(long)]
        json: bool,
    },
    /// Compare our replay of FILE with sinsp-example's, field by field, paired by evt.num.
    Crosscheck {
        /// The .scap file.
        file: PathBuf,
        /// sinsp filter applied on both sides.
        #[arg(long, short = 'f')]
        filter: Option<String>,
        /// Comma-separated fields to compare (default: header, process, user and fd fields).
        #[arg(long, value_delimiter = ',')]
        fields: Option<Vec<String>>,
        /// Print at most this many mismatches.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Run one workload in this process (used by the QA harness as a child process).
    #[command(hide = true)]
    Workload {
        /// Workload name.
        name: String,
        /// Scratch directory it may use.
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if !matches!(cli.cmd, Cmd::Workload { .. } | Cmd::Run { .. }) {
        quiet_on_closed_pipe();
    }
    let r = match cli.cmd {
        Cmd::Capture(args)
            if args.read.is_some() && std::env::var_os(sinspqa::guard::GUARDED_ENV).is_none() =>
        {
            return guarded_replay(args.read.as_deref().expect("read"));
        }
        Cmd::Capture(args) => capture(args),
        // The same guard for the cross-check, which replays the file in-process too.
        Cmd::Crosscheck { file, .. } if std::env::var_os(sinspqa::guard::GUARDED_ENV).is_none() => {
            return guarded_replay(&file);
        }
        Cmd::Workload { name, dir } => {
            return match sinspqa::workload::run_child(&name, &dir) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("workload {name}: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Cmd::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(sinspqa::schema::schema()).unwrap()
            );
            Ok(())
        }
        Cmd::Crosscheck {
            file,
            filter,
            fields,
            limit,
        } => {
            let fields: Option<Vec<&str>> = fields
                .as_ref()
                .map(|f| f.iter().map(String::as_str).collect());
            return match sinspqa::crosscheck::crosscheck(
                &file,
                filter.as_deref(),
                fields.as_deref(),
            ) {
                Ok(r) => {
                    print!("{}", r.render(limit));
                    if r.ok() {
                        println!("crosscheck: OK");
                        ExitCode::SUCCESS
                    } else {
                        println!("crosscheck: FAILED");
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("sinspqa: {}", e.report());
                    ExitCode::FAILURE
                }
            };
        }
        Cmd::Run {
            scenarios,
            out,
            bpf_probe,
            timeout,
            record,
            engines,
            kernels,
            smoke,
            capture_per_scenario,
            all_syscalls,
            vm_timeout,
            shard,
        } => {
            let scenarios = if smoke {
                Some(
                    sinspqa::scenarios::smoke()
                        .iter()
                        .map(|s| s.name.to_string())
                        .collect(),
                )
            } else {
                scenarios
            };
            let opts = RunArgs {
                only: scenarios,
                out,
                bpf_probe,
                timeout,
                record,
                engines,
                kernels,
                capture_per_scenario,
                all_syscalls,
                vm_timeout,
                shard,
            };
            return match run(opts) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("sinspqa: {}", e.report());
                    ExitCode::FAILURE
                }
            };
        }
        Cmd::Report {
            cmd: ReportCmd::Merge { dirs, out },
        } => {
            return match merge_reports(&dirs, &out) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("sinspqa report merge: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Cmd::Coverage { json } => {
            let cov = sinspqa::coverage::compute(&sinspqa::scenarios::all());
            if json {
                println!("{}", serde_json::to_string_pretty(&cov).unwrap());
            } else {
                print!("{}", cov.render());
            }
            Ok(())
        }
        Cmd::Libs => {
            println!("version        {}", sinspqa::LIBS_VERSION);
            println!("commit         {}", sinspqa::LIBS_COMMIT);
            println!("origin         {}", sinspqa::LIBS_ORIGIN);
            println!("schema         {}", sinspqa::LIBS_SCHEMA_VERSION);
            println!("source         {}", sinspqa::LIBS_SOURCE_DIR);
            println!("build          {}", sinspqa::LIBS_BUILD_DIR);
            println!("sinsp-example  {}", sinspqa::SINSP_EXAMPLE);
            Ok(())
        }
        Cmd::Engines => {
            // Each engine is opened for real: its probe goes through the verifier, then is unloaded.
            for e in sinspqa::engine::live_engines() {
                match e.load_check() {
                    Ok(()) => println!("{:<11} available (opened and closed again)", e.name()),
                    Err(err @ Error::DriverRejected { .. }) => {
                        let report = err.report();
                        let detail = report.split_once(' ').map_or("", |(_, d)| d);
                        println!("{:<11} {detail}", e.name());
                    }
                    Err(err) => println!("{:<11} unavailable: {err}", e.name()),
                }
            }
            Ok(())
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sinspqa: {}", e.report());
            ExitCode::FAILURE
        }
    }
}

/// A usage error found after parsing: clap's message and usage on stderr, exit status 2, like the
/// errors clap finds itself.
fn usage(subcommand: &str, kind: ErrorKind, message: &str) -> ! {
    let mut cli = Cli::command().bin_name("sinspqa");
    cli.build();
    match cli.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(kind, message).exit(),
        None => cli.error(kind, message).exit(),
    }
}

/// Output to a closed pipe (`sinspqa schema | head -1`) ends the process quietly with the usual
/// status (killed by SIGPIPE), as for any Unix filter, instead of a panic in `println!`. Not for the
/// main job and the workloads: they own children, VMs and sockets and handle EPIPE themselves.
/// `capture -r FILE` and `crosscheck FILE`: the replay runs in a guarded child (this binary
/// again, same arguments) so
/// that libsinsp dying on a hostile file is reported (status 3, the file kept among the
/// findings) rather than killing us; a crash in our own code, or one no frame explains, is
/// status 4.
fn guarded_replay(file: &std::path::Path) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("sinspqa: cannot find this binary to run the replay: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1));
    match sinspqa::guard::run_guarded(cmd) {
        Ok(sinspqa::guard::Guarded::Exited(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        Ok(sinspqa::guard::Guarded::Crashed(c)) => {
            if c.signal == libc::SIGPIPE {
                // The reader went away: end as a filter does.
                // SAFETY: restoring SIGPIPE's default action and raising it on ourselves.
                unsafe {
                    libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                    libc::raise(libc::SIGPIPE);
                }
                return ExitCode::FAILURE;
            }
            eprintln!("sinspqa: {}", c.report(file));
            let dir = sinspqa::guard::findings_dir();
            if let Some(name) = file.file_name() {
                if std::fs::create_dir_all(&dir).is_ok()
                    && std::fs::copy(file, dir.join(name)).is_ok()
                {
                    eprintln!("sinspqa: kept in {}", dir.join(name).display());
                }
            }
            ExitCode::from(match c.culprit {
                sinspqa::guard::Culprit::Libs => 3,
                _ => 4,
            })
        }
        Err(e) => {
            eprintln!("sinspqa: cannot run the replay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn quiet_on_closed_pipe() {
    // SAFETY: signal(2) with a valid signal number and SIG_DFL; no handler runs Rust code. Called
    // at the start of main, before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn capture(args: CaptureArgs) -> Result<(), Error> {
    let CaptureArgs {
        engine,
        read,
        write,
        filter,
        fields,
        count,
        duration,
        json,
        full_json,
        bpf_probe,
        buffer_size,
    } = args;
    let engine = match (engine, read, bpf_probe) {
        (_, _, Some(probe)) => Engine::LegacyBpf { probe },
        (None | Some(EngineArg::Savefile), Some(path), _) => Engine::Savefile(path),
        (Some(EngineArg::Savefile), None, _) => usage(
            "capture",
            ErrorKind::MissingRequiredArgument,
            "--engine savefile needs --read FILE",
        ),
        (Some(_), Some(_), _) => usage(
            "capture",
            ErrorKind::ArgumentConflict,
            "--read implies --engine savefile",
        ),
        (None | Some(EngineArg::ModernBpf), None, _) => Engine::ModernBpf,
        (Some(EngineArg::Kmod), None, _) => Engine::Kmod,
    };
    let live = engine.is_live();
    let mut b = Capture::builder().engine(engine);
    if let Some(f) = filter {
        b = b.filter(f);
    }
    if let Some(f) = fields {
        b = b.fields(f);
    }
    if let Some(w) = write {
        b = b.dump_to(w);
    }
    if let Some(n) = buffer_size {
        b = b.buffer_size(n);
    }
    // Before the capture thread starts: a crash there is reported with its frames.
    let progress = sinspqa::guard::Progress::child();
    let cap = b.open()?;
    let limit = duration
        .map(Duration::from_secs_f64)
        .or(if live && count.is_some() {
            Some(Duration::from_secs(60))
        } else {
            None
        });
    let start = Instant::now();
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let mut n = 0u64;
    while count.is_none_or(|c| n < c) {
        let wait = match limit {
            Some(l) => match l.checked_sub(start.elapsed()) {
                Some(w) => w,
                None => break,
            },
            None => Duration::from_millis(500),
        };
        let ev = match cap.events().recv_timeout(wait) {
            Ok(ev) => ev,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        };
        n += 1;
        if let Some(p) = &progress {
            p.handed_out(ev.num);
        }
        let r = if full_json {
            serde_json::to_writer(&mut out, &sinspqa::schema::event_instance(&ev))
                .map_err(std::io::Error::from)
                .and_then(|_| writeln!(out))
        } else if json {
            serde_json::to_writer(&mut out, &ev)
                .map_err(std::io::Error::from)
                .and_then(|_| writeln!(out))
        } else {
            let vals: Vec<String> = ev.fields().map(|(_, v)| v.render()).collect();
            writeln!(out, "{}", vals.join(" "))
        };
        if let Err(e) = r {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                break;
            }
            return Err(e.into());
        }
    }
    out.flush().ok();
    // each corrupt event the capture went past, by its number (the first few)
    for e in cap.event_errors().iter().take(10) {
        eprintln!("sinspqa: {e}");
    }
    let stats = cap.stop()?;
    eprintln!(
        "sinspqa: {n} events printed; seen {}, filtered out {}, consumer drops {}, kernel events {}, kernel drops {}{}",
        stats.events_seen,
        stats.events_filtered,
        stats.consumer_drops,
        stats.kernel_events,
        stats.kernel_drops,
        if stats.corrupt_events > 0 {
            format!(
                ", {} corrupt (header and param lengths disagree; read only as far as both go)",
                stats.corrupt_events
            )
        } else {
            String::new()
        }
    );
    if let Some(c) = count {
        if n < c {
            eprintln!("sinspqa: only {n} of {c} events arrived before the time limit");
        }
    }
    Ok(())
}

/// Options of the main job.
struct RunArgs {
    only: Option<Vec<String>>,
    out: PathBuf,
    bpf_probe: Option<PathBuf>,
    timeout: f64,
    record: Option<PathBuf>,
    engines: Vec<String>,
    kernels: Vec<String>,
    capture_per_scenario: bool,
    all_syscalls: bool,
    vm_timeout: u64,
    shard: Option<Shard>,
}

/// The main job. Returns whether everything that ran passed.
fn run(a: RunArgs) -> Result<bool, Error> {
    use sinspqa::report::RunReport;
    use sinspqa::suite::{run_scenarios, RunOptions};

    let exe = std::env::current_exe()?;
    let mut opts = RunOptions::new(exe.clone());
    opts.timeout = Duration::from_secs_f64(a.timeout);
    opts.keep_failures = Some(a.out.join("failures"));
    opts.record_to = a.record.clone();
    if a.all_syscalls {
        opts.syscalls = sinspqa::suite::Syscalls::All;
    }
    let probe = a
        .bpf_probe
        .or_else(|| std::env::var_os("SINSPQA_BPF_PROBE").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("kmod/build/probe.o"));
    let mut engines = Vec::new();
    for e in &a.engines {
        engines.push(match e.as_str() {
            "modern_bpf" | "modern-bpf" => Engine::ModernBpf,
            "kmod" => Engine::Kmod,
            "bpf" => Engine::LegacyBpf {
                probe: probe.clone(),
            },
            other => usage(
                "run",
                ErrorKind::InvalidValue,
                &format!("unknown engine {other:?} (modern_bpf, kmod, bpf)"),
            ),
        });
    }
    let scenarios: Vec<_> = sinspqa::scenarios::all()
        .into_iter()
        .filter(|s| {
            a.only
                .as_ref()
                .is_none_or(|o| o.iter().any(|n| n == s.name))
        })
        .collect();
    if scenarios.is_empty() {
        usage(
            "run",
            ErrorKind::InvalidValue,
            &format!("no scenario matches {:?}", a.only.unwrap_or_default()),
        );
    }
    let run_start = Instant::now();
    let mut report = RunReport {
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string(),
        libs_version: sinspqa::LIBS_VERSION.to_string(),
        libs_commit: sinspqa::LIBS_COMMIT.to_string(),
        libs_origin: sinspqa::LIBS_ORIGIN.to_string(),
        ..Default::default()
    };
    // The run's units, in a fixed order: each guest kernel (the long ones, dealt first so
    // shards share them), then each engine's capture groups here.
    let mut unit = 0usize;
    let mut mine = |a_shard: Option<Shard>| {
        let i = unit;
        unit += 1;
        a_shard.is_none_or(|s| s.takes(i))
    };
    let kernels: Vec<&String> = a.kernels.iter().filter(|_| mine(a.shard)).collect();
    let groups: Vec<Vec<_>> = if a.capture_per_scenario {
        scenarios.iter().map(|s| vec![*s]).collect()
    } else {
        sinspqa::scenarios::Area::ALL
            .iter()
            .map(|area| {
                scenarios
                    .iter()
                    .copied()
                    .filter(|s| s.area == *area)
                    .collect::<Vec<_>>()
            })
            .filter(|g| !g.is_empty())
            .collect()
    };
    for engine in &engines {
        let groups: Vec<&Vec<_>> = groups.iter().filter(|_| mine(a.shard)).collect();
        if groups.is_empty() {
            continue;
        }
        match engine.load_check() {
            Ok(()) => {}
            Err(e @ Error::DriverRejected { .. }) => {
                eprintln!("engine {}: {}", engine.name(), e.report())
            }
            Err(e) => eprintln!("engine {}: skipped ({e})", engine.name()),
        }
        let start = Instant::now();
        let mut ran = 0;
        // One capture per area: a live engine costs more to open than most scenarios take
        // (or one per scenario, --capture-per-scenario).
        for group in groups {
            for (s, (live, replay)) in group.iter().zip(run_scenarios(group, engine, &opts)) {
                if !matches!(live.status, sinspqa::suite::Status::Skipped(_)) {
                    ran += 1;
                    eprintln!(
                        "{:<28} {:<12} {:>4} ({:.1} s)   replay {}",
                        s.name,
                        engine.name(),
                        live.status.short(),
                        live.seconds,
                        replay.status.short()
                    );
                }
                report.push(live);
                report.push(replay);
            }
        }
        if ran > 0 {
            eprintln!(
                "{}: {ran} scenarios live + replay in {:.1} s",
                engine.name(),
                start.elapsed().as_secs_f64()
            );
            report.timings.push(sinspqa::report::Timing {
                unit: format!(
                    "{} on this machine (captures, live and replayed)",
                    engine.name()
                ),
                seconds: start.elapsed().as_secs_f64(),
            });
        }
    }
    for k in kernels {
        eprintln!("vm {k}: preparing the kernel and drivers, then booting");
        let start = Instant::now();
        sinspqa::vm::add_kernel_to_report(
            &mut report,
            k,
            &exe,
            a.only.as_deref(),
            a.timeout,
            Duration::from_secs(a.vm_timeout),
            &sinspqa::vm::GuestFiles {
                findings: Some(a.out.join("failures")),
                record: a.record.clone(),
            },
        );
        report.timings.push(sinspqa::report::Timing {
            unit: format!("guest {k} (drivers, boot, every engine)"),
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    report.seconds = run_start.elapsed().as_secs_f64();
    report.coverage = Some(sinspqa::coverage::compute(&scenarios));
    finish_report(&report, &a.out)
}

/// Prints the matrix, the coverage summary and each cell's steps and time, and writes the
/// reports into `out`. Returns whether nothing failed.
fn finish_report(report: &sinspqa::report::RunReport, out: &Path) -> Result<bool, Error> {
    print!("{}", report.matrix());
    if let Some(c) = &report.coverage {
        println!("{}", c.summary());
    }
    println!("\ncells (driver & guest / engine / scenarios, time in the scenarios' checks):");
    let mut total = 0.0;
    for c in report.cells() {
        total += c.seconds;
        println!(
            "  {:<40} {} {} {:<60} {:>7.1} s",
            c.column.to_string(),
            c.build.mark(),
            c.open.mark(),
            match &c.scenarios {
                sinspqa::report::Step::Ok(w)
                | sinspqa::report::Step::OkWith(w)
                | sinspqa::report::Step::Failed(w)
                | sinspqa::report::Step::Other(w) => format!(
                    "{} {}",
                    c.scenarios.mark(),
                    w.lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(56)
                        .collect::<String>()
                ),
            },
            c.seconds
        );
    }
    println!("  total {total:.0} s in the scenarios' checks");
    println!("wall clock:");
    for t in &report.timings {
        println!("  {:<60} {:>7.1} s", t.unit, t.seconds);
    }
    println!("  total {:.0} s", report.seconds);
    report.write(out)?;
    println!(
        "reports: {}/report.md, {}/junit.xml, {}/report.json",
        out.display(),
        out.display(),
        out.display()
    );
    Ok(report.counts().1 == 0)
}

/// `sinspqa report merge`: one report from the shards' reports.
fn merge_reports(dirs: &[PathBuf], out: &Path) -> Result<bool, String> {
    let mut parts = Vec::new();
    for d in dirs {
        let f = d.join("report.json");
        let text = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let r: sinspqa::report::RunReport =
            serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        parts.push(r);
    }
    let mut report = sinspqa::report::merge(parts)?;
    if report.libs_version == sinspqa::LIBS_VERSION {
        let names: Vec<&str> = report.results.iter().map(|r| r.scenario.as_str()).collect();
        let scenarios: Vec<_> = sinspqa::scenarios::all()
            .into_iter()
            .filter(|s| names.contains(&s.name))
            .collect();
        report.coverage = Some(sinspqa::coverage::compute(&scenarios));
    }
    finish_report(&report, out).map_err(|e| e.report())
}
