/*
 * sinspqa shim: the small C surface over libsinsp (C++) that Rust binds.
 *
 * Conventions (see sys/README in the crate docs):
 *  - Handles are opaque pointers; all pointer arguments are non-NULL unless stated.
 *  - No C++ exception crosses this boundary: every call that can fail returns an
 *    `int32_t` status (SQ_OK or a negative SQ_E* code) and fills `sq_error`.
 *  - Memory returned inside `sq_event` (name, raw event, fields) is owned by the
 *    inspector and valid only until the next call on the same handle.
 *  - A handle is not thread-safe: use it from one thread at a time.
 */
#ifndef SINSPQA_SHIM_H
#define SINSPQA_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include <driver/ppm_events_public.h>
#include <libscap/scap.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sq_inspector sq_inspector;

/* Return codes of the shim. Positive values are non-error outcomes of sq_next. */
enum sq_status {
	SQ_OK = 0,
	SQ_TIMEOUT = 1,  /* no event available right now (live engines) */
	SQ_EOF = 2,      /* end of a capture file */
	SQ_FILTERED = 3, /* an event was read but rejected by the filter */
	SQ_E_GENERIC = -1,
	SQ_E_FILTER = -2,        /* the filter does not compile */
	SQ_E_FIELD = -3,         /* an unknown field name */
	SQ_E_OPEN = -4,          /* engine could not be opened (see scap_rc) */
	SQ_E_READ = -5,          /* an error while reading events */
	SQ_E_NOT_SUPPORTED = -6, /* engine not compiled in */
	SQ_E_DUMP = -7,          /* the dump file could not be written */
};

/* Error details filled by a failing call. */
typedef struct sq_error {
	int32_t code;    /* one of sq_status (negative) */
	int32_t scap_rc; /* libscap return code when known, else 0 */
	int32_t os_errno; /* the errno libscap formatted into its message (": <strerror>" at its end), else errno
	                   * captured right after the failure; 0 if none */
	int32_t item;     /* the index of the failing item (sq_set_fields: the field), -1 if none */
	char msg[1024];   /* libs' message, NUL-terminated */
} sq_error;

/* Kinds of an extracted field value (mirrors what sinsp's JSON formatter emits). */
enum sq_value_kind {
	SQ_V_NULL = 0,
	SQ_V_I64 = 1,
	SQ_V_U64 = 2,
	SQ_V_F64 = 3,
	SQ_V_BOOL = 4,
	SQ_V_STR = 5,  /* s/len: a string */
	SQ_V_JSON = 6, /* s/len: JSON text of a list or object */
	SQ_V_STR_STATIC = 7, /* s/len: an ASCII string with static storage (valid for the process's life) */
	SQ_V_STR_ASCII = 8,  /* s/len: a string of ASCII characters only */
};

typedef struct sq_value {
	uint32_t kind;
	uint32_t len;
	int64_t i;
	uint64_t u;
	double d;
	const char* s;
} sq_value;

/* The current event. */
typedef struct sq_event {
	uint64_t num;
	uint64_t ts;
	int64_t tid;
	uint16_t type;     /* ppm_event_code */
	uint8_t dir;       /* 0 = enter '>', 1 = exit '<' */
	uint8_t is_main_thread; /* 1 when the thread is known and is the main thread of its process */
	uint32_t category; /* ppm_event_category with EC_* flags */
	uint16_t cpu;
	const char* name; /* event type name as evt.type reports it */
	uint8_t name_is_static; /* 1: `name` has static storage; 0: it lives in the event (async events) */
	/* The event as libscap encodes it: header (struct ppm_evt_hdr), the parameters' lengths
	 * (uint16_t each, uint32_t for EF_LARGE_PAYLOAD events), then their bytes; `raw_len` bytes. */
	const uint8_t* raw;
	uint32_t raw_len;
	uint32_t nfields;
	const sq_value* fields; /* in the order given to sq_set_fields */
} sq_event;

/* Lifecycle */
sq_inspector* sq_new(sq_error* err);
void sq_free(sq_inspector* h);

