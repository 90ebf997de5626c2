//! Owned events as the capture hands them to consumers, and libs' event table.
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, OnceLock};

use compact_str::CompactString;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::ffi::{self, abi, EVT_HDR_LEN};

/// Direction of an event: syscall enter (`>`) or exit (`<`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    /// `>`: the enter event.
    Enter,
    /// `<`: the exit event.
    Exit,
}

impl Direction {
    /// The sinsp spelling: `>` or `<`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Enter => ">",
            Direction::Exit => "<",
        }
    }
}

/// A value of an extracted sinsp field, typed as libsinsp's JSON formatter types it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// The field has no value for this event.
    Null,
    /// A signed number.
    I64(i64),
    /// An unsigned number.
    U64(u64),
    /// A floating point number.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// A string. Strings up to 24 bytes (most field values) are stored inline, without a heap
    /// allocation; it derefs to `&str`.
    Str(CompactString),
    /// A list or object (JSON).
    Json(serde_json::Value),
}

impl FieldValue {
    /// The value as a string, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The value as a signed integer, when it is a number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            FieldValue::I64(v) => Some(v),
            FieldValue::U64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }
    /// Whether the field had no value.
    pub fn is_null(&self) -> bool {
        matches!(self, FieldValue::Null)
    }
    /// Renders the value as text (numbers in decimal, null as `<NA>` like sinsp).
    pub fn render(&self) -> String {
        match self {
            FieldValue::Null => "<NA>".into(),
            FieldValue::I64(v) => v.to_string(),
            FieldValue::U64(v) => v.to_string(),
            FieldValue::F64(v) => v.to_string(),
            FieldValue::Bool(v) => v.to_string(),
            FieldValue::Str(s) => s.to_string(),
            FieldValue::Json(v) => v.to_string(),
        }
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Null => s.serialize_none(),
            FieldValue::I64(v) => s.serialize_i64(*v),
            FieldValue::U64(v) => s.serialize_u64(*v),
            FieldValue::F64(v) => s.serialize_f64(*v),
            FieldValue::Bool(v) => s.serialize_bool(*v),
            FieldValue::Str(v) => s.serialize_str(v),
            FieldValue::Json(v) => v.serialize(s),
        }
    }
}

/// A socket address as libscap encodes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum SockAddr {
    /// AF_INET / AF_INET6.
    Inet {
        /// Address.
        ip: IpAddr,
        /// Port.
        port: u16,
    },
    /// AF_UNIX, with its path.
    Unix {
        /// Socket path (may be empty or abstract).
        path: String,
    },
    /// A family the decoder does not know, with its raw bytes.
    Other {
        /// libscap's family code.
        code: u8,
    },
}

/// A decoded event parameter value, typed by libs' event table (`ppm_param_type`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// Signed integers: PT_INT*, PT_FD, PT_PID, PT_ERRNO.
    Int(i64),
    /// Unsigned integers: PT_UINT*, flags, modes, uid/gid, times, ports, sigsets, ...
    Uint(u64),
    /// PT_DOUBLE.
    Double(f64),
    /// Strings: PT_CHARBUF, PT_FSPATH, PT_FSRELPATH.
    Str(String),
    /// PT_BYTEBUF and any payload the decoder keeps raw.
    Bytes(Vec<u8>),
    /// PT_CHARBUFARRAY (argv, env) and PT_CHARBUF_PAIR_ARRAY (flattened pairs).
    StrArray(Vec<String>),
    /// PT_SOCKADDR.
    SockAddr(SockAddr),
    /// PT_SOCKTUPLE: source and destination.
    SockTuple {
        /// Source endpoint.
        src: SockAddr,
        /// Destination endpoint.
        dst: SockAddr,
    },
    /// PT_IPV4ADDR / PT_IPV6ADDR / PT_IPADDR.
    Ip(IpAddr),
    /// A parameter present but empty (length 0).
    Empty,
}

impl ParamValue {
    /// The value as a signed integer, when it is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            ParamValue::Int(v) => Some(v),
            ParamValue::Uint(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }
    /// The value as a string, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// One event parameter: its name in libs' event table, its type code and its decoded value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    /// Parameter name (e.g. `fd`, `name`, `res`).
    pub name: &'static str,
    /// libs' `ppm_param_type` code.
    #[serde(skip)]
    pub ptype: u32,
    /// The decoded value.
    pub value: ParamValue,
}

