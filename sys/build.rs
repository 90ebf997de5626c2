//! Builds falcosecurity/libs (libscap + libsinsp + sinsp-example) with CMake, compiles the C++
//! shim with `cc` and generates bindings with bindgen.
//!
//! Source: `$FALCOSECURITY_LIBS_DIR` when set (a libs developer's own checkout), else the pinned
//! libs put into `<workspace>/libs` by `scripts/fetch-libs`.
//!
//! The CMake build lives outside `target/`, in `$SINSPQA_CACHE` (default `~/.cache/sinspqa`)
//! under `libs-<key>`, where the key hashes the source identity (pinned version + our patches, or
//! the checkout's path), the CMake options and this script's build schema. So a fresh clone on the
//! same machine, and every cargo profile, reuse one libs build. A file lock serialises concurrent
//! cargo invocations on the same key. Progress of a cold build is printed by cmake/make and is
//! visible with `cargo build -vv` (the project's scripts do that).
//!
//! Sanitizers: `SINSPQA_SANITIZE` (a comma list of `address`, `undefined`, `fuzzer`; unset or
//! empty for the normal build) builds libs, sinsp-example and the shim with clang and
//! `-fsanitize=...` (`address` and `undefined` through libs' own `USE_ASAN`/`USE_UBSAN` CMake
//! options, as libs' CI does; `fuzzer` adds libFuzzer's coverage instrumentation,
//! `-fsanitize=fuzzer-no-link`) plus `-fno-omit-frame-pointer`. The option is part of the cache
//! key, so a sanitized build lives beside the normal one and never replaces it; the normal build's
//! key is what it was without the option. The Rust code is not instrumented (stable Rust): whatever
//! links the result must link clang's sanitizer runtimes (`clang++ -fsanitize=...`), as
//! `make test-asan` and `scripts/fuzz` do.

use std::env;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sha2::{Digest, Sha256};

/// Bump when a change to this script must invalidate every cached libs build.
const BUILD_SCHEMA: &str = "3";

