// sinspqa shim: see shim.h for the conventions. Every extern "C" function catches every C++
// exception and turns it into an error code + message.
#include "shim.h"

#include <libsinsp/sinsp.h>
#include <libsinsp/dumper.h>
#include <libsinsp/filter.h>
#include <libsinsp/scap_open_exception.h>
#include <libscap/scap_engines.h>
#include <json/json.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

extern "C" bool pman_check_support();

struct sq_inspector {
	sinsp inspector;
	std::unique_ptr<sinsp_filter_check_list> filter_list;
	std::shared_ptr<sinsp_filter_factory> filter_factory;
	std::vector<std::unique_ptr<sinsp_filter_check>> checks;
	std::vector<bool> fast;  // per field: extract raw values directly (see extract_fast)
	std::vector<int> direct;  // per field: a direct_kind read without the filtercheck
	std::vector<extract_value_t> extracted;
	std::vector<sq_value> values;
	std::vector<std::string> strings;  // backing storage of string values, one per field
	std::vector<char> args;  // backing storage of evt.args (see args_out)
	std::string filter_string;
	std::unique_ptr<sinsp_dumper> dumper;
	Json::FastWriter writer;
	uint64_t corrupt_events = 0;  // events whose header's len disagrees with their params (see event_extent)
	uint32_t cur_extent = 0;      // event_extent of the event being extracted: no param is read past it
	bool cur_strict = false;      // its lengths disagree: no param outside its bytes is read
	std::string open_log;  // libs' log lines while the last sq_open_* ran (see sq_open_log)
	// The syscalls and tracepoints asked of the kernel when a selection is set (see
	// sq_select_events); none: `syscalls_all` decides.
	std::unique_ptr<libsinsp::events::set<ppm_sc_code>> selection;
	bool opened = false;
	bool started = false;
	uint64_t file_size = 0;

	sq_inspector():
	        filter_list(new sinsp_filter_check_list()),
	        filter_factory(new sinsp_filter_factory(&inspector, *filter_list)) {}
};