/// The names of the fields a capture extracts, shared by all its events.
pub type FieldNames = Arc<[String]>;

/// An owned event: header, raw params decoded by type, and the extracted sinsp fields.
#[derive(Debug, Clone)]
pub struct Event {
    /// sinsp event number (`evt.num`).
    pub num: u64,
    /// Timestamp in ns since the epoch (`evt.rawtime`).
    pub ts: u64,
    /// Thread id (`thread.tid`).
    pub tid: i64,
    /// CPU the event was captured on.
    pub cpu: u16,
    /// libs' event code (`ppm_event_code`).
    pub code: u16,
    /// Event type name (`evt.type`), e.g. `openat`.
    pub name: &'static str,
    /// Enter or exit.
    pub direction: Direction,
    /// libs' category flags (`ppm_event_category`).
    pub category: u32,
    /// Whether the thread is the main thread of its process (sinsp-example prints only those by default).
    pub is_main_thread: bool,
    /// Raw parameters decoded by their type.
    pub params: Vec<Param>,
    /// Extracted field names (shared) and values (same order).
    pub(crate) field_names: FieldNames,
    pub(crate) field_values: Vec<FieldValue>,
}

impl Event {
    /// The value of an extracted field (`proc.name`, `fd.name`, ...), if the capture extracts it.
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        let i = self.field_names.iter().position(|n| n == name)?;
        self.field_values.get(i)
    }
    /// A string field, or None when absent, null or not a string.
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.field(name).and_then(FieldValue::as_str)
    }
    /// An integer field, or None when absent, null or not an integer.
    pub fn field_i64(&self, name: &str) -> Option<i64> {
        self.field(name).and_then(FieldValue::as_i64)
    }
    /// All extracted fields in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &FieldValue)> {
        self.field_names
            .iter()
            .map(String::as_str)
            .zip(self.field_values.iter())
    }
    /// A raw parameter by name.
    pub fn param(&self, name: &str) -> Option<&ParamValue> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .map(|p| &p.value)
    }
    /// The category name as sinsp prints `evt.category` (e.g. `file`, `process`, `net`).
    pub fn category_name(&self) -> &'static str {
        category_name(self.category)
    }
    /// The raw parameters as a JSON object (name → typed value).
    pub fn params_json(&self) -> serde_json::Value {
        let m: BTreeMap<&str, &ParamValue> =
            self.params.iter().map(|p| (p.name, &p.value)).collect();
        serde_json::to_value(m).unwrap_or_default()
    }
}

/// Serialises to the JSON shape `sinsp-example -j` prints: one flat object whose keys are the
/// extracted field names, null where a field has no value.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.field_values.len()))?;
        for (k, v) in self.fields() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The category name for libs' category flags, as sinsp's `evt.category` spells it.
pub fn category_name(category: u32) -> &'static str {
    // The low bits hold the category; higher bits are flags (EC_SYSCALL, EC_TRACEPOINT, ...).
    match category & 0xff {
        abi::EC_OTHER => "other",
        abi::EC_FILE => "file",
        abi::EC_NET => "net",
        abi::EC_IPC => "ipc",
        abi::EC_MEMORY => "memory",
        abi::EC_PROCESS => "process",
        abi::EC_SLEEP => "sleep",
        abi::EC_SYSTEM => "system",
        abi::EC_SIGNAL => "signal",
        abi::EC_USER => "user",
        abi::EC_TIME => "time",
        abi::EC_PROCESSING => "processing",
        abi::EC_IO_READ => "IO_read",
        abi::EC_IO_WRITE => "IO_write",
        abi::EC_IO_OTHER => "IO_other",
        abi::EC_WAIT => "wait",
        abi::EC_SCHEDULER => "scheduler",
        _ => "unknown",
    }
}