/// CMake options known to work on Debian bookworm with libbpf 1.4 (bookworm-backports).
const CMAKE_DEFINES: &[(&str, &str)] = &[
    ("CMAKE_BUILD_TYPE", "Release"),
    ("USE_BUNDLED_DEPS", "OFF"),
    ("USE_BUNDLED_LIBBPF", "OFF"),
    ("USE_BUNDLED_VALIJSON", "OFF"),
    ("MINIMAL_BUILD", "ON"),
    ("BUILD_LIBSCAP_MODERN_BPF", "ON"),
    ("BUILD_DRIVER", "OFF"),
    ("BUILD_BPF", "OFF"),
    ("ENABLE_ENGINE_KMOD", "ON"),
    ("ENABLE_ENGINE_BPF", "ON"),
    ("CREATE_TEST_TARGETS", "OFF"),
    ("BUILD_LIBSINSP_EXAMPLES", "ON"),
    ("BUILD_SHARED_LIBS", "OFF"),
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());

    for var in [
        "FALCOSECURITY_LIBS_DIR",
        "SINSPQA_CACHE",
        "HOME",
        "SINSPQA_SANITIZE",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=shim/shim.h");
    println!("cargo:rerun-if-changed=shim/shim.cpp");
    println!("cargo:rerun-if-changed=build.rs");

    let libs = libs_source(&workspace);
    let sanitize = sanitize_option();
    let (src, identity, libs_version) = (&libs.dir, &libs.identity, &libs.version);
    let ccache = which("ccache");
    let mut defines: Vec<(String, String)> = CMAKE_DEFINES
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(san) = &sanitize {
        defines.extend(san.cmake_defines());
    }
    if let Some(cc) = &ccache {
        defines.push(("CMAKE_C_COMPILER_LAUNCHER".into(), cc.display().to_string()));
        defines.push((
            "CMAKE_CXX_COMPILER_LAUNCHER".into(),
            cc.display().to_string(),
        ));
    }

    let mut h = Sha256::new();
    h.update(BUILD_SCHEMA);
    h.update(identity);
    for (k, v) in CMAKE_DEFINES {
        h.update(format!("{k}={v};"));
    }
    if let Some(san) = &sanitize {
        // only when set: the normal build's key stays what it was before this option existed
        for (k, v) in san.cmake_defines() {
            h.update(format!("{k}={v};"));
        }
    }
    let key: String = h.finalize()[..8].iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    let cache_root = env::var_os("SINSPQA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/sinspqa")
        });
    let cache = cache_root.join(format!("libs-{key}"));
    fs::create_dir_all(&cache).expect("create the libs build cache directory");

    // Serialise concurrent builds of the same key (e.g. `cargo test` and `cargo bench` at once).
    let lock = File::create(cache.join(".lock")).expect("create lock file");
    flock(&lock);

    let build = cache.join("build");
    let complete = cache.join(".complete");
    let pinned = libs.origin != "checkout";
    if pinned && complete.exists() {
        println!(
            "cargo:warning=libs {libs_version}: reusing cached build {}",
            cache.display()
        );
    } else {
        let t = Instant::now();
        eprintln!(
            "[sinsp-sys] building libs {libs_version} from {} in {}",
            src.display(),
            cache.display()
        );
        let mut cfg = cmake::Config::new(src);
        cfg.out_dir(&cache)
            .profile("Release")
            .no_default_flags(true)
            .build_target("sinsp-example");
        for (k, v) in &defines {
            cfg.define(k, v);
        }
        cfg.build();
        fs::write(&complete, format!("{}\n", t.elapsed().as_secs())).unwrap();
        println!(
            "cargo:warning=libs {libs_version}: built in {} s into {}",
            t.elapsed().as_secs(),
            cache.display()
        );
    }

    let example_dir = build.join("libsinsp/examples");
    let cmake_dir = example_dir.join("CMakeFiles/sinsp-example.dir");
    let link_txt =
        fs::read_to_string(cmake_dir.join("link.txt")).expect("read sinsp-example link.txt");
    let flags_make =
        fs::read_to_string(cmake_dir.join("flags.make")).expect("read sinsp-example flags.make");

    // Static archives and system libraries exactly as CMake links sinsp-example.
    let mut archives = Vec::new();
    let mut dylibs: Vec<String> = Vec::new();
    for tok in link_txt.split_whitespace().map(|t| t.trim_matches('"')) {
        if tok.ends_with(".a") {
            let p = example_dir.join(tok);
            let p = fs::canonicalize(&p).unwrap_or(p);
            if !archives.contains(&p) {
                archives.push(p);
            }
        } else if let Some(name) = tok.strip_prefix("-l") {
            push_unique(&mut dylibs, name.to_string());
        } else if tok.contains(".so") && tok.starts_with('/') {
            let file = Path::new(tok)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let name = file
                .trim_start_matches("lib")
                .split(".so")
                .next()
                .unwrap()
                .to_string();
            push_unique(&mut dylibs, name);
        }
    }
    assert!(
        !archives.is_empty(),
        "no static archive found in {}",
        cmake_dir.join("link.txt").display()
    );

    // One archive from all of libs' archives: within a single archive the linker resolves
    // symbols regardless of member order, so the inter-library order of CMake does not matter.
    let combined = out_dir.join("libsinspqa_libs.a");
    let _ = fs::remove_file(&combined);
    let mut mri = format!("CREATE {}\n", combined.display());
    for a in &archives {
        let _ = writeln!(mri, "ADDLIB {}", a.display());
    }
    mri.push_str("SAVE\nEND\n");
    let mri_path = out_dir.join("combine.mri");
    fs::write(&mri_path, mri).unwrap();
    let st = Command::new("ar")
        .arg("-M")
        .stdin(File::open(&mri_path).unwrap())
        .status()
        .expect("run ar");
    assert!(st.success(), "ar -M failed combining libs archives");

    // Compile the shim with the same include paths and defines CMake used for sinsp-example.
    let includes: Vec<PathBuf> = make_var(&flags_make, "CXX_INCLUDES")
        .split_whitespace()
        .filter_map(|t| t.strip_prefix("-I"))
        .map(PathBuf::from)
        .collect();
    let defines_cxx: Vec<String> = make_var(&flags_make, "CXX_DEFINES")
        .split_whitespace()
        .filter_map(|t| t.strip_prefix("-D"))
        .map(|d| d.replace("\\\"", "\""))
        .collect();
    let mut cc = cc::Build::new();
    cc.cpp(true)
        .file(manifest.join("shim/shim.cpp"))
        .include(manifest.join("shim"))
        .flag("-std=c++17")
        .flag("-fno-strict-aliasing")
        .define("MINIMAL_BUILD", None)
        .define("NDEBUG", None)
        .define(
            "SINSPQA_LIBS_VERSION",
            Some(format!("\"{libs_version}\"").as_str()),
        )
        .define(
            "SINSPQA_SCHEMA_VERSION_MAJOR",
            Some(libs.schema.0.to_string().as_str()),
        )
        .define(
            "SINSPQA_SCHEMA_VERSION_MINOR",
            Some(libs.schema.1.to_string().as_str()),
        )
        .opt_level(2)
        .warnings(false);
    if let Some(san) = &sanitize {
        cc.compiler("clang++");
        for f in san.compile_flags() {
            cc.flag(&f);
        }
    }
    for i in &includes {
        cc.include(i);
    }
    for d in &defines_cxx {
        match d.split_once('=') {
            Some((k, v)) => cc.define(k, Some(v)),
            None => cc.define(d, None),
        };
    }
    cc.compile("sinspqa_shim");
    if sanitize.is_some() {
        // What scripts/fuzz needs to build a C++ target against this shim and libs build.
        let mut info = String::new();
        for i in &includes {
            let _ = writeln!(info, "include={}", i.display());
        }
        for d in &defines_cxx {
            let _ = writeln!(info, "define={d}");
        }
        let _ = writeln!(
            info,
            "sinsp_example={}",
            build.join("libsinsp/examples/sinsp-example").display()
        );
        fs::write(out_dir.join("sanitized-build.txt"), info).expect("write sanitized-build.txt");
    }

    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-lib=static=sinspqa_libs");
    for d in &dylibs {
        println!("cargo:rustc-link-lib=dylib={d}");
    }
    println!("cargo:rustc-link-lib=dylib=stdc++");

    // Bindings for the shim and the libscap types it exposes.
    let mut bg = bindgen::Builder::default()
        .header(manifest.join("shim/shim.h").display().to_string())
        .allowlist_function("sq_.*")
        .allowlist_type("sq_.*")
        .allowlist_type("scap_stats")
        .allowlist_type("ppm_.*")
        .allowlist_var("PPM_.*|EC_.*|EF_.*|PT_.*|PF_.*|SQ_.*")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .layout_tests(false)
        .clang_arg("-DMINIMAL_BUILD")
        .clang_arg(format!("-DSINSPQA_SCHEMA_VERSION_MAJOR={}", libs.schema.0))
        .clang_arg(format!("-DSINSPQA_SCHEMA_VERSION_MINOR={}", libs.schema.1));
    for i in &includes {
        bg = bg.clang_arg(format!("-I{}", i.display()));
    }
    bg.generate()
        .expect("bindgen on shim.h")
        .write_to_file(out_dir.join("bindings.rs"))
        .expect("write bindings");

    let example = example_dir.join("sinsp-example");
    println!(
        "cargo:rustc-env=SINSP_SYS_SINSP_EXAMPLE={}",
        example.display()
    );
    println!("cargo:rustc-env=SINSP_SYS_LIBS_SOURCE={}", src.display());
    println!("cargo:rustc-env=SINSP_SYS_LIBS_BUILD={}", build.display());
    println!("cargo:rustc-env=SINSP_SYS_LIBS_VERSION={libs_version}");
    println!("cargo:rustc-env=SINSP_SYS_LIBS_COMMIT={}", libs.commit);
    println!("cargo:rustc-env=SINSP_SYS_LIBS_ORIGIN={}", libs.origin);
    println!(
        "cargo:rustc-env=SINSP_SYS_LIBS_SCHEMA={}.{}.{}",
        libs.schema.0, libs.schema.1, libs.schema.2
    );
    println!("cargo:root={}", cache.display());
    drop(lock); // closing the file releases the lock
}