/* Configuration, before opening. */
int32_t sq_set_filter(sq_inspector* h, const char* filter, sq_error* err);
int32_t sq_set_fields(sq_inspector* h, const char* const* names, size_t n, sq_error* err);
void sq_set_import_users(sq_inspector* h, int on);
/* Ask the kernel only for the syscalls and tracepoints that produce the events named in
 * `names` (evt.type names: "openat", "signaldeliver", "page_fault"; the generic event's calls by
 * their syscall name, "uname"), plus what libsinsp's state needs and what the filter references,
 * instead of what `syscalls_all` says at open. The names that no syscall or tracepoint produces
 * are written to `unknown` (comma separated, NUL-terminated, cut to `unknown_len`). */
int32_t sq_select_events(sq_inspector* h, const char* const* names, size_t n, char* unknown, size_t unknown_len,
                         sq_error* err);

/* Engines. `buffer_bytes` = 0 picks libs' default. `syscalls_all` = 1 activates every syscall and tracepoint libs knows
 * but page faults and sched_switch;
 * 0 activates the set libsinsp needs for its state plus what the filter references. */
int32_t sq_open_modern_bpf(sq_inspector* h, uint64_t buffer_bytes, uint16_t cpus_for_each_buffer, int syscalls_all,
                           sq_error* err);
int32_t sq_open_kmod(sq_inspector* h, uint64_t buffer_bytes, int syscalls_all, sq_error* err);
int32_t sq_open_bpf(sq_inspector* h, const char* probe_path, uint64_t buffer_bytes, int syscalls_all, sq_error* err);
int32_t sq_open_savefile(sq_inspector* h, const char* path, sq_error* err);
/* libs' log lines (libscap, libpman, libbpf: a refused program's verifier log among them) written while the
 * last sq_open_* on `h` ran, successful or not; `*len` bytes, NUL-terminated, valid until the next open. */
const char* sq_open_log(const sq_inspector* h, size_t* len);

/* Write every event returned by sq_next (filtered ones excluded) to a .scap file. */
int32_t sq_dump_open(sq_inspector* h, const char* path, int compress, sq_error* err);
int32_t sq_dump_close(sq_inspector* h, sq_error* err);

int32_t sq_start(sq_inspector* h, sq_error* err);
int32_t sq_stop(sq_inspector* h, sq_error* err);
/* Closes the engine (detaches BPF programs, closes devices and files). Idempotent. */
void sq_close(sq_inspector* h);

/* Next event: SQ_OK fills `out`; SQ_TIMEOUT / SQ_EOF / SQ_FILTERED leave it untouched. */
int32_t sq_next(sq_inspector* h, sq_event* out, sq_error* err);

/* The raw libsinsp loop (benchmark reference): calls next() in C++ until end of file,
 * `max_events` events, or `max_ns` nanoseconds (0 = no limit), extracting nothing; counts events. */
int32_t sq_count_loop(sq_inspector* h, uint64_t max_events, uint64_t max_ns, uint64_t* events, sq_error* err);

/* Driver-side counters of the open engine. */
int32_t sq_stats(sq_inspector* h, scap_stats* out, sq_error* err);

/* Events whose header's length disagreed with what their params account for (corrupt input): each
 * was handed out with `raw_len` cut to its params' extent, never past the event's bytes. */
uint64_t sq_corrupt_events(const sq_inspector* h);

/* Bytes read so far from a capture file, and its total size (0 when not a file). */
void sq_file_progress(sq_inspector* h, uint64_t* read_bytes, uint64_t* total_bytes);

/* libs' event table: `*n` receives the number of entries (indexed by ppm_event_code). */
const struct ppm_event_info* sq_event_table(uint32_t* n);

/* Whether engines are compiled in, and a runtime probe of the modern eBPF support of this kernel. */
int sq_has_engine(const char* name);
int sq_modern_bpf_supported(void);

/* libs version string, e.g. "0.20.0". */
const char* sq_libs_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SINSPQA_SHIM_H */