/// One parameter of an event type in libs' event table.
#[derive(Debug, Clone, Serialize)]
pub struct ParamInfo {
    /// Name.
    pub name: &'static str,
    /// `ppm_param_type` code.
    pub ptype: u32,
    /// `ppm_print_format` code.
    pub fmt: u32,
    /// For flag, enum-flag and mode params: the names and values of the table's flags
    /// (`PPM_O_RDONLY`'s "O_RDONLY", ...), in table order; empty for other params.
    pub flags: Vec<(&'static str, u32)>,
}

/// One entry of libs' event table.
#[derive(Debug, Clone, Serialize)]
pub struct EventInfo {
    /// `ppm_event_code`.
    pub code: u16,
    /// Event name (`openat`, `execve`, ...).
    pub name: &'static str,
    /// Enter or exit.
    pub direction: Direction,
    /// Category flags.
    pub category: u32,
    /// `ppm_event_flags`.
    pub flags: u32,
    /// Parameters in order.
    pub params: Vec<ParamInfo>,
}

/// libs' event table, read once through the shim.
pub fn event_table() -> &'static [EventInfo] {
    static TABLE: OnceLock<Vec<EventInfo>> = OnceLock::new();
    TABLE.get_or_init(ffi::event_table_entries)
}

/// The value of the flags `names` of param `param` of call `name` in this libs' table (the
/// bitwise or of their values; for an enum-flags param, one name gives its value). Errors name
/// the flag or param this libs does not have.
pub fn flag_value(name: &str, param: &str, names: &[&str]) -> Result<u64, String> {
    let info = event_table()
        .iter()
        .filter(|e| e.name == name)
        .flat_map(|e| e.params.iter())
        .find(|p| p.name == param && !p.flags.is_empty())
        .ok_or_else(|| format!("no {name} event of this libs has a flags param {param:?}"))?;
    let mut v = 0u64;
    for n in names {
        let f = info
            .flags
            .iter()
            .find(|(fname, _)| fname == n)
            .ok_or_else(|| format!("{name}'s {param} has no flag {n:?} in this libs"))?;
        v |= f.1 as u64;
    }
    Ok(v)
}

/// Whether this libs' exit events carry the enter events' params (libs 0.22 and later, whose
/// drivers emit no enter event for most calls and whose libsinsp drops the rest): then a call
/// is asserted through its exit event alone.
pub fn exits_carry_enter_params() -> bool {
    current_events("close")
        .any(|e| e.direction == Direction::Exit && e.params.iter().any(|p| p.name == "fd"))
}

/// The current events of `name` (not `EF_OLD_VERSION` or `EF_UNUSED`): what the drivers of this
/// libs emit for that call, enter and exit.
pub fn current_events(name: &str) -> impl Iterator<Item = &'static EventInfo> + '_ {
    event_table()
        .iter()
        .filter(move |e| e.name == name && e.flags & (abi::EF_OLD_VERSION | abi::EF_UNUSED) == 0)
}

/// Which event of call `name` carries every one of `params` in this libs: the exit event when it
/// does (libs 0.22 moved the enter params into the exit events and stopped emitting most enter
/// events), else the enter event. `None` when no current event of `name` carries them all.
pub fn carrier(name: &str, params: &[&str]) -> Option<Direction> {
    // A syscall without an event of its own (pause, ...) comes as the generic "syscall" event.
    let generic = current_events(name).next().is_none();
    let table_name = if generic { "syscall" } else { name };
    let carries = |d: Direction| {
        current_events(table_name)
            .filter(|e| e.direction == d)
            .any(|e| params.iter().all(|p| e.params.iter().any(|q| q.name == *p)))
    };
    [Direction::Exit, Direction::Enter]
        .into_iter()
        .find(|&d| carries(d))
}