/// The sanitizers `SINSPQA_SANITIZE` asks for (see the crate doc).
struct Sanitize {
    address: bool,
    undefined: bool,
    fuzzer: bool,
}

/// Phase 0: read `SINSPQA_SANITIZE`; `None` for the normal build (unset or empty).
fn sanitize_option() -> Option<Sanitize> {
    let v = env::var("SINSPQA_SANITIZE").unwrap_or_default();
    let mut san = Sanitize {
        address: false,
        undefined: false,
        fuzzer: false,
    };
    for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item {
            "address" => san.address = true,
            "undefined" => san.undefined = true,
            "fuzzer" => san.fuzzer = true,
            other => panic!(
                "SINSPQA_SANITIZE={v}: unknown sanitizer {other:?} (address, undefined, fuzzer)"
            ),
        }
    }
    (san.address || san.undefined || san.fuzzer).then_some(san)
}

impl Sanitize {
    /// Flags beyond libs' `USE_ASAN`/`USE_UBSAN` for every C/C++ file (libs' and the shim's).
    fn extra_flags(&self) -> Vec<String> {
        let mut f = vec!["-fno-omit-frame-pointer".to_string()];
        if self.fuzzer {
            f.push("-fsanitize=fuzzer-no-link".into());
        }
        f
    }