namespace {

void set_err(sq_error* err, int32_t code, const char* msg, int32_t scap_rc = 0, int os_errno = 0) {
	if(err == nullptr) {
		return;
	}
	err->code = code;
	err->scap_rc = scap_rc;
	err->os_errno = os_errno;
	err->item = -1;
	snprintf(err->msg, sizeof(err->msg), "%s", msg ? msg : "unknown error");
}

void clear_err(sq_error* err) {
	if(err != nullptr) {
		err->code = SQ_OK;
		err->scap_rc = 0;
		err->os_errno = 0;
		err->item = -1;
		err->msg[0] = '\0';
	}
}

// libs' log while an engine opens. libbpf's messages (the verifier's log of a refused program among
// them) reach libpman's print hook, then libscap's log_fn, then libsinsp's logger; its callback is a
// plain function pointer, so the buffer of the open under way is found through a thread-local.
thread_local std::string* t_open_log = nullptr;
constexpr size_t OPEN_LOG_MAX = 1 << 20;      // the log kept: its last 1 MiB
constexpr size_t OPEN_LOG_MSG_MAX = 64 << 10;  // one message kept: its first 8 KiB and last 56 KiB

void open_log_callback(std::string&& msg, sinsp_logger::severity) {
	std::string* log = t_open_log;
	if(log == nullptr) {
		return;
	}
	if(msg.size() > OPEN_LOG_MSG_MAX) {
		size_t head = 8 << 10, tail = OPEN_LOG_MSG_MAX - head;
		std::string cut = msg.substr(0, head);
		cut += "\n[... " + std::to_string(msg.size() - head - tail) + " bytes cut ...]\n";
		cut.append(msg, msg.size() - tail, tail);
		msg = std::move(cut);
	}
	log->append(msg);
	if(msg.empty() || msg.back() != '\n') {
		log->push_back('\n');
	}
	if(log->size() > OPEN_LOG_MAX) {
		log->erase(0, log->size() - OPEN_LOG_MAX);
	}
}

// While alive, libs' log lines of this thread go into `buf` (cleared first), at least at INFO.
class open_log_capture {
public:
	explicit open_log_capture(std::string& buf): m_prev(libsinsp_logger()->get_severity()) {
		static std::once_flag once;
		std::call_once(once, [] {
			libsinsp_logger()->disable_timestamps();
			libsinsp_logger()->add_callback_log(open_log_callback);
		});
		buf.clear();
		if(m_prev < sinsp_logger::SEV_INFO) {
			libsinsp_logger()->set_severity(sinsp_logger::SEV_INFO);
		}
		t_open_log = &buf;
	}
	~open_log_capture() {
		t_open_log = nullptr;
		libsinsp_logger()->set_severity(m_prev);
	}
	open_log_capture(const open_log_capture&) = delete;
	open_log_capture& operator=(const open_log_capture&) = delete;

private:
	sinsp_logger::severity m_prev;
};

// The bytes of an event that its encoding accounts for: the header, the params' lengths and the
// params' bytes, as libsinsp's load_params reads them. The header's `len` comes from a driver or a
// capture file and is not trusted: it is believed only as far as the params account for it (a
// corrupt one, larger than the event, made the caller copy past the event's buffer). The lengths
// read here are the ones libsinsp itself has read for this event (at most PPM_MAX_EVENT_PARAMS).
constexpr uint64_t MAX_SMALL_EVENT = 64 * 1024;

uint32_t event_extent(const scap_evt* se) {
	const uint32_t hdr = (uint32_t)sizeof(scap_evt);
	if(se->len < hdr || se->nparams > PPM_MAX_EVENT_PARAMS) {
		return se->len < hdr ? se->len : hdr;
	}
	const ppm_event_info* info =
	        se->type < PPM_EVENT_MAX ? &scap_get_event_info_table()[se->type] : nullptr;
	const bool large = info != nullptr && (info->flags & EF_LARGE_PAYLOAD) != 0;
	const uint8_t* lens = (const uint8_t*)se + hdr;
	uint64_t at = hdr + (uint64_t)se->nparams * (large ? 4 : 2);
	if(at > se->len) {
		return hdr;
	}
	for(uint32_t i = 0; i < se->nparams; i++) {
		uint32_t l;
		if(large) {
			memcpy(&l, lens + 4 * i, 4);
		} else {
			uint16_t l16;
			memcpy(&l16, lens + 2 * i, 2);
			l = l16;
		}
		at += l;
		if(at > se->len) {
			return se->len;  // the params claim more than the header: the smaller one is copied
		}
	}
	// Without EF_LARGE_PAYLOAD no engine makes an event over 64 KiB (libscap's savefile reader and
	// the modern probe: MAX_EVENT_SIZE); a header and params that both claim more are both corrupt.
	if(!large && at > MAX_SMALL_EVENT) {
		return hdr;
	}
	return (uint32_t)at;
}

// The bytes an event's encoding claims: header, lengths and every param's claimed length (may be
// more than the event holds when it is corrupt).
uint64_t event_claimed(const scap_evt* se) {
	const uint32_t hdr = (uint32_t)sizeof(scap_evt);
	if(se->len < hdr || se->nparams > PPM_MAX_EVENT_PARAMS) {
		return hdr;
	}
	const ppm_event_info* info =
	        se->type < PPM_EVENT_MAX ? &scap_get_event_info_table()[se->type] : nullptr;
	const bool large = info != nullptr && (info->flags & EF_LARGE_PAYLOAD) != 0;
	const uint8_t* lens = (const uint8_t*)se + hdr;
	uint64_t at = hdr + (uint64_t)se->nparams * (large ? 4 : 2);
	if(at > se->len) {
		return at;
	}
	for(uint32_t i = 0; i < se->nparams; i++) {
		uint32_t l;
		if(large) {
			memcpy(&l, lens + 4 * i, 4);
		} else {
			uint16_t l16;
			memcpy(&l16, lens + 2 * i, 2);
			l = l16;
		}
		at += l;
	}
	return at;
}

// The errno libscap formatted into `msg` (scap_errprintf ends its message with ": " and strerror(errno)),
// else `fallback` (errno right after the failure).
int errno_of_message(const char* msg, int fallback) {
	size_t n = msg ? strlen(msg) : 0;
	for(int e = 1; e < 134; e++) {
		const char* s = strerror(e);
		size_t k = strlen(s);
		if(n >= k + 2 && memcmp(msg + n - k, s, k) == 0 && msg[n - k - 1] == ' ' && msg[n - k - 2] == ':') {
			return e;
		}
	}
	return fallback;
}

// Runs `f`, mapping exceptions to `code`. Returns SQ_OK or the (negative) code.
template<typename F>
int32_t guarded(sq_error* err, int32_t code, F&& f) {
	clear_err(err);
	errno = 0;
	try {
		return f();
	} catch(const scap_open_exception& e) {
		int os_errno = errno;
		set_err(err, code, e.what(), e.scap_rc(), errno_of_message(e.what(), os_errno));
	} catch(const std::exception& e) {
		int os_errno = errno;
		set_err(err, code, e.what(), 0, errno_of_message(e.what(), os_errno));
	} catch(...) {
		set_err(err, code, "unknown C++ exception", 0, errno);
	}
	return code;
}

libsinsp::events::set<ppm_sc_code> sc_set(sq_inspector* h, int syscalls_all) {
	if(h->selection != nullptr) {
		// What the caller selected, plus what libsinsp's state needs (process tree, fd table,
		// users: the fields the filter and the matchers read) and what the filter references.
		libsinsp::events::set<ppm_sc_code> sc = libsinsp::events::sinsp_state_sc_set();
		sc = sc.merge(*h->selection);
		auto ast = h->inspector.get_filter_ast();
		if(ast != nullptr) {
			sc = sc.merge(libsinsp::filter::ast::ppm_sc_codes(ast.get()));
		}
		return sc;
	}
	if(syscalls_all) {
		// Every syscall and tracepoint libs knows, except the high-volume page-fault and
		// sched_switch tracepoints (off by default in Falco too): they flood the buffers
		// without adding a syscall.
		libsinsp::events::set<ppm_sc_code> all = libsinsp::events::all_sc_set();
		all.remove(PPM_SC_PAGE_FAULT_USER);
		all.remove(PPM_SC_PAGE_FAULT_KERNEL);
		all.remove(PPM_SC_SCHED_SWITCH);
		return all;
	}
	libsinsp::events::set<ppm_sc_code> sc = libsinsp::events::sinsp_state_sc_set();
	auto ast = h->inspector.get_filter_ast();
	if(ast != nullptr) {
		sc = sc.merge(libsinsp::filter::ast::ppm_sc_codes(ast.get()));
	}
	return sc;
}

void fill_value(sq_inspector* h, size_t i, const Json::Value& v) {
	sq_value& out = h->values[i];
	out.len = 0;
	out.s = nullptr;
	switch(v.type()) {
	case Json::nullValue:
		out.kind = SQ_V_NULL;
		break;
	case Json::intValue:
		out.kind = SQ_V_I64;
		out.i = v.asInt64();
		break;
	case Json::uintValue:
		out.kind = SQ_V_U64;
		out.u = v.asUInt64();
		break;
	case Json::realValue:
		out.kind = SQ_V_F64;
		out.d = v.asDouble();
		break;
	case Json::booleanValue:
		out.kind = SQ_V_BOOL;
		out.i = v.asBool() ? 1 : 0;
		break;
	case Json::stringValue: {
		const char* b = nullptr;
		const char* e = nullptr;
		v.getString(&b, &e);
		h->strings[i].assign(b, e - b);
		out.kind = SQ_V_STR;
		out.s = h->strings[i].data();
		out.len = (uint32_t)h->strings[i].size();
		break;
	}
	default: {
		std::string s = h->writer.write(v);
		if(!s.empty() && s.back() == '\n') {
			s.pop_back();
		}
		h->strings[i] = std::move(s);
		out.kind = SQ_V_JSON;
		out.s = h->strings[i].data();
		out.len = (uint32_t)h->strings[i].size();
		break;
	}
	}
}

// Fields whose filtercheck overrides extract_as_js() (time, latency, delta, count), or that
// carry a transformer, go through tojson(); the others can be read raw (extract_fast).
bool fast_path_ok(const std::string& name) {
	static const char* const slow[] = {"evt.time",
	                                   "evt.datetime",
	                                   "evt.rawtime",
	                                   "evt.reltime",
	                                   "evt.latency",
	                                   "evt.deltatime",
	                                   "evt.count",
	                                   "evt.runtime"};
	for(const char* p : slow) {
		if(name.rfind(p, 0) == 0) {
			return false;
		}
	}
	return name.find('(') == std::string::npos;
}

// Hot fields read straight from the event and its thread, without a filtercheck: each case
// mirrors libsinsp 0.20's own extraction (sinsp_filtercheck_event.cpp TYPE_NUMBER/TYPE_TYPE/
// TYPE_DIR, sinsp_filtercheck_gen_event.cpp TYPE_TIME's extract_as_js (the JSON value of evt.time
// is the raw timestamp as Int64), sinsp_filtercheck_thread.cpp TYPE_TID/TYPE_PID/TYPE_NAME/TYPE_EXEPATH/TYPE_CMDLINE;
// thread string fields are not sanitised there either), sinsp_filtercheck_user.cpp TYPE_UID. The
// value kinds are the ones extract_fast/tojson give for those field types. The cross-check tests compare every one
// of them with sinsp-example's output on real captures.
enum direct_kind {
	D_NONE,
	D_NUM,
	D_TIME,
	D_TYPE,
	D_DIR,
	D_TID,
	D_PID,
	D_PPID,
	D_UID,
	D_NAME,
	D_EXEPATH,
	D_CMDLINE,
	D_ARGS,
	D_CATEGORY,
	D_FDNAME,
	D_RES
};

int direct_kind_of(const std::string& name) {
	static const std::pair<const char*, direct_kind> kinds[] = {{"evt.num", D_NUM},
	                                                            {"evt.time", D_TIME},
	                                                            {"evt.type", D_TYPE},
	                                                            {"evt.dir", D_DIR},
	                                                            {"thread.tid", D_TID},
	                                                            {"proc.pid", D_PID},
	                                                            {"proc.ppid", D_PPID},
	                                                            {"user.uid", D_UID},
	                                                            {"proc.name", D_NAME},
	                                                            {"proc.exepath", D_EXEPATH},
	                                                            {"proc.cmdline", D_CMDLINE},
	                                                            {"evt.args", D_ARGS},
	                                                            {"evt.category", D_CATEGORY},
	                                                            {"fd.name", D_FDNAME},
	                                                            {"evt.res", D_RES}};
	for(const auto& k : kinds) {
		if(name == k.first) {
			return k.second;
		}
	}
	return D_NONE;
}

inline bool should_extract_xid(int64_t xid) {
	return xid >= -1 && xid <= UINT32_MAX;
}

void set_str(sq_value& out, const std::string& s) {
	out.kind = SQ_V_STR;
	out.s = s.data();
	out.len = (uint32_t)s.size();
}


// ---- libs API differences, by feature detection (one shim for 0.20.0, 0.25.4 and master) ----
// sinsp_evt_param's m_val/m_len became private behind data()/len() in libs 0.22; the ancestor
// lookup moved from sinsp_threadinfo to the thread manager in 0.23. Each pair of overloads is
// resolved by what the version has: the `int` overload is preferred when its return type is
// well-formed, and the other (`long`) is dropped by SFINAE where its member does not exist or is
// private. Both are templates, so neither body is checked against a version that lacks it.
namespace compat {
template<class P>
auto param_data(const P* p, int) -> decltype(p->data()) {
	return p->data();
}
template<class P>
auto param_data(const P* p, long) -> decltype((const char*)p->m_val) {
	return p->m_val;
}
template<class P>
auto param_len(const P* p, int) -> decltype(p->len()) {
	return p->len();
}
template<class P>
auto param_len(const P* p, long) -> decltype(p->m_len) {
	return p->m_len;
}
template<class I, class T>
auto parent_process(I&, T* ti, int) -> decltype(ti->get_ancestor_process()) {
	return ti->get_ancestor_process();
}
template<class I, class T>
auto parent_process(I& insp, T* ti, long) -> decltype(insp.m_thread_manager->get_ancestor_process(*ti)) {
	return insp.m_thread_manager->get_ancestor_process(*ti);
}
// Since 0.22 an empty param prints "NULL" or "<NA>" by its type, and an empty or "(NULL)"
// string-like param (libsinsp's legacy null encoding) prints "<NA>": such params are left to
// libsinsp's own rendering. 0.20 printed every empty param as "NULL" (rendered here).
template<class P>
auto defer_empty(const P* p, int) -> decltype(p->used_legacy_null_encoding()) {
	return p->len() == 0 || p->used_legacy_null_encoding();
}
template<class P>
bool defer_empty(const P*, long) {
	return false;
}
}  // namespace compat

// The raw bytes and length of a parameter, whatever the libs version.
// Whether libsinsp's view of a param can be read. In a well-formed event (its params' lengths
// add up to its header's length) every param is libsinsp's to vouch for: some live in its own
// storage (params it fills in). In a corrupt one (`strict`), only a param inside the bytes the
// event has (`extent`) is read.
bool param_within(sinsp_evt* ev, const sinsp_evt_param* p, bool strict, uint32_t extent) {
	const uint64_t l = (uint64_t)compat::param_len(p, 0);
	if(!strict || l == 0) {
		return true;
	}
	const char* lo = (const char*)ev->get_scap_evt();
	const char* d = compat::param_data(p, 0);
	return d >= lo && (uint64_t)(d - lo) + l <= extent;
}

static inline const char* pdata(const sinsp_evt_param* p) {
	return compat::param_data(p, 0);
}
static inline uint32_t plen(const sinsp_evt_param* p) {
	return (uint32_t)compat::param_len(p, 0);
}

template<typename T>
T read_raw(const uint8_t* p) {
	T v;
	memcpy(&v, p, sizeof(T));
	return v;
}

// The parameter as the C type T, widened to int64_t; false when its length is not sizeof(T).
template<typename T>
bool read_param(const sinsp_evt_param* p, int64_t* v) {
	if(plen(p) != sizeof(T)) {
		return false;
	}
	*v = read_raw<T>((const uint8_t*)pdata(p));
	return true;
}

// evt.category: sinsp_filtercheck_event.cpp TYPE_CATEGORY's names.
const char* category_name(sinsp_evt* ev) {
	sinsp_evt::category cat;
	ev->get_category(&cat);
	switch(cat.m_category) {
	case EC_UNKNOWN:
		return "unknown";
	case EC_OTHER:
		return "other";
	case EC_FILE:
		return "file";
	case EC_NET:
		return "net";
	case EC_IPC:
		return "IPC";
	case EC_MEMORY:
		return "memory";
	case EC_PROCESS:
		return "process";
	case EC_SLEEP:
		return "sleep";
	case EC_SYSTEM:
		return "system";
	case EC_SIGNAL:
		return "signal";
	case EC_USER:
		return "user";
	case EC_TIME:
		return "time";
	case EC_PROCESSING:
		return "processing";
	case EC_IO_READ:
	case EC_IO_WRITE:
	case EC_IO_OTHER:
		switch(cat.m_subcategory) {
		case sinsp_evt::SC_FILE:
			return "file";
		case sinsp_evt::SC_NET:
			return "net";
		case sinsp_evt::SC_IPC:
			return "ipc";
		default:
			return "unknown";
		}
	case EC_WAIT:
		return "wait";
	case EC_SCHEDULER:
		return "scheduler";
	case EC_INTERNAL:
		return "internal";
	case EC_SYSCALL:
		return "syscall";
	case EC_TRACEPOINT:
		return "tracepoint";
	case EC_PLUGIN:
		return "plugin";
	case EC_METAEVENT:
		return "meta";
	default:
		return "unknown";
	}
}

// Whether sanitize_string keeps the character (g_invalidchar: !isprint). A table filled by
// isprint itself once, so it follows the same locale without a libc call per character.
const std::array<bool, 256>& printable() {
	static const auto table = [] {
		std::array<bool, 256> t{};
		for(int i = 0; i < 256; i++) {
			t[i] = isprint(i) != 0;
		}
		return t;
	}();
	return table;
}

// Copies `n` bytes of `in` to `d` without the characters sanitize_string removes; returns the
// end of what was written.
char* copy_sanitized(char* d, const char* in, size_t n) {
	const auto& keep = printable();
	for(size_t i = 0; i < n; i++) {
		*d = in[i];
		d += keep[(unsigned char)in[i]];
	}
	return d;
}

// Appends `in` without the characters sanitize_string removes.
void append_sanitized(std::string& out, const std::string& in) {
	const size_t start = out.size();
	out.resize(start + in.size());
	char* d = copy_sanitized(&out[start], in.data(), in.size());
	out.resize(d - out.data());
}

// Where evt.args is written: a reused char buffer (the inspector's `args`) filled through a
// cursor, growing only when a text does not fit. It replaces std::string appends, whose
// out-of-line capacity bookkeeping per piece was most of the renderer's cost.
class args_out {
public:
	explicit args_out(std::vector<char>& buf): m_buf(buf) {
		if(m_buf.size() < 4096) {
			m_buf.resize(4096);
		}
	}
	// Room for `k` more bytes at the cursor.
	char* room(size_t k) {
		if(m_n + k > m_buf.size()) {
			m_buf.resize(std::max(m_buf.size() * 2, m_n + k));
		}
		return m_buf.data() + m_n;
	}
	void put(const char* s, size_t k) {
		memcpy(room(k), s, k);
		m_n += k;
	}
	void put(const char* s) { put(s, strlen(s)); }
	void put(char c) {
		*room(1) = c;
		m_n++;
	}
	void put_i64(int64_t v) {
		char* p = room(24);
		m_n = std::to_chars(p, p + 24, v).ptr - m_buf.data();
	}
	void put_sanitized(const std::string& in) {
		m_n = copy_sanitized(room(in.size()), in.data(), in.size()) - m_buf.data();
	}
	// "(ENOENT)": a negative value's errno name as the resolved text, when errno_to_str knows it.
	void put_errno_name(int64_t v) {
		const char* e = sinsp_utils::errno_to_str((int32_t)v);
		if(e[0] != 0) {
			put('(');
			put(e);
			put(')');
		}
	}
	size_t size() const { return m_n; }
	const char* data() const { return m_buf.data(); }
	void pop_back() { m_n--; }

private:
	std::vector<char>& m_buf;
	size_t m_n = 0;
};

// The length of each parameter name of each event type, measured once (`strlen` past the
// table's bounds, which libsinsp itself does not expect).
size_t param_name_len(uint16_t type, uint32_t j, const char* name) {
	if(type >= PPM_EVENT_MAX || j >= PPM_MAX_EVENT_PARAMS) {
		return strlen(name);
	}
	static const auto lens = [] {
		const ppm_event_info* info = scap_get_event_info_table();
		std::vector<std::array<uint8_t, PPM_MAX_EVENT_PARAMS>> t(PPM_EVENT_MAX);
		for(size_t e = 0; e < PPM_EVENT_MAX; e++) {
			for(uint32_t k = 0; k < info[e].nparams && k < PPM_MAX_EVENT_PARAMS; k++) {
				t[e][k] = (uint8_t)strlen(info[e].params[k].name);
			}
		}
		return t;
	}();
	return lens[type][j];
}

// What render_param did with a parameter.
enum render_outcome {
	R_FALLBACK,  // nothing: not handled here, render it with get_param_as_str
	R_SCRATCH,   // rendered; its text is not in the event's storage (the caller puts it there)
	R_STORED,    // rendered; its text is in the event's storage, as libsinsp leaves it
};

// Appends one parameter as sinsp_evt::get_param_as_str (event.cpp) renders it, followed by
// "(resolved)" when that has a resolved text, as TYPE_ARGS appends them; for the types whose
// rendering is mirrored here: integers in decimal, errno values, fds (resolved through the
// thread's fd table as render_fd does), strings and byte buffers. Anything else (dynamic params,
// other print formats and types) returns R_FALLBACK before appending anything. `*vlen` receives
// the length of the (unresolved) text, which starts where `out` ended.
render_outcome render_param(sinsp_evt* ev,
                            uint32_t j,
                            sinsp_evt::param_fmt bfmt,
                            args_out& out,
                            size_t* vlen) {
	const sinsp_evt_param* p = ev->get_param(j);
	const ppm_param_info* pi = &ev->get_info()->params[j];
	const size_t start = out.size();
	if(compat::defer_empty(p, 0)) {
		return R_FALLBACK;
	}
	if(plen(p) == 0) {
		out.put("NULL", 4);
		*vlen = 4;
		return R_SCRATCH;
	}
	// SET_NUMERIC_FORMAT: PF_OCT/PF_HEX/PF_10_PADDED_DEC are left to libsinsp; every other print
	// format is "%" PRId<N> of the value read as the parameter's C type (so PT_UINT32 and
	// PT_UINT64 print as signed, as printf does there).
	const bool dec = pi->fmt != PF_OCT && pi->fmt != PF_HEX && pi->fmt != PF_10_PADDED_DEC;
	const uint8_t* raw = (const uint8_t*)pdata(p);
	switch(pi->type) {
	case PT_INT8:
	case PT_UINT8:
	case PT_INT16:
	case PT_UINT16:
	case PT_INT32:
	case PT_UINT32:
	case PT_INT64:
	case PT_UINT64: {
		if(!dec) {
			return R_FALLBACK;
		}
		// the C type printf receives: PT_UINT8/16 promote to an unsigned value, PT_UINT32/64 are
		// read as signed
		int64_t v;
		bool ok;
		switch(pi->type) {
		case PT_INT8:
			ok = read_param<int8_t>(p, &v);
			break;
		case PT_UINT8:
			ok = read_param<uint8_t>(p, &v);
			break;
		case PT_INT16:
			ok = read_param<int16_t>(p, &v);
			break;
		case PT_UINT16:
			ok = read_param<uint16_t>(p, &v);
			break;
		case PT_INT32:
		case PT_UINT32:
			ok = read_param<int32_t>(p, &v);
			break;
		default:
			ok = read_param<int64_t>(p, &v);
			break;
		}
		if(!ok) {
			return R_FALLBACK;  // a length libsinsp's param->as<T>() would reject
		}
		out.put_i64(v);
		*vlen = out.size() - start;
		return R_SCRATCH;
	}
	case PT_ERRNO: {
		if(plen(p) != 8) return R_FALLBACK;
		int64_t v = read_raw<int64_t>(raw);
		out.put_i64(v);
		*vlen = out.size() - start;
		if(v < 0) {
			out.put_errno_name(v);
		}
		return R_SCRATCH;
	}
	case PT_FD: {  // render_fd
		if(plen(p) != 8) return R_FALLBACK;
		int64_t fd = read_raw<int64_t>(raw);
		out.put_i64(fd);
		*vlen = out.size() - start;
		sinsp_threadinfo* ti = ev->get_thread_info();
		if(ti == nullptr) {
			return R_SCRATCH;
		}
		if(fd >= 0) {
			sinsp_fdinfo* fi = ti->get_fd(fd);
			if(fi == nullptr) {
				return R_SCRATCH;
			}
			char ipproto = 0;
			if(fi->m_type == SCAP_FD_IPV4_SOCK || fi->m_type == SCAP_FD_IPV6_SOCK ||
			   fi->m_type == SCAP_FD_IPV4_SERVSOCK || fi->m_type == SCAP_FD_IPV6_SERVSOCK) {
				switch(fi->get_l4proto()) {
				case SCAP_L4_TCP:
					ipproto = 't';
					break;
				case SCAP_L4_UDP:
					ipproto = 'u';
					break;
				case SCAP_L4_ICMP:
					ipproto = 'i';
					break;
				case SCAP_L4_RAW:
					ipproto = 'r';
					break;
				default:
					break;
				}
			}
			out.put("(<", 2);
			// typestr is a C string: an empty type char (PF_SIMPLE) hides the protocol too
			if(!(bfmt & sinsp_evt::PF_SIMPLE)) {
				char tch = fi->get_typechar();
				if(tch != 0) {
					out.put(tch);
					if(ipproto != 0) {
						out.put(ipproto);
					}
				}
			}
			out.put('>');
			out.put_sanitized(fi->m_name);
			out.put(')');
		} else if(fd == PPM_AT_FDCWD) {
			out.put("(AT_FDCWD)", 10);
		} else {
			out.put_errno_name(fd);
		}
		return R_SCRATCH;
	}
	case PT_BYTEBUF: {  // rendered where libsinsp renders it, growing the storage as it does
		std::vector<char>& st = ev->get_paramstr_storage();
		uint32_t blen;
		while(true) {
			blen = binary_buffer_to_string(&st[0], pdata(p), (uint32_t)st.size() - 1, plen(p), bfmt);
			if(blen >= st.size() - 1) {
				st.resize(st.size() * 2);
				continue;
			}
			break;
		}
		uint32_t maxlen = ev->get_inspector()->get_max_evt_output_len();
		if(maxlen != 0 && blen > maxlen && bfmt == sinsp_evt::PF_NORMAL) {
			uint32_t real_len = std::min(blen, maxlen);
			ev->set_rawbuf_str_len(real_len);
			if(real_len > 3) {
				st[real_len - 3] = '.';
				st[real_len - 2] = '.';
				st[real_len - 1] = '.';
			}
			st[real_len] = 0;
		} else {
			ev->set_rawbuf_str_len(blen);
		}
		out.put(st.data());  // as a C string, like TYPE_ARGS's append
		*vlen = out.size() - start;
		return R_STORED;
	}
	case PT_CHARBUF: {  // "%s": up to the first NUL, which must be inside the parameter
		const void* nul = memchr(pdata(p), 0, plen(p));
		if(nul == nullptr) {
			return R_FALLBACK;
		}
		out.put(pdata(p), (const char*)nul - pdata(p));
		*vlen = out.size() - start;
		return R_SCRATCH;
	}
	default:
		return R_FALLBACK;
	}
}

// Leaves the event's parameter string storage as get_param_as_str would have left it after
// rendering the text `v` (`n` bytes). libsinsp's parser reads that storage back on some later
// events (parsers.cpp names some sockets with a get_param_as_str() call that, for some tuples,
// writes nothing and returns what an earlier call left there), so the fast path must not change
// what it holds.
void store_paramstr(sinsp_evt* ev, const char* v, size_t n) {
	std::vector<char>& st = ev->get_paramstr_storage();
	if(n + 1 > st.size()) {
		st.resize(n + 1);
	}
	memcpy(st.data(), v, n);
	st[n] = 0;
}

// evt.args as sinsp_filter_check_event's TYPE_ARGS builds it: "name=value" or
// "name=value(resolved)" per parameter, space separated; nothing for generic events.
void render_args(sq_inspector* h, sinsp_evt* ev, sq_value& val) {
	args_out out(h->args);
	uint16_t t = ev->get_type();
	if(t != PPME_GENERIC_E && t != PPME_GENERIC_X) {
		const sinsp_evt::param_fmt bfmt = h->inspector.get_buffer_format();
		const ppm_event_info* info = ev->get_info();
		uint32_t n = ev->get_num_params();
		// the text of the last parameter rendered here, not yet in the event's storage
		size_t pend_at = 0, pend_len = 0;
		bool pending = false;
		for(uint32_t j = 0; j < n; j++) {
			out.put(info->params[j].name, param_name_len(t, j, info->params[j].name));
			out.put('=');
			size_t at = out.size(), vlen = 0;
			// A param that libsinsp located past the event's bytes (its lengths claim more than
			// the event holds: a corrupt event) is not read, by us or by libsinsp's rendering.
			if(!param_within(ev, ev->get_param(j), h->cur_strict, h->cur_extent)) {
				if(pending) {
					store_paramstr(ev, out.data() + pend_at, pend_len);
					pending = false;
				}
				out.put("<corrupt>", 9);
				out.put(' ');
				continue;
			}
			render_outcome r = render_param(ev, j, bfmt, out, &vlen);
			if(r == R_SCRATCH) {
				pend_at = at;
				pend_len = vlen;
				pending = true;
			} else if(r == R_STORED) {
				pending = false;
			} else {
				if(pending) {
					store_paramstr(ev, out.data() + pend_at, pend_len);
					pending = false;
				}
				const char* res;
				out.put(ev->get_param_as_str(j, &res, bfmt));
				if(res[0] != 0) {
					out.put('(');
					out.put(res);
					out.put(')');
				}
			}
			out.put(' ');
		}
		if(pending) {
			store_paramstr(ev, out.data() + pend_at, pend_len);
		}
		if(out.size() != 0) {
			out.pop_back();
		}
	}
	val.kind = SQ_V_STR;
	val.s = out.data();
	val.len = (uint32_t)out.size();
}

// fd.name as sinsp_filtercheck_fd.cpp extracts it when the event's fd is in the fd table
// (extract_fd, then TYPE_FDNAME: the fd's name, sanitised). Returns false where libsinsp reads
// the name from the event's parameters instead (no fd info, failed connect): the caller then
// runs the filtercheck itself. `null` is set when libsinsp extracts nothing. The value is the fd
// table's own name when sanitising would not change it (the common case), else a sanitised copy
// in `scratch`.
bool direct_fdname(sinsp_evt* ev, std::string& scratch, sq_value& out, bool& null) {
	null = false;
	if(!(ev->get_info_flags() & (EF_CREATES_FD | EF_USES_FD | EF_DESTROYS_FD))) {
		null = true;
		return true;
	}
	sinsp_threadinfo* ti = ev->get_thread_info();
	if(ti == nullptr) {
		null = true;
		return true;
	}
	if(ev->get_type() == PPME_SOCKET_CONNECT_X && ev->get_syscall_return_value() < 0) {
		return false;
	}
	sinsp_fdinfo* fi = ev->get_fd_info();
	if(fi == nullptr && ti->m_lastevent_fd != -1) {
		fi = ti->get_fd(ti->m_lastevent_fd);
	}
	if(fi == nullptr) {
		return false;
	}
	const std::string& name = fi->m_name;
	const auto& keep = printable();
	bool clean = true, ascii = true;
	for(char c : name) {
		clean &= keep[(unsigned char)c];
		ascii &= (unsigned char)c < 0x80;
	}
	if(clean) {
		set_str(out, name);
		if(ascii) {
			out.kind = SQ_V_STR_ASCII;  // the receiving side need not validate it as UTF-8
		}
	} else {
		scratch.clear();
		append_sanitized(scratch, name);
		set_str(out, scratch);
	}
	return true;
}

void extract_fast(sq_inspector* h, size_t i, sinsp_evt* ev);

// `name` is the event name sq_next already resolved exactly as evt.type does.
void extract_direct(sq_inspector* h, size_t i, sinsp_evt* ev, sinsp_threadinfo* ti, const char* name) {
	sq_value& out = h->values[i];
	out.len = 0;
	out.s = nullptr;
	switch(h->direct[i]) {
	case D_NUM:
		out.kind = SQ_V_U64;
		out.u = ev->get_num();
		return;
	case D_TIME:
		out.kind = SQ_V_I64;
		out.i = (int64_t)ev->get_ts();
		return;
	case D_TYPE:
		out.kind = SQ_V_STR;
		out.s = name;
		out.len = (uint32_t)strlen(name);
		return;
	case D_DIR:
		out.kind = SQ_V_STR_STATIC;
		out.s = PPME_IS_ENTER(ev->get_type()) ? ">" : "<";
		out.len = 1;
		return;
	case D_TID:
		out.kind = should_extract_xid(ev->get_tid()) ? SQ_V_I64 : SQ_V_NULL;
		out.i = ev->get_tid();
		return;
	case D_ARGS:
		render_args(h, ev, out);
		return;
	case D_FDNAME: {
		bool null;
		if(!direct_fdname(ev, h->strings[i], out, null)) {
			extract_fast(h, i, ev);  // fd.name is one of the fast-path fields
		} else if(null) {
			out.kind = SQ_V_NULL;
		}
		return;
	}
	case D_RES:  // TYPE_RESSTR; errors keep the filtercheck (it renders parameter 0)
		if(!ev->has_return_value()) {
			out.kind = SQ_V_NULL;
		} else if(ev->get_syscall_return_value() >= 0) {
			out.kind = SQ_V_STR_STATIC;
			out.s = "SUCCESS";
			out.len = 7;
		} else {
			extract_fast(h, i, ev);  // evt.res is one of the fast-path fields
		}
		return;
	case D_CATEGORY:
		out.kind = SQ_V_STR_STATIC;  // category_name's literals
		out.s = category_name(ev);
		out.len = (uint32_t)strlen(out.s);
		return;
	default:
		break;
	}
	if(ti == nullptr) {
		out.kind = SQ_V_NULL;
		return;
	}
	switch(h->direct[i]) {
	case D_PID:
		out.kind = should_extract_xid(ti->m_pid) ? SQ_V_I64 : SQ_V_NULL;
		out.i = ti->m_pid;
		return;
	case D_PPID: {
		sinsp_threadinfo* mt = compat::parent_process(h->inspector, ti, 0);
		out.kind = (mt != nullptr && should_extract_xid(mt->m_pid)) ? SQ_V_I64 : SQ_V_NULL;
		out.i = mt != nullptr ? mt->m_pid : 0;
		return;
	}
	case D_UID:
		out.kind = SQ_V_U64;
		out.u = ti->m_uid;
		return;
	case D_NAME:  // get_comm()/get_exepath() return copies of these members
		set_str(out, ti->m_comm);
		return;
	case D_EXEPATH:
		set_str(out, ti->m_exepath);
		return;
	case D_CMDLINE:
		sinsp_threadinfo::populate_cmdline(h->strings[i], ti);
		set_str(out, h->strings[i]);
		return;
	default:
		out.kind = SQ_V_NULL;
		return;
	}
}

// What sinsp_filter_check::tojson() yields, for the common types, without building a
// Json::Value: integers in decimal/ID format as numbers, strings pointing at libsinsp's own
// buffer (valid until the next event). Everything else falls back to tojson().
void extract_fast(sq_inspector* h, size_t i, sinsp_evt* ev) {
	sinsp_filter_check* chk = h->checks[i].get();
	sq_value& out = h->values[i];
	const filtercheck_field_info* fi = chk->get_transformed_field_info();
	if(fi->m_flags & EPF_IS_LIST) {
		fill_value(h, i, chk->tojson(ev));
		return;
	}
	h->extracted.clear();
	out.len = 0;
	out.s = nullptr;
	if(!chk->extract(ev, h->extracted) || h->extracted.empty()) {
		out.kind = SQ_V_NULL;
		return;
	}
	const uint8_t* raw = h->extracted[0].ptr;
	const ppm_print_format fmt = chk->get_field_info()->m_print_format;
	const bool dec = fmt == PF_DEC || fmt == PF_ID;
	switch(fi->m_type) {
	case PT_INT8:
		if(dec) {
			out.kind = SQ_V_I64;
			out.i = read_raw<int8_t>(raw);
			return;
		}
		break;
	case PT_INT16:
		if(dec) {
			out.kind = SQ_V_I64;
			out.i = read_raw<int16_t>(raw);
			return;
		}
		break;
	case PT_INT32:
		if(dec) {
			out.kind = SQ_V_I64;
			out.i = read_raw<int32_t>(raw);
			return;
		}
		break;
	case PT_INT64:
	case PT_PID:
	case PT_FD:
		if(dec) {
			out.kind = SQ_V_I64;
			out.i = read_raw<int64_t>(raw);
			return;
		}
		break;
	case PT_L4PROTO:
	case PT_UINT8:
	case PT_FLAGS8:
	case PT_ENUMFLAGS8:
		if(dec) {  // jsoncpp stores promoted small unsigned values as Int
			out.kind = SQ_V_I64;
			out.i = read_raw<uint8_t>(raw);
			return;
		}
		break;
	case PT_PORT:
	case PT_UINT16:
	case PT_FLAGS16:
	case PT_ENUMFLAGS16:
		if(dec) {
			out.kind = SQ_V_I64;
			out.i = read_raw<uint16_t>(raw);
			return;
		}
		break;
	case PT_UINT32:
	case PT_FLAGS32:
	case PT_ENUMFLAGS32:
	case PT_UID:
	case PT_GID:
		if(dec) {
			out.kind = SQ_V_U64;
			out.u = read_raw<uint32_t>(raw);
			return;
		}
		break;
	case PT_UINT64:
	case PT_RELTIME:
	case PT_ABSTIME:
		if(dec) {
			out.kind = SQ_V_U64;
			out.u = read_raw<uint64_t>(raw);
			return;
		}
		break;
	case PT_CHARBUF:
	case PT_FSPATH:
	case PT_FSRELPATH:
		out.kind = SQ_V_STR;
		out.s = (const char*)raw;
		out.len = (uint32_t)strlen((const char*)raw);
		return;
	default:
		break;
	}
	fill_value(h, i, chk->tojson(ev));
}

}  // namespace