fn le_u16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn cstr_lossy(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn int_le(b: &[u8], signed: bool) -> ParamValue {
    match (b.len(), signed) {
        (1, true) => ParamValue::Int(b[0] as i8 as i64),
        (2, true) => ParamValue::Int(i16::from_le_bytes([b[0], b[1]]) as i64),
        (4, true) => ParamValue::Int(i32::from_le_bytes(b.try_into().unwrap()) as i64),
        (8, true) => ParamValue::Int(i64::from_le_bytes(b.try_into().unwrap())),
        (1, false) => ParamValue::Uint(b[0] as u64),
        (2, false) => ParamValue::Uint(le_u16(b) as u64),
        (4, false) => ParamValue::Uint(u32::from_le_bytes(b.try_into().unwrap()) as u64),
        (8, false) => ParamValue::Uint(u64::from_le_bytes(b.try_into().unwrap())),
        _ => ParamValue::Bytes(b.to_vec()),
    }
}

// libscap's socket family codes (PPM_AF_*).
const PPM_AF_UNIX: u8 = 1;
const PPM_AF_INET: u8 = 2;
const PPM_AF_INET6: u8 = 10;

fn sockaddr(b: &[u8]) -> Option<(SockAddr, usize)> {
    let fam = *b.first()?;
    match fam {
        PPM_AF_INET if b.len() >= 7 => {
            let ip = Ipv4Addr::new(b[1], b[2], b[3], b[4]);
            Some((
                SockAddr::Inet {
                    ip: IpAddr::V4(ip),
                    port: le_u16(&b[5..7]),
                },
                7,
            ))
        }
        PPM_AF_INET6 if b.len() >= 19 => {
            let ip: [u8; 16] = b[1..17].try_into().ok()?;
            Some((
                SockAddr::Inet {
                    ip: IpAddr::V6(Ipv6Addr::from(ip)),
                    port: le_u16(&b[17..19]),
                },
                19,
            ))
        }
        PPM_AF_UNIX => Some((
            SockAddr::Unix {
                path: cstr_lossy(&b[1..]),
            },
            b.len(),
        )),
        _ => Some((SockAddr::Other { code: fam }, b.len())),
    }
}

fn socktuple(b: &[u8]) -> ParamValue {
    let Some(&fam) = b.first() else {
        return ParamValue::Empty;
    };
    match fam {
        // family, sip(4), sport(2), dip(4), dport(2)
        PPM_AF_INET if b.len() >= 13 => ParamValue::SockTuple {
            src: SockAddr::Inet {
                ip: IpAddr::V4(Ipv4Addr::new(b[1], b[2], b[3], b[4])),
                port: le_u16(&b[5..7]),
            },
            dst: SockAddr::Inet {
                ip: IpAddr::V4(Ipv4Addr::new(b[7], b[8], b[9], b[10])),
                port: le_u16(&b[11..13]),
            },
        },
        PPM_AF_INET6 if b.len() >= 37 => {
            let s: [u8; 16] = b[1..17].try_into().unwrap();
            let d: [u8; 16] = b[19..35].try_into().unwrap();
            ParamValue::SockTuple {
                src: SockAddr::Inet {
                    ip: IpAddr::V6(Ipv6Addr::from(s)),
                    port: le_u16(&b[17..19]),
                },
                dst: SockAddr::Inet {
                    ip: IpAddr::V6(Ipv6Addr::from(d)),
                    port: le_u16(&b[35..37]),
                },
            }
        }
        // family, source pointer (8), dest pointer (8), path
        PPM_AF_UNIX if b.len() >= 17 => ParamValue::SockTuple {
            src: SockAddr::Unix {
                path: String::new(),
            },
            dst: SockAddr::Unix {
                path: cstr_lossy(&b[17..]),
            },
        },
        _ => ParamValue::Bytes(b.to_vec()),
    }
}

/// How a `ppm_param_type` decodes: the one classification the decoder and the schema share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// Signed integer (little-endian, 1/2/4/8 bytes).
    Int,
    /// Unsigned integer, flags, ids, times, ports.
    Uint,
    /// IEEE double.
    Double,
    /// NUL-terminated string.
    Str,
    /// NUL-separated strings.
    StrArray,
    /// A socket address.
    SockAddr,
    /// A socket tuple.
    SockTuple,
    /// An IPv4/IPv6 address.
    Ip,
    /// Bytes kept raw.
    Bytes,
    /// Dynamic or unknown: any value.
    Any,
}

/// `PT_FD32` / `PT_PID32` (libs master: an fd or pid encoded in 32 bits). Older libs end their
/// type list before these numbers (its `PT_MAX` is 47), so no older event has a param of them.
const PT_FD32: u32 = 47;
/// See [`PT_FD32`].
const PT_PID32: u32 = 48;