    /// The CMake options of a sanitized libs build: clang (its runtimes are the ones libFuzzer
    /// and a clang++-linked Rust binary carry), libs' sanitizer options, the extra flags.
    fn cmake_defines(&self) -> Vec<(String, String)> {
        let on = |b: bool| if b { "ON" } else { "OFF" }.to_string();
        let flags = self.extra_flags().join(" ");
        vec![
            ("CMAKE_C_COMPILER".into(), "clang".into()),
            ("CMAKE_CXX_COMPILER".into(), "clang++".into()),
            ("USE_ASAN".into(), on(self.address)),
            ("USE_UBSAN".into(), on(self.undefined)),
            ("CMAKE_C_FLAGS".into(), flags.clone()),
            ("CMAKE_CXX_FLAGS".into(), flags),
        ]
    }

    /// The shim's flags: the same sanitizers as libs.
    fn compile_flags(&self) -> Vec<String> {
        let mut f = self.extra_flags();
        if self.address {
            f.push("-fsanitize=address".into());
        }
        if self.undefined {
            f.push("-fsanitize=undefined".into());
        }
        f
    }
}

/// Takes an exclusive flock(2) on `f`, waiting for other holders (released when `f` closes).
fn flock(f: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open file descriptor; flock has no memory-safety preconditions.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(
        rc,
        0,
        "flock on the libs build cache: {}",
        std::io::Error::last_os_error()
    );
}

/// The libs source a build uses: where it is, how it got there, and what it is.
struct LibsSource {
    /// The source tree CMake configures.
    dir: PathBuf,
    /// What identifies it in the build cache key (the fetch stamp or the checkout's path).
    identity: String,
    /// "0.20.0", "0.25.4", "master", or "custom" for a user's checkout.
    version: String,
    /// The upstream commit, when known.
    commit: String,
    /// "debian", "tarball", "submodule" or "checkout".
    origin: String,
    /// `driver/SCHEMA_VERSION` of the tree: (major, minor, patch).
    schema: (u32, u32, u32),
}