extern "C" {

sq_inspector* sq_new(sq_error* err) {
	clear_err(err);
	try {
		auto* h = new sq_inspector();
		h->writer.omitEndingLineFeed();
		return h;
	} catch(const std::exception& e) {
		set_err(err, SQ_E_GENERIC, e.what());
	} catch(...) {
		set_err(err, SQ_E_GENERIC, "unknown C++ exception");
	}
	return nullptr;
}

void sq_free(sq_inspector* h) {
	if(h == nullptr) {
		return;
	}
	try {
		sq_close(h);
		delete h;
	} catch(...) {
	}
}

int32_t sq_set_filter(sq_inspector* h, const char* filter, sq_error* err) {
	return guarded(err, SQ_E_FILTER, [&]() {
		sinsp_filter_compiler compiler(h->filter_factory, filter);
		std::unique_ptr<sinsp_filter> f = compiler.compile();
		h->inspector.set_filter(std::move(f), filter);
		h->filter_string = filter;
		return (int32_t)SQ_OK;
	});
}

int32_t sq_set_fields(sq_inspector* h, const char* const* names, size_t n, sq_error* err) {
	int32_t failing = -1;  // the field being checked when one is refused
	int32_t rc = guarded(err, SQ_E_FIELD, [&]() {
		std::vector<std::unique_ptr<sinsp_filter_check>> checks;
		for(size_t i = 0; i < n; i++) {
			failing = (int32_t)i;
			std::string name(names[i]);
			auto chk = h->filter_list->new_filter_check_from_fldname(name, &h->inspector, false);
			if(chk == nullptr) {
				throw sinsp_exception("unknown field '" + name + "'");
			}
			int32_t len = chk->parse_field_name(name, true, false);
			if(len != (int32_t)name.size()) {
				throw sinsp_exception("invalid field '" + name + "'");
			}
			checks.push_back(std::move(chk));
		}
		failing = -1;
		h->fast.clear();
		h->direct.clear();
		for(size_t i = 0; i < n; i++) {
			h->fast.push_back(fast_path_ok(names[i]));
			h->direct.push_back(direct_kind_of(names[i]));
		}
		h->checks = std::move(checks);
		h->values.assign(n, sq_value{});
		h->strings.assign(n, std::string());
		return (int32_t)SQ_OK;
	});
	if(rc < 0 && err != nullptr) {
		err->item = failing;
	}
	return rc;
}

int32_t sq_select_events(sq_inspector* h,
                         const char* const* names,
                         size_t n,
                         char* unknown,
                         size_t unknown_len,
                         sq_error* err) {
	return guarded(err, SQ_E_GENERIC, [&]() {
		std::unordered_set<std::string> wanted;
		for(size_t i = 0; i < n; i++) {
			if(names[i] != nullptr) {
				wanted.insert(names[i]);
			}
		}
		// Event names (openat, signaldeliver, procexit, page_fault, switch, ...) and the names
		// of the syscalls that come as the generic event (uname, keyctl on 0.20.0, ...).
		auto sc = libsinsp::events::event_names_to_sc_set(wanted);
		sc = sc.merge(libsinsp::events::sc_names_to_sc_set(wanted));
		// Names no syscall or tracepoint produces (libsinsp's own meta events, or a typo)
		// are listed back to the caller, comma separated, cut to `unknown_len`.
		std::string none;
		for(const auto& name : wanted) {
			std::unordered_set<std::string> one{name};
			if(libsinsp::events::event_names_to_sc_set(one).empty() &&
			   libsinsp::events::sc_names_to_sc_set(one).empty()) {
				none += none.empty() ? name : "," + name;
			}
		}
		if(unknown != nullptr && unknown_len > 0) {
			size_t k = std::min(none.size(), unknown_len - 1);
			memcpy(unknown, none.data(), k);
			unknown[k] = '\0';
		}
		h->selection.reset(new libsinsp::events::set<ppm_sc_code>(sc));
		return (int32_t)SQ_OK;
	});
}

void sq_set_import_users(sq_inspector* h, int on) {
	try {
		h->inspector.set_import_users(on != 0);
	} catch(...) {
	}
}

int32_t sq_open_modern_bpf(sq_inspector* h,
                           uint64_t buffer_bytes,
                           uint16_t cpus_for_each_buffer,
                           int syscalls_all,
                           sq_error* err) {
#ifdef HAS_ENGINE_MODERN_BPF
	open_log_capture capture(h->open_log);
	return guarded(err, SQ_E_OPEN, [&]() {
		h->inspector.open_modern_bpf(buffer_bytes ? buffer_bytes : DEFAULT_DRIVER_BUFFER_BYTES_DIM,
		                             cpus_for_each_buffer,
		                             true,
		                             sc_set(h, syscalls_all));
		h->opened = true;
		return (int32_t)SQ_OK;
	});
#else
	set_err(err, SQ_E_NOT_SUPPORTED, "libs was built without the modern_bpf engine");
	return SQ_E_NOT_SUPPORTED;
#endif
}

int32_t sq_open_kmod(sq_inspector* h, uint64_t buffer_bytes, int syscalls_all, sq_error* err) {
#ifdef HAS_ENGINE_KMOD
	open_log_capture capture(h->open_log);
	return guarded(err, SQ_E_OPEN, [&]() {
		h->inspector.open_kmod(buffer_bytes ? buffer_bytes : DEFAULT_DRIVER_BUFFER_BYTES_DIM,
		                       sc_set(h, syscalls_all));
		h->opened = true;
		return (int32_t)SQ_OK;
	});
#else
	set_err(err, SQ_E_NOT_SUPPORTED, "libs was built without the kmod engine");
	return SQ_E_NOT_SUPPORTED;
#endif
}

int32_t sq_open_bpf(sq_inspector* h,
                    const char* probe_path,
                    uint64_t buffer_bytes,
                    int syscalls_all,
                    sq_error* err) {
#ifdef HAS_ENGINE_BPF
	open_log_capture capture(h->open_log);
	return guarded(err, SQ_E_OPEN, [&]() {
		h->inspector.open_bpf(probe_path,
		                      buffer_bytes ? buffer_bytes : DEFAULT_DRIVER_BUFFER_BYTES_DIM,
		                      sc_set(h, syscalls_all));
		h->opened = true;
		return (int32_t)SQ_OK;
	});
#else
	set_err(err, SQ_E_NOT_SUPPORTED, "libs was built without the bpf engine");
	return SQ_E_NOT_SUPPORTED;
#endif
}

int32_t sq_open_savefile(sq_inspector* h, const char* path, sq_error* err) {
#ifdef HAS_ENGINE_SAVEFILE
	open_log_capture capture(h->open_log);
	return guarded(err, SQ_E_OPEN, [&]() {
		struct stat st;
		h->file_size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
		h->inspector.open_savefile(path, 0);
		h->opened = true;
		return (int32_t)SQ_OK;
	});
#else
	set_err(err, SQ_E_NOT_SUPPORTED, "libs was built without the savefile engine");
	return SQ_E_NOT_SUPPORTED;
#endif
}

uint64_t sq_corrupt_events(const sq_inspector* h) {
	return h->corrupt_events;
}

const char* sq_open_log(const sq_inspector* h, size_t* len) {
	*len = h->open_log.size();
	return h->open_log.c_str();
}

int32_t sq_dump_open(sq_inspector* h, const char* path, int compress, sq_error* err) {
	return guarded(err, SQ_E_DUMP, [&]() {
		auto d = std::make_unique<sinsp_dumper>();
		d->open(&h->inspector, path, compress != 0);
		h->dumper = std::move(d);
		return (int32_t)SQ_OK;
	});
}

int32_t sq_dump_close(sq_inspector* h, sq_error* err) {
	return guarded(err, SQ_E_DUMP, [&]() {
		if(h->dumper) {
			h->dumper->close();
			h->dumper.reset();
		}
		return (int32_t)SQ_OK;
	});
}

int32_t sq_start(sq_inspector* h, sq_error* err) {
	return guarded(err, SQ_E_GENERIC, [&]() {
		if(!h->inspector.is_capture()) {
			h->inspector.start_capture();
		}
		h->started = true;
		return (int32_t)SQ_OK;
	});
}

int32_t sq_stop(sq_inspector* h, sq_error* err) {
	return guarded(err, SQ_E_GENERIC, [&]() {
		if(h->started && !h->inspector.is_capture()) {
			h->inspector.stop_capture();
		}
		h->started = false;
		return (int32_t)SQ_OK;
	});
}

void sq_close(sq_inspector* h) {
	try {
		if(h->dumper) {
			h->dumper->close();
			h->dumper.reset();
		}
	} catch(...) {
	}
	try {
		if(h->started && !h->inspector.is_capture()) {
			h->inspector.stop_capture();
		}
	} catch(...) {
	}
	h->started = false;
	try {
		if(h->opened) {
			h->inspector.close();
		}
	} catch(...) {
	}
	h->opened = false;
}

int32_t sq_next(sq_inspector* h, sq_event* out, sq_error* err) {
	return guarded(err, SQ_E_READ, [&]() -> int32_t {
		sinsp_evt* ev = nullptr;
		int32_t res = h->inspector.next(&ev);
		if(res == SCAP_TIMEOUT) {
			return SQ_TIMEOUT;
		}
		if(res == SCAP_EOF) {
			return SQ_EOF;
		}
		if(res == SCAP_FILTERED_EVENT) {
			return SQ_FILTERED;
		}
		if(res != SCAP_SUCCESS || ev == nullptr) {
			std::string msg = h->inspector.getlasterr();
			set_err(err, SQ_E_READ, msg.empty() ? "error reading the next event" : msg.c_str(), res);
			return SQ_E_READ;
		}
		if(h->dumper) {
			h->dumper->dump(ev);
		}
		out->num = ev->get_num();
		out->ts = ev->get_ts();
		out->tid = ev->get_tid();
		out->type = ev->get_type();
		out->dir = PPME_IS_ENTER(ev->get_type()) ? 0 : 1;
		out->category = (uint32_t)ev->get_info()->category;
		out->cpu = ev->get_cpuid();
		// The event name as sinsp's evt.type reports it: generic syscall events carry the real
		// syscall in their first parameter; async events carry their name in their second.
		const scap_evt* se0 = ev->get_scap_evt();
		uint16_t etype = se0->type;
		out->name_is_static = 1;
		if(etype == PPME_GENERIC_E || etype == PPME_GENERIC_X) {
			// A param is read only when it has a uint16's length and lies inside the event:
			// sinsp_evt_param::as() throws on another length and formats the param's bytes into
			// its message, past the event when its length table is corrupt (a SEGV in libs'
			// buffer_to_multiline_hex, found by scripts/fuzz).
			const bool strict0 = event_claimed(se0) != se0->len;
			const uint32_t extent0 = event_extent(se0);
			auto u16_param = [&](uint32_t i, uint16_t* v) {
				if(ev->get_num_params() <= i) {
					return false;
				}
				const sinsp_evt_param* p = ev->get_param(i);
				if(plen(p) != sizeof(uint16_t) || !param_within(ev, p, strict0, extent0)) {
					return false;
				}
				memcpy(v, pdata(p), sizeof(uint16_t));
				return true;
			};
			uint16_t ppm_sc = PPM_SC_UNKNOWN;
			u16_param(0, &ppm_sc);
			// the nativeID param: GENERIC_E always, GENERIC_X too since 0.22 (empty when absent)
			uint16_t native = 0;
			if(h->inspector.is_capture() && ppm_sc == PPM_SC_UNKNOWN && u16_param(1, &native)) {
				ppm_sc = scap_native_id_to_ppm_sc(native);
			}
			// A corrupt event may carry any code: only the table's own entries have names.
			out->name = ppm_sc < PPM_SC_MAX ? scap_get_ppm_sc_name((ppm_sc_code)ppm_sc) : nullptr;
			if(out->name == nullptr) {
				out->name = "unknown";
			}
		} else if(etype == PPME_ASYNCEVENT_E) {
			// The name must end inside its param (a corrupt one may not).
			const sinsp_evt_param* np = ev->get_num_params() > 1 ? ev->get_param(1) : nullptr;
			if(np != nullptr && plen(np) > 0 && memchr(pdata(np), 0, plen(np)) != nullptr &&
			   param_within(ev, np, event_claimed(se0) != se0->len, event_extent(se0))) {
				out->name = pdata(np);
				out->name_is_static = 0;
			} else {
				out->name = "unknown";
			}
		} else {
			out->name = ev->get_name();
		}
		sinsp_threadinfo* ti = ev->get_thread_info();
		out->is_main_thread = (ti != nullptr && ti->is_main_thread()) ? 1 : 0;

		// the parameters as sinsp decodes them from the event (libsinsp's load_params): the
		// caller copies the whole encoded event at once
		const scap_evt* se = ev->get_scap_evt();
		out->raw = (const uint8_t*)se;
		out->raw_len = event_extent(se);
		h->cur_extent = out->raw_len;
		h->cur_strict = event_claimed(se) != se->len;
		if(out->raw_len != se->len) {
			h->corrupt_events++;
		}

		for(size_t i = 0; i < h->checks.size(); i++) {
			if(h->direct[i] != D_NONE) {
				extract_direct(h, i, ev, ti, out->name);
			} else if(h->fast[i]) {
				extract_fast(h, i, ev);
			} else {
				fill_value(h, i, h->checks[i]->tojson(ev));
			}
		}
		out->nfields = (uint32_t)h->checks.size();
		out->fields = h->values.data();
		return SQ_OK;
	});
}

int32_t sq_count_loop(sq_inspector* h, uint64_t max_events, uint64_t max_ns, uint64_t* events, sq_error* err) {
	*events = 0;
	return guarded(err, SQ_E_READ, [&]() -> int32_t {
		auto start = std::chrono::steady_clock::now();
		uint64_t n = 0;
		for(uint64_t i = 0;; i++) {
			sinsp_evt* ev = nullptr;
			int32_t res = h->inspector.next(&ev);
			if(res == SCAP_SUCCESS) {
				if(++n == max_events) {
					break;
				}
			} else if(res == SCAP_EOF) {
				break;
			} else if(res != SCAP_TIMEOUT && res != SCAP_FILTERED_EVENT) {
				*events = n;
				set_err(err, SQ_E_READ, h->inspector.getlasterr().c_str(), res);
				return SQ_E_READ;
			}
			if(max_ns && (i & 1023) == 0 &&
			   (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(
			           std::chrono::steady_clock::now() - start)
			                   .count() >= max_ns) {
				break;
			}
		}
		*events = n;
		return (int32_t)SQ_OK;
	});
}

int32_t sq_stats(sq_inspector* h, scap_stats* out, sq_error* err) {
	return guarded(err, SQ_E_GENERIC, [&]() {
		memset(out, 0, sizeof(*out));
		if(h->opened) {
			h->inspector.get_capture_stats(out);
		}
		return (int32_t)SQ_OK;
	});
}

void sq_file_progress(sq_inspector* h, uint64_t* read_bytes, uint64_t* total_bytes) {
	*read_bytes = 0;
	*total_bytes = h->file_size;
	try {
		if(h->opened && h->file_size > 0) {
			*read_bytes = h->inspector.get_bytes_read();
		}
	} catch(...) {
	}
}

const struct ppm_event_info* sq_event_table(uint32_t* n) {
	*n = PPM_EVENT_MAX;
	return scap_get_event_info_table();
}

int sq_has_engine(const char* name) {
	std::string e(name);
#ifdef HAS_ENGINE_MODERN_BPF
	if(e == MODERN_BPF_ENGINE)
		return 1;
#endif
#ifdef HAS_ENGINE_KMOD
	if(e == KMOD_ENGINE)
		return 1;
#endif
#ifdef HAS_ENGINE_BPF
	if(e == BPF_ENGINE)
		return 1;
#endif
#ifdef HAS_ENGINE_SAVEFILE
	if(e == SAVEFILE_ENGINE)
		return 1;
#endif
	return 0;
}

int sq_modern_bpf_supported(void) {
#ifdef HAS_ENGINE_MODERN_BPF
	try {
		return pman_check_support() ? 1 : 0;
	} catch(...) {
		return 0;
	}
#else
	return 0;
#endif
}

const char* sq_libs_version(void) {
	return SINSPQA_LIBS_VERSION;
}

}  // extern "C"