/// The kind of a `ppm_param_type`.
pub(crate) fn param_kind(ptype: u32) -> ParamKind {
    if (ptype == PT_FD32 || ptype == PT_PID32) && abi::PT_MAX > PT_PID32 {
        return ParamKind::Int;
    }
    match ptype {
        abi::PT_INT8
        | abi::PT_INT16
        | abi::PT_INT32
        | abi::PT_INT64
        | abi::PT_ERRNO
        | abi::PT_FD
        | abi::PT_PID => ParamKind::Int,
        abi::PT_UINT8
        | abi::PT_UINT16
        | abi::PT_UINT32
        | abi::PT_UINT64
        | abi::PT_FLAGS8
        | abi::PT_FLAGS16
        | abi::PT_FLAGS32
        | abi::PT_ENUMFLAGS8
        | abi::PT_ENUMFLAGS16
        | abi::PT_ENUMFLAGS32
        | abi::PT_UID
        | abi::PT_GID
        | abi::PT_MODE
        | abi::PT_RELTIME
        | abi::PT_ABSTIME
        | abi::PT_PORT
        | abi::PT_L4PROTO
        | abi::PT_SOCKFAMILY
        | abi::PT_BOOL
        | abi::PT_SIGTYPE
        | abi::PT_SYSCALLID
        | abi::PT_SIGSET => ParamKind::Uint,
        abi::PT_DOUBLE => ParamKind::Double,
        abi::PT_CHARBUF | abi::PT_FSPATH | abi::PT_FSRELPATH => ParamKind::Str,
        abi::PT_CHARBUFARRAY | abi::PT_CHARBUF_PAIR_ARRAY => ParamKind::StrArray,
        abi::PT_SOCKADDR => ParamKind::SockAddr,
        abi::PT_SOCKTUPLE => ParamKind::SockTuple,
        abi::PT_IPV4ADDR | abi::PT_IPV6ADDR | abi::PT_IPADDR => ParamKind::Ip,
        abi::PT_BYTEBUF | abi::PT_FDLIST | abi::PT_IPV4NET | abi::PT_IPV6NET | abi::PT_IPNET => {
            ParamKind::Bytes
        }
        _ => ParamKind::Any,
    }
}

/// The parameters of an event from its encoding (header, the parameters' lengths, their bytes),
/// read as libsinsp's `sinsp_evt::load_params` reads them: names and types from the event table,
/// and an empty or `(NULL)` string parameter (PT_CHARBUF, PT_FSPATH, PT_FSRELPATH) shown as
/// `<NA>`. An encoding shorter than its lengths say yields the parameters that fit.
pub(crate) fn decode_raw_params(code: u16, raw: &[u8]) -> Vec<Param> {
    let Some(hdr) = raw.get(..EVT_HDR_LEN) else {
        return Vec::new();
    };
    let info = event_table().get(code as usize);
    let n = u32::from_le_bytes(hdr[22..26].try_into().unwrap()) as usize;
    let large = info.is_some_and(|i| i.flags & abi::EF_LARGE_PAYLOAD != 0);
    let width = if large { 4 } else { 2 };
    let Some(lens) = raw.get(EVT_HDR_LEN..EVT_HDR_LEN + n * width) else {
        return Vec::new();
    };
    let mut at = EVT_HDR_LEN + n * width;
    let mut params = Vec::with_capacity(n);
    for (j, l) in lens.chunks_exact(width).enumerate() {
        let len = if large {
            u32::from_le_bytes(l.try_into().unwrap()) as usize
        } else {
            u16::from_le_bytes(l.try_into().unwrap()) as usize
        };
        let Some(b) = raw.get(at..at + len) else {
            break;
        };
        at += len;
        let pi = info.and_then(|i| i.params.get(j));
        let ptype = pi.map_or(abi::PT_BYTEBUF, |p| p.ptype);
        let name = pi.map_or("?", |p| p.name);
        // Written into the vector's slot by the branch that decodes it: a value merged from all
        // branches goes through a stack temporary whose wide copy stalls on its narrow stores.
        let slot = &mut params.spare_capacity_mut()[0];
        // each branch expands its own write of its own value (see above)
        macro_rules! write_param {
            ($value:expr) => {
                slot.write(Param {
                    name,
                    ptype,
                    value: $value,
                })
            };
        }
        match (param_kind(ptype), b.len()) {
            (ParamKind::Int, 8) => {
                write_param!(ParamValue::Int(i64::from_le_bytes(b.try_into().unwrap())));
            }
            (ParamKind::Uint, 8) => {
                write_param!(ParamValue::Uint(u64::from_le_bytes(b.try_into().unwrap())));
            }
            (ParamKind::Uint, 4) => {
                write_param!(ParamValue::Uint(
                    u32::from_le_bytes(b.try_into().unwrap()) as u64
                ));
            }
            _ => {
                let na = matches!(ptype, abi::PT_CHARBUF | abi::PT_FSPATH | abi::PT_FSRELPATH)
                    && (b.is_empty() || b == b"(NULL)\0");
                write_param!(if na {
                    ParamValue::Str("<NA>".into())
                } else {
                    decode_param(ptype, b)
                });
            }
        }
        // SAFETY: the slot after the initialised ones was written just above.
        unsafe { params.set_len(params.len() + 1) };
    }
    params
}

