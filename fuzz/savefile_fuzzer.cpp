/*
 * libFuzzer target: each input is a capture file replayed through the shim's savefile path, the
 * way the Rust capture core replays one (sq_new, sq_set_fields with the default fields,
 * sq_open_savefile, sq_start, sq_next until EOF or an error, sq_close, sq_free).
 *
 * Every byte the shim hands out is read (the raw event, `raw_len` bytes, and each string field,
 * `len` bytes), as the Rust side copies them: under AddressSanitizer a length the shim trusts past
 * the event's bytes is a report here, not silent garbage.
 *
 * The input goes into a memfd and libscap opens it by its /proc/self/fd path (a fresh open file
 * description each time, offset 0): no temporary files. Built and run by scripts/fuzz against the
 * sanitized libs build (SINSPQA_SANITIZE=address,undefined,fuzzer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim.h"

namespace {

/* src/capture.rs DEFAULT_FIELDS: what a default capture extracts. */
const char* const k_fields[] = {
        "evt.num",  "evt.time",  "evt.category", "evt.type",     "evt.dir",
        "evt.res",  "proc.name", "proc.pid",     "proc.ppid",    "thread.tid",
        "proc.exepath", "proc.cmdline", "user.uid", "fd.name", "evt.args",
};

/* Events replayed per input at most: a long valid capture must not make one input take seconds. */
const uint64_t k_max_events = 20000;

int input_fd() {
	static int fd = memfd_create("sinspqa-fuzz", 0);
	return fd;
}

/* Reads every byte so ASan checks the whole range; the sum keeps the reads alive. */
volatile uint64_t g_sink;
void touch(const void* p, size_t n) {
	const volatile uint8_t* b = static_cast<const volatile uint8_t*>(p);
	uint64_t s = 0;
	for(size_t i = 0; i < n; i++) {
		s += b[i];
	}
	g_sink = g_sink + s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
	int fd = input_fd();
	if(fd < 0 || ftruncate(fd, 0) != 0) {
		perror("memfd");
		return 0;
	}
	size_t off = 0;
	while(off < size) {
		ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
		if(w <= 0) {
			perror("pwrite");
			return 0;
		}
		off += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	sq_error err;
	sq_inspector* h = sq_new(&err);
	if(h == nullptr) {
		return 0;
	}
	if(sq_set_fields(h, k_fields, sizeof(k_fields) / sizeof(k_fields[0]), &err) == SQ_OK &&
	   sq_open_savefile(h, path, &err) == SQ_OK && sq_start(h, &err) == SQ_OK) {
		sq_event ev;
		for(uint64_t n = 0; n < k_max_events; n++) {
			int32_t rc = sq_next(h, &ev, &err);
			if(rc == SQ_TIMEOUT || rc == SQ_FILTERED) {
				continue;
			}
			if(rc != SQ_OK) {
				break; /* SQ_EOF, or a read error: the end of this capture */
			}
			touch(ev.raw, ev.raw_len);
			if(ev.name != nullptr) {
				touch(ev.name, strnlen(ev.name, 4096));
			}
			for(uint32_t i = 0; i < ev.nfields; i++) {
				const sq_value& v = ev.fields[i];
				if(v.s != nullptr) {
					touch(v.s, v.len);
				}
			}
		}
	}
	sq_close(h);
	sq_free(h);
	return 0;
}