/// Phase 1: find the libs source. `FALCOSECURITY_LIBS_DIR` wins (a tree `scripts/fetch-libs`
/// prepared, known by its stamp, or a user's checkout, used as it is); else `<workspace>/libs`,
/// filled by `scripts/fetch-libs`; else, when `libs` is the checked-out git submodule (a
/// `--recurse-submodules` clone or a cargo git dependency), a patched copy of it that this phase
/// has `scripts/fetch-libs` make in the cache, so no script needs running by hand.
fn libs_source(workspace: &Path) -> LibsSource {
    if let Some(dir) = env::var_os("FALCOSECURITY_LIBS_DIR") {
        let dir = fs::canonicalize(PathBuf::from(&dir)).unwrap_or_else(|e| {
            panic!("FALCOSECURITY_LIBS_DIR={}: {e}", Path::new(&dir).display())
        });
        assert!(
            dir.join("userspace/libsinsp").is_dir(),
            "FALCOSECURITY_LIBS_DIR={} does not look like a falcosecurity/libs checkout",
            dir.display()
        );
        if dir.join(".sinspqa-stamp").is_file() {
            return prepared(dir);
        }
        // cmake/make rebuild incrementally what changed in a developer's tree.
        println!("cargo:rerun-if-changed={}", dir.join("userspace").display());
        println!("cargo:rerun-if-changed={}", dir.join("driver").display());
        let commit = Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(["rev-parse", "HEAD"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        return LibsSource {
            identity: format!("checkout:{}", dir.display()),
            schema: schema_version(&dir),
            dir,
            version: "custom".into(),
            commit,
            origin: "checkout".into(),
        };
    }
    let dir = workspace.join("libs");
    println!(
        "cargo:rerun-if-changed={}",
        dir.join(".sinspqa-stamp").display()
    );
    if dir.join(".sinspqa-stamp").is_file() {
        return prepared(dir);
    }
    if dir.join(".git").exists() && dir.join("userspace/libsinsp").is_dir() {
        let out = Command::new(workspace.join("scripts/fetch-libs"))
            .env_remove("LIBS_DEST")
            .env_remove("LIBS_TARBALL")
            .env_remove("LIBS_VERSION")
            .output()
            .expect("run scripts/fetch-libs for the libs submodule");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "scripts/fetch-libs (patching a copy of the libs submodule) failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dest = stdout
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("dest: "))
            .expect("scripts/fetch-libs names its dest");
        return prepared(PathBuf::from(dest));
    }
    panic!(
        "no libs source in {}: check out the submodule (git submodule update --init libs), or run \
         scripts/fetch-libs (Debian's 0.20.0, or LIBS_TARBALL=<archive>), or set \
         FALCOSECURITY_LIBS_DIR to your libs checkout",
        dir.display()
    );
}

/// A tree `scripts/fetch-libs` prepared: its stamp reads "version commit patches origin".
fn prepared(dir: PathBuf) -> LibsSource {
    let stamp_file = dir.join(".sinspqa-stamp");
    println!("cargo:rerun-if-changed={}", stamp_file.display());
    let stamp = fs::read_to_string(&stamp_file).expect("read .sinspqa-stamp");
    let mut it = stamp.split_whitespace();
    let version = it.next().unwrap_or("unknown").to_string();
    let commit = it.next().unwrap_or("").to_string();
    let _patches = it.next();
    let origin = it.next().unwrap_or("debian").to_string();
    let dir = fs::canonicalize(&dir).unwrap_or(dir);
    LibsSource {
        // the path too: CMake's build tree belongs to one source directory
        identity: format!("pinned:{}@{}", stamp.trim(), dir.display()),
        schema: schema_version(&dir),
        dir,
        version,
        commit,
        origin,
    }
}

/// `driver/SCHEMA_VERSION` ("3.5.0" at libs 0.20, "4.5.1" at master): libs has no version
/// header usable in `#if`, so the shim gets this as defines.
fn schema_version(dir: &Path) -> (u32, u32, u32) {
    let text = fs::read_to_string(dir.join("driver/SCHEMA_VERSION")).unwrap_or_default();
    let mut it = text
        .trim()
        .split('.')
        .map(|n| n.parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

fn make_var(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .and_then(|r| r.trim_start().strip_prefix('='))
        })
        .unwrap_or("")
        .trim()
        .to_string()
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn which(prog: &str) -> Option<PathBuf> {
    env::var_os("PATH").and_then(|paths| {
        env::split_paths(&paths)
            .map(|p| p.join(prog))
            .find(|p| p.is_file())
    })
}