/// Decodes one raw parameter by its `ppm_param_type`.
pub(crate) fn decode_param(ptype: u32, b: &[u8]) -> ParamValue {
    if b.is_empty() {
        return ParamValue::Empty;
    }
    match param_kind(ptype) {
        ParamKind::Int => int_le(b, true),
        ParamKind::Uint => int_le(b, false),
        ParamKind::Double if b.len() == 8 => {
            ParamValue::Double(f64::from_le_bytes(b.try_into().unwrap()))
        }
        ParamKind::Str => ParamValue::Str(cstr_lossy(b)),
        ParamKind::StrArray => ParamValue::StrArray(
            b.split(|&c| c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
        ),
        ParamKind::SockAddr => match sockaddr(b) {
            Some((a, _)) => ParamValue::SockAddr(a),
            None => ParamValue::Bytes(b.to_vec()),
        },
        ParamKind::SockTuple => socktuple(b),
        ParamKind::Ip if b.len() == 4 => {
            ParamValue::Ip(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
        }
        ParamKind::Ip if b.len() == 16 => {
            ParamValue::Ip(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(b).unwrap())))
        }
        _ => ParamValue::Bytes(b.to_vec()),
    }
}

/// Encodes an event as libscap does (header, u16 lengths, bytes): test input for the decoders.
#[cfg(test)]
pub(crate) fn encode_event(code: u16, ts: u64, tid: u64, params: &[&[u8]]) -> Vec<u8> {
    let len = EVT_HDR_LEN + params.iter().map(|p| 2 + p.len()).sum::<usize>();
    let mut e = Vec::with_capacity(len);
    e.extend(ts.to_le_bytes());
    e.extend(tid.to_le_bytes());
    e.extend((len as u32).to_le_bytes());
    e.extend(code.to_le_bytes());
    e.extend((params.len() as u32).to_le_bytes());
    for p in params {
        e.extend((p.len() as u16).to_le_bytes());
    }
    for p in params {
        e.extend_from_slice(p);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The newest event code of that name (older versions of an event keep their codes).
    fn code_of(name: &str, direction: Direction) -> u16 {
        event_table()
            .iter()
            .rposition(|e| e.name == name && e.direction == direction)
            .unwrap() as u16
    }

    #[test]
    fn raw_params_are_read_as_libsinsp_reads_them() {
        // openat exit: fd, dirfd, name, flags, mode, dev, ino
        let code = code_of("openat", Direction::Exit);
        let info = &event_table()[code as usize];
        assert_eq!(info.params[2].name, "name");
        let (fd, dirfd) = (3i64.to_le_bytes(), (-100i64).to_le_bytes());
        let enc = encode_event(code, 1, 2, &[&fd, &dirfd, b"/etc/passwd\0"]);
        let p = decode_raw_params(code, &enc);
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].name, &p[0].value), ("fd", &ParamValue::Int(3)));
        assert_eq!(p[2].value, ParamValue::Str("/etc/passwd".into()));
        // an empty or "(NULL)" path is "<NA>" (sinsp_evt::load_params)
        for empty in [&b""[..], b"(NULL)\0"] {
            let enc = encode_event(code, 1, 2, &[&fd, &dirfd, empty]);
            assert_eq!(
                decode_raw_params(code, &enc)[2].value,
                ParamValue::Str("<NA>".into())
            );
        }
        // an encoding cut short yields the parameters that fit, never reads past it
        let enc = encode_event(code, 1, 2, &[&fd, &dirfd, b"/etc/passwd\0"]);
        assert_eq!(decode_raw_params(code, &enc[..enc.len() - 1]).len(), 2);
        assert!(decode_raw_params(code, &enc[..20]).is_empty());
    }

    #[test]
    fn decodes_integers_strings_and_sockets() {
        assert_eq!(
            decode_param(abi::PT_FD, &(-2i64).to_le_bytes()),
            ParamValue::Int(-2)
        );
        assert_eq!(
            decode_param(abi::PT_UINT32, &7u32.to_le_bytes()),
            ParamValue::Uint(7)
        );
        assert_eq!(
            decode_param(abi::PT_FSPATH, b"/etc/passwd\0"),
            ParamValue::Str("/etc/passwd".into())
        );
        assert_eq!(
            decode_param(abi::PT_CHARBUFARRAY, b"ls\0-l\0"),
            ParamValue::StrArray(vec!["ls".into(), "-l".into()])
        );
        let mut t = vec![PPM_AF_INET, 127, 0, 0, 1];
        t.extend(40000u16.to_le_bytes());
        t.extend([127, 0, 0, 2]);
        t.extend(80u16.to_le_bytes());
        assert_eq!(
            decode_param(abi::PT_SOCKTUPLE, &t),
            ParamValue::SockTuple {
                src: SockAddr::Inet {
                    ip: "127.0.0.1".parse().unwrap(),
                    port: 40000
                },
                dst: SockAddr::Inet {
                    ip: "127.0.0.2".parse().unwrap(),
                    port: 80
                },
            }
        );
        assert_eq!(decode_param(abi::PT_INT64, &[]), ParamValue::Empty);
    }

    #[test]
    fn carrier_follows_the_event_table() {
        // kill's pid and sig: enter event up to libs 0.21, exit event from 0.22.
        let d = carrier("kill", &["pid", "sig"]).expect("some kill event carries pid and sig");
        let exit_has = current_events("kill")
            .any(|e| e.direction == Direction::Exit && e.params.iter().any(|p| p.name == "sig"));
        assert_eq!(d == Direction::Exit, exit_has, "{d:?}");
        // the result is only ever in the exit event
        assert_eq!(carrier("kill", &["res"]), Some(Direction::Exit));
        assert_eq!(carrier("kill", &["no_such_param"]), None);
        // a syscall without an event of its own is the generic event, which always has an exit
        assert_eq!(carrier("pause", &[]), Some(Direction::Exit));
    }

    #[test]
    fn event_table_has_the_syscalls_we_assert() {
        let t = event_table();
        assert!(t.len() > 300, "event table too small: {}", t.len());
        let open_x = t
            .iter()
            .find(|e| {
                e.name == "openat"
                    && e.direction == Direction::Exit
                    && e.flags & abi::EF_OLD_VERSION == 0
            })
            .unwrap();
        let names: Vec<_> = open_x.params.iter().map(|p| p.name).collect();
        assert!(
            names.contains(&"fd") && names.contains(&"name"),
            "{names:?}"
        );
    }
}

