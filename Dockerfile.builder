# The builder image: everything needed to build falcosecurity/libs, the Rust crates and scap.ko, and
# to run `cargo test` (live modern eBPF against the host kernel, kmod/legacy eBPF in qemu guests).
# The source is mounted at /src, caches (libs builds, cargo registry and target, kernels) live in
# the volume mounted at /cache. `make` (scripts/container) drives it; see the README.
#
# Base: Debian trixie. Its rustc/cargo 1.85 are the project's rust-version (Cargo.lock is resolved
# for it) and come from Debian's own archive (no rustup download); bookworm's rustc 1.63 is too old
# and trixie's rustc on bookworm drags in trixie's libc and libstdc++. trixie also ships libbpf 1.5
# (libs 0.20's modern probe needs >= 1.3), clang 19 for the probes, and gcc-12 for bookworm kernels'
# headers (the VM matrix). Where no registry is reachable, scripts/base-image builds this tag locally.
ARG BASE=debian:trixie-slim
FROM ${BASE}

ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
# Tools the scripts and tests call, then the project's own dependency installer (the same one the
# host uses) for libs' build deps and the VM matrix's qemu/busybox/kmod.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      ca-certificates make patch xz-utils zstd gzip cpio procps rustc cargo >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY scripts/private-apt scripts/install-deps /opt/sinspqa/scripts/
RUN /opt/sinspqa/scripts/install-deps vm \
 && rm -rf /root/.cache/sinspqa /var/cache/apt/archives/*.deb

ENV SINSPQA_CACHE=/cache/sinspqa CARGO_HOME=/cache/cargo CARGO_TARGET_DIR=/cache/target
VOLUME /cache
WORKDIR /src
CMD ["make", "test"]