#[cfg(test)]
mod props {
    //! Property tests of the param decoder: never panics, never reads past the event.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Arbitrary bytes under any event code (known or not): the decoder returns at most the
        /// params the header claims whose bytes are all there, and never panics.
        #[test]
        fn the_decoder_takes_any_bytes(code in 0u16..600, raw in proptest::collection::vec(any::<u8>(), 0..400)) {
            let ps = decode_raw_params(code, &raw);
            if raw.len() >= EVT_HDR_LEN {
                let n = u32::from_le_bytes(raw[22..26].try_into().unwrap()) as usize;
                prop_assert!(ps.len() <= n);
            } else {
                prop_assert!(ps.is_empty());
            }
        }

        /// A well-formed event of any code with params of any bytes decodes to as many params,
        /// each named by the table; a header claiming more params than its bytes hold gives the
        /// params that are whole.
        #[test]
        fn well_formed_events_decode_whole(
            code in 0u16..400,
            params in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8),
            cut in 0usize..64,
        ) {
            let code = code % event_table().len() as u16;
            // Large-payload events have 32-bit lengths (the encoder writes 16-bit ones).
            prop_assume!(event_table()[code as usize].flags & abi::EF_LARGE_PAYLOAD == 0);
            let slices: Vec<&[u8]> = params.iter().map(|p| p.as_slice()).collect();
            let enc = encode_event(code, 1, 2, &slices);
            let ps = decode_raw_params(code, &enc);
            prop_assert_eq!(ps.len(), params.len());
            let info = &event_table()[code as usize];
            for (j, p) in ps.iter().enumerate() {
                prop_assert_eq!(p.name, info.params.get(j).map_or("?", |i| i.name));
            }
            let short = &enc[..enc.len().saturating_sub(cut)];
            prop_assert!(decode_raw_params(code, short).len() <= params.len());
        }
    }
}
