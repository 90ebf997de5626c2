//! Batches of raw events: what the capture thread hands to consumers.
//!
//! The capture thread is the bottleneck of the pipeline (it runs libsinsp's parser and the field
//! extraction, which must happen before the next event changes sinsp's state), while the
//! consumer's thread is mostly idle. So the capture thread only copies each event's header, its
//! encoding (libscap's header, parameter lengths and bytes, in one piece) and the extracted field
//! values into a few flat buffers of its own batch, which it refills for the whole capture: no
//! per-event allocation, no per-event reference counting. A full batch is handed over as a copy
//! written past the caches ([`Batch::streamed_copy`]), or, when the capture thread is confined to
//! one CPU, as it is. Fields the header carries (`evt.num`, `evt.time`, `evt.type`, `evt.dir`,
//! `thread.tid`) are not extracted at all. The receiving side ([`Batch::take`]) builds the owned
//! [`Event`]s, decoding parameters and field values on the consumer's thread, so the allocations
//! are made and freed on the same thread.
use std::sync::Arc;

use compact_str::CompactString;

use crate::event::{decode_raw_params, Direction, Event, FieldNames, FieldValue};
use crate::ffi::{FieldRef, RawEvent};

/// Where an event's field value comes from: the shim's extraction, or the event's header (fields
/// the header already carries are not extracted and copied a second time on the capture thread).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    Shim,
    /// `evt.num`: the event number.
    Num,
    /// `evt.time`: the raw timestamp (its JSON value, as the shim's direct reader gives it).
    Time,
    /// `evt.type`: the event name as sq_next resolves it.
    Type,
    /// `evt.dir`: `>` or `<`.
    Dir,
    /// `thread.tid`: the thread id, null outside -1..=u32::MAX (libsinsp's should_extract_xid).
    Tid,
}

impl Source {
    fn of(field: &str) -> Source {
        match field {
            "evt.num" => Source::Num,
            "evt.time" => Source::Time,
            "evt.type" => Source::Type,
            "evt.dir" => Source::Dir,
            "thread.tid" => Source::Tid,
            _ => Source::Shim,
        }
    }
}

/// The fields the shim must extract: those the event header does not carry.
pub(crate) fn shim_fields(fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| Source::of(f) == Source::Shim)
        .cloned()
        .collect()
}

/// One event's header; its encoding is `raw_len` bytes of the batch's `bytes` from `raw_start`,
/// its field values the next range of the batch's `values`.
#[derive(Clone, Copy)]
struct Rec {
    num: u64,
    ts: u64,
    tid: i64,
    cpu: u16,
    code: u16,
    dir: Direction,
    is_main_thread: bool,
    category: u32,
    name: &'static str,
    raw_start: u32,
    raw_len: u32,
    values_end: u32,
}

/// The kind of a [`RawValue`].
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Null,
    I64,
    U64,
    F64,
    Bool,
    /// A string, UTF-8 not checked.
    Str,
    /// A string the shim has checked is ASCII.
    Ascii,
    /// JSON text.
    Json,
    /// A `&'static str`: its address in `bits`, its length in `len`.
    Static,
}

/// A field value: numbers inline in `bits`, strings as `len` bytes of `bytes` from `bits`
/// (a static string as its address and length).
#[derive(Clone, Copy)]
struct RawValue {
    kind: Kind,
    len: u32,
    bits: u64,
}

/// Up to [`Batch::capacity`] events in flat buffers.
pub(crate) struct Batch {
    fields: FieldNames,
    /// Per field (in `fields` order), where its value comes from.
    plan: Arc<[Source]>,
    recs: Vec<Rec>,
    values: Vec<RawValue>,
    bytes: Vec<u8>,
    /// Next record to hand out, and where its values start.
    next: usize,
    next_value: usize,
}

impl Batch {
    /// An empty batch for up to `events` events with these field names.
    pub(crate) fn with_capacity(fields: FieldNames, events: usize) -> Self {
        let plan = fields.iter().map(|f| Source::of(f)).collect();
        Batch::with_plan(fields, plan, events)
    }

    fn with_plan(fields: FieldNames, plan: Arc<[Source]>, events: usize) -> Self {
        Batch {
            plan,
            recs: Vec::with_capacity(events),
            values: Vec::with_capacity(events * fields.len()),
            bytes: Vec::with_capacity(events * 64),
            fields,
            next: 0,
            next_value: 0,
        }
    }

    /// An empty batch sized like this one (which is about to be handed over).
    pub(crate) fn sibling(&self) -> Self {
        let mut b = Batch::with_plan(self.fields.clone(), self.plan.clone(), self.recs.capacity());
        b.bytes.reserve(self.bytes.len());
        b
    }

    /// A copy of the batch's events in new buffers of their size, written with non-temporal
    /// stores (straight to memory, past the caches) where the CPU has them.
    ///
    /// The capture thread fills one batch again and again and hands over such copies: its own
    /// batch never leaves its CPU's cache, and the copies' cache lines are not owned by either CPU.
    /// Writing into memory the receiving CPU has just read (a batch it freed, reallocated) makes
    /// every store wait for that CPU to give the cache line up, which on this project's machine
    /// takes ~200 ns when the host runs the two vCPUs on cores apart (see BENCHMARKS.md).
    pub(crate) fn streamed_copy(&self) -> Self {
        let mut b = Batch::with_plan(self.fields.clone(), self.plan.clone(), 0);
        stream_into(&mut b.recs, &self.recs);
        stream_into(&mut b.values, &self.values);
        stream_into(&mut b.bytes, &self.bytes);
        store_fence();
        b
    }

    /// Empties the batch for reuse, keeping its buffers.
    pub(crate) fn reset(&mut self) {
        self.recs.clear();
        self.values.clear();
        self.bytes.clear();
        self.next = 0;
        self.next_value = 0;
    }

    /// Hands the batch's events out again from the first (benchmarks decode the same batches
    /// repeatedly).
    pub(crate) fn rewind(&mut self) {
        self.next = 0;
        self.next_value = 0;
    }

    /// Events in the batch (handed out or not).
    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    /// Whether the batch holds no event.
    pub(crate) fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Copies the inspector's current event in: its header, its encoding and its field values.
    pub(crate) fn push(&mut self, ev: &RawEvent<'_>) {
        let fields = ev.fields;
        // One reservation for all of the event's bytes, then plain copies: most pieces are a
        // few bytes, for which a reserve check and a memcpy call each cost more than the copy.
        let total = ev.bytes.len() + fields.text_len();
        self.bytes.reserve(total);
        self.values.reserve(fields.len());
        let raw_start = self.bytes.len() as u32;
        append_reserved(&mut self.bytes, ev.bytes);
        for f in fields.iter() {
            let (kind, bits, len) = match f {
                FieldRef::Null => (Kind::Null, 0, 0),
                FieldRef::I64(i) => (Kind::I64, i as u64, 0),
                FieldRef::U64(u) => (Kind::U64, u, 0),
                FieldRef::F64(d) => (Kind::F64, d.to_bits(), 0),
                FieldRef::Bool(b) => (Kind::Bool, b as u64, 0),
                // static storage: the address crosses, not the bytes
                FieldRef::Static(s) => (Kind::Static, s.as_ptr() as u64, s.len() as u32),
                FieldRef::Str(b) => (Kind::Str, self.append_text(b), b.len() as u32),
                FieldRef::Ascii(b) => (Kind::Ascii, self.append_text(b), b.len() as u32),
                FieldRef::Json(b) => (Kind::Json, self.append_text(b), b.len() as u32),
            };
            self.values.push(RawValue { kind, len, bits });
        }
        self.recs.push(Rec {
            num: ev.num,
            ts: ev.ts,
            tid: ev.tid,
            cpu: ev.cpu,
            code: ev.code,
            dir: ev.direction,
            is_main_thread: ev.is_main_thread,
            category: ev.category,
            name: ev.name,
            raw_start,
            raw_len: ev.bytes.len() as u32,
            values_end: self.values.len() as u32,
        });
    }

    /// Appends a value's bytes; returns where they start.
    #[inline(always)]
    fn append_text(&mut self, b: &[u8]) -> u64 {
        let start = self.bytes.len() as u64;
        append_reserved(&mut self.bytes, b);
        start
    }

    /// The next event not yet handed out, decoded into an owned [`Event`].
    pub(crate) fn take(&mut self) -> Option<Event> {
        let r = self.recs.get(self.next)?;
        self.next += 1;
        let bytes = &self.bytes;
        let raw = &bytes[r.raw_start as usize..(r.raw_start + r.raw_len) as usize];
        let params = decode_raw_params(r.code, raw);
        let mut values = self.values[self.next_value..r.values_end as usize].iter();
        let mut field_values = Vec::with_capacity(self.plan.len());
        for (source, slot) in self.plan.iter().zip(field_values.spare_capacity_mut()) {
            match source {
                Source::Shim => match values.next() {
                    Some(v) => write_field_value(slot, v, bytes),
                    None => {
                        slot.write(FieldValue::Null);
                    }
                },
                Source::Num => {
                    slot.write(FieldValue::U64(r.num));
                }
                Source::Time => {
                    slot.write(FieldValue::I64(r.ts as i64));
                }
                Source::Type => {
                    slot.write(FieldValue::Str(static_text(r.name)));
                }
                Source::Dir => {
                    slot.write(FieldValue::Str(static_text(r.dir.as_str())));
                }
                Source::Tid => {
                    slot.write(if (-1..=u32::MAX as i64).contains(&r.tid) {
                        FieldValue::I64(r.tid)
                    } else {
                        FieldValue::Null
                    });
                }
            }
        }
        // SAFETY: the loop above initialised one slot per field.
        unsafe { field_values.set_len(self.plan.len()) };
        self.next_value = r.values_end as usize;
        Some(Event {
            num: r.num,
            ts: r.ts,
            tid: r.tid,
            cpu: r.cpu,
            code: r.code,
            name: r.name,
            direction: r.dir,
            category: r.category,
            is_main_thread: r.is_main_thread,
            params,
            field_names: self.fields.clone(),
            field_values,
        })
    }
}

/// Writes the value into `slot`. Each variant is written where it is built: a value built in one
/// place for all variants and then copied makes the copy (wide loads of narrow stores) stall on
/// every field.
#[inline(always)]
fn write_field_value(slot: &mut std::mem::MaybeUninit<FieldValue>, v: &RawValue, bytes: &[u8]) {
    // the value's bytes in the batch, for the kinds that put them there
    let b = || &bytes[v.bits as usize..v.bits as usize + v.len as usize];
    match v.kind {
        Kind::I64 => slot.write(FieldValue::I64(v.bits as i64)),
        Kind::U64 => slot.write(FieldValue::U64(v.bits)),
        Kind::F64 => slot.write(FieldValue::F64(f64::from_bits(v.bits))),
        Kind::Bool => slot.write(FieldValue::Bool(v.bits != 0)),
        Kind::Str | Kind::Ascii => {
            let b = b();
            // Nearly every value is ASCII: the shim flags some it has checked, the others are
            // checked here, inline. Each branch writes its own value into the slot: a value
            // merged from both branches would go through a stack temporary whose copy stalls.
            if v.kind == Kind::Ascii || b.is_ascii() {
                // SAFETY: ASCII is valid UTF-8 (the shim checked `Ascii` values, the others
                // were checked just now).
                let s = unsafe { std::str::from_utf8_unchecked(b) };
                slot.write(FieldValue::Str(CompactString::from(s)))
            } else {
                slot.write(FieldValue::Str(text_not_ascii(b)))
            }
        }
        Kind::Static => {
            // SAFETY: `push` writes this kind only from a `&'static str`, its address in `bits`
            // and its length in `len`: the same, valid, string again.
            let s: &'static str = unsafe {
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                    v.bits as usize as *const u8,
                    v.len as usize,
                ))
            };
            slot.write(FieldValue::Str(static_text(s)))
        }
        Kind::Json => {
            let t = text(b());
            slot.write(
                serde_json::from_str(t.as_str())
                    .map(FieldValue::Json)
                    .unwrap_or(FieldValue::Str(t)),
            )
        }
        Kind::Null => slot.write(FieldValue::Null),
    };
}

/// A string with static storage as a value: short ones (all of libs' event, category and result
/// names) copied inline through registers, which is cheaper than `CompactString::const_new`'s
/// reference for them (it copies those through a stack buffer, whose reload stalls); longer ones
/// by reference.
#[inline(always)]
fn static_text(s: &'static str) -> CompactString {
    if s.len() <= std::mem::size_of::<String>() {
        CompactString::from(s)
    } else {
        CompactString::const_new(s)
    }
}

/// The bytes as a string, copied once (inline, without allocating, up to 24 bytes).
#[inline(always)]
fn text(b: &[u8]) -> CompactString {
    if b.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return CompactString::from(unsafe { std::str::from_utf8_unchecked(b) });
    }
    text_not_ascii(b)
}

/// The bytes that are not ASCII as a string: UTF-8 as it is, anything else made valid.
#[cold]
#[inline(never)]
fn text_not_ascii(b: &[u8]) -> CompactString {
    match std::str::from_utf8(b) {
        Ok(s) => CompactString::from(s),
        Err(_) => CompactString::from(String::from_utf8_lossy(b)),
    }
}

/// Copies `src` into `dst` (empty), which is allocated for exactly `src.len()` items; the bytes
/// go out with non-temporal stores ([`store_fence`] must follow before another thread reads them).
/// Only for plain data (`Rec`, `RawValue`, bytes: no drop, no pointer into `src`).
fn stream_into<T: Copy>(dst: &mut Vec<T>, src: &[T]) {
    dst.reserve_exact(src.len());
    let n = std::mem::size_of_val(src);
    // SAFETY: `dst` has room for `src.len()` items (reserved above); the ranges do not overlap;
    // T is Copy, so a bitwise copy is a valid value.
    unsafe {
        stream_bytes(dst.as_mut_ptr() as *mut u8, src.as_ptr() as *const u8, n);
        dst.set_len(src.len());
    }
}

/// Copies `n` bytes, the 16-byte aligned middle with non-temporal stores.
///
/// # Safety
/// `dst` and `src` must be valid for `n` bytes and must not overlap.
#[cfg(target_arch = "x86_64")]
unsafe fn stream_bytes(dst: *mut u8, src: *const u8, n: usize) {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
    // SAFETY: every access below is within the `n` bytes the caller vouches for.
    unsafe {
        let head = (dst.align_offset(16)).min(n);
        std::ptr::copy_nonoverlapping(src, dst, head);
        let mut i = head;
        while i + 16 <= n {
            let v = _mm_loadu_si128(src.add(i) as *const __m128i);
            _mm_stream_si128(dst.add(i) as *mut __m128i, v);
            i += 16;
        }
        std::ptr::copy_nonoverlapping(src.add(i), dst.add(i), n - i);
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn stream_bytes(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: as the caller vouches.
    unsafe { std::ptr::copy_nonoverlapping(src, dst, n) };
}

/// Orders the non-temporal stores before it ahead of every store after it (the channel's send
/// that publishes the copy).
fn store_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: sfence has no preconditions (SSE, part of x86_64's baseline).
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

/// Appends `src` to `out`, which has room for it (else it grows first). Up to 16 bytes (most
/// params and field values) are copied with two overlapping 8-byte moves or byte moves, inline.
#[inline(always)]
fn append_reserved(out: &mut Vec<u8>, src: &[u8]) {
    let n = src.len();
    if n == 0 {
        return;
    }
    if out.capacity() - out.len() < n {
        // never taken when the caller reserved (every caller does); keeps the copy sound anyway
        out.reserve(n);
    }
    let len = out.len();
    // SAFETY: `out` has room for `n` more bytes (checked above) and `src` is `n` bytes; the
    // ranges do not overlap (`src` is not inside `out`'s spare capacity, which no slice
    // borrows).
    unsafe {
        let src = src.as_ptr();
        let dst = out.as_mut_ptr().add(len);
        if (8..=16).contains(&n) {
            let a = std::ptr::read_unaligned(src as *const u64);
            let b = std::ptr::read_unaligned(src.add(n - 8) as *const u64);
            std::ptr::write_unaligned(dst as *mut u64, a);
            std::ptr::write_unaligned(dst.add(n - 8) as *mut u64, b);
        } else if n < 8 {
            for i in 0..n {
                *dst.add(i) = *src.add(i);
            }
        } else {
            std::ptr::copy_nonoverlapping(src, dst, n);
        }
        out.set_len(len + n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{event_table, ParamValue};
    use crate::ffi::{Fields, TestFields};

    /// Pushes an event of type `read` exit (res, data) with the given field values.
    fn push_read_x(b: &mut Batch, num: u64, res: i64, data: &[u8], values: &[FieldRef<'_>]) {
        let code = event_table()
            .iter()
            .position(|e| e.name == "read" && e.direction == Direction::Exit)
            .unwrap();
        let enc =
            crate::event::encode_event(code as u16, 1000 + num, 42, &[&res.to_le_bytes(), data]);
        let values = TestFields::new(values);
        b.push(&raw_event(num, code as u16, &enc, values.fields()));
    }

    /// An event as the inspector hands it out: type `code`, exit, thread 42, `enc` its encoding.
    pub(super) fn raw_event<'a>(
        num: u64,
        code: u16,
        enc: &'a [u8],
        fields: Fields<'a>,
    ) -> RawEvent<'a> {
        RawEvent {
            num,
            ts: 1000 + num,
            tid: 42,
            code,
            direction: Direction::Exit,
            is_main_thread: false,
            category: 7,
            cpu: 0,
            name: "read",
            bytes: enc,
            fields,
        }
    }

    #[test]
    fn events_come_out_as_they_went_in() {
        let names: FieldNames = Arc::from(
            ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
                .map(String::from)
                .to_vec(),
        );
        let mut b = Batch::with_capacity(names.clone(), 4);
        let vals = [
            FieldRef::I64(-5),
            FieldRef::U64(u64::MAX),
            FieldRef::F64(1.5),
            FieldRef::Bool(true),
            FieldRef::Str(b"fd=3(<f>/etc/passwd) size=4096, longer than inline"),
            FieldRef::Json(b"[1,2]"),
            FieldRef::Null,
            FieldRef::Static("SUCCESS"),
            FieldRef::Ascii(b"/dev/null"),
        ];
        push_read_x(&mut b, 1, 4, b"root", &vals);
        let bad = [0xffu8, b'x'];
        let vals2 = [FieldRef::Str(&bad), FieldRef::Str("café".as_bytes())];
        push_read_x(&mut b, 2, -2, b"", &vals2);
        assert_eq!(b.len(), 2);

        let e = b.take().unwrap();
        assert_eq!((e.num, e.ts, e.tid, e.name), (1, 1001, 42, "read"));
        assert_eq!(e.direction, Direction::Exit);
        assert_eq!(e.param("res"), Some(&ParamValue::Int(4)));
        assert_eq!(e.param("data"), Some(&ParamValue::Bytes(b"root".to_vec())));
        let got: Vec<_> = e
            .fields()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        assert_eq!(got[0], ("a".into(), FieldValue::I64(-5)));
        assert_eq!(got[1].1, FieldValue::U64(u64::MAX));
        assert_eq!(got[2].1, FieldValue::F64(1.5));
        assert_eq!(got[3].1, FieldValue::Bool(true));
        assert_eq!(
            got[4].1.as_str(),
            Some("fd=3(<f>/etc/passwd) size=4096, longer than inline")
        );
        assert_eq!(got[5].1, FieldValue::Json(serde_json::json!([1, 2])));
        assert!(got[6].1.is_null());
        assert_eq!(got[7].1.as_str(), Some("SUCCESS"));
        assert_eq!(got[8].1.as_str(), Some("/dev/null"));

        // the second event's params and values start where the first one's ended
        let e = b.take().unwrap();
        assert_eq!(e.num, 2);
        assert_eq!(e.param("res"), Some(&ParamValue::Int(-2)));
        assert_eq!(e.param("data"), Some(&ParamValue::Empty));
        assert_eq!(
            e.field_str("a"),
            Some("\u{fffd}x"),
            "invalid UTF-8 is replaced"
        );
        assert_eq!(
            e.field_str("b"),
            Some("café"),
            "UTF-8 that is not ASCII is kept"
        );
        assert!(b.take().is_none());

        // a reset batch starts over (the one-thread bench loop reuses its batch)
        b.reset();
        assert!(b.is_empty());
        push_read_x(&mut b, 3, 0, b"z", &vals2[..0]);
        let e = b.take().unwrap();
        assert_eq!(e.num, 3);
        assert!(
            e.fields().all(|(_, v)| v.is_null()),
            "every field has a value, null when the shim gave none"
        );
        assert_eq!(e.param("data"), Some(&ParamValue::Bytes(b"z".to_vec())));
    }

    #[test]
    fn a_streamed_copy_hands_out_the_same_events_and_the_batch_refills() {
        let names: FieldNames = Arc::from(["a", "b"].map(String::from).to_vec());
        let mut b = Batch::with_capacity(names, 8);
        // strings of many lengths, so that copies end at every offset of a 16-byte block
        let texts: Vec<String> = (0..40).map(|i| "x".repeat(i)).collect();
        for (i, t) in texts.iter().enumerate() {
            push_read_x(
                &mut b,
                i as u64,
                i as i64,
                t.as_bytes(),
                &[FieldRef::I64(i as i64), FieldRef::Str(t.as_bytes())],
            );
        }
        let mut copy = b.streamed_copy();
        assert_eq!(copy.len(), texts.len());
        for (i, t) in texts.iter().enumerate() {
            let (e, f) = (b.take().unwrap(), copy.take().unwrap());
            assert_eq!(
                (f.num, f.field_i64("a"), f.field_str("b")),
                (i as u64, Some(i as i64), Some(t.as_str()))
            );
            assert_eq!(e.param("data"), f.param("data"));
            assert_eq!(format!("{e:?}"), format!("{f:?}"));
        }
        assert!(copy.take().is_none());
        // the copy owns its buffers: the original is refilled while the copy is kept
        b.reset();
        push_read_x(&mut b, 99, 0, b"", &[FieldRef::I64(39)]);
        assert_eq!(b.take().unwrap().num, 99);
        assert_eq!(copy.len(), texts.len());

        // every length and alignment of the raw copy
        let src: Vec<u8> = (0..=255u8).collect();
        for start in 0..17 {
            for len in 0..(src.len() - start) {
                let mut dst = vec![0u8; len + 32];
                let off = (start * 7) % 16;
                // SAFETY: both ranges are in bounds and distinct vectors.
                unsafe { stream_bytes(dst.as_mut_ptr().add(off), src.as_ptr().add(start), len) };
                store_fence();
                assert_eq!(&dst[off..off + len], &src[start..start + len]);
                assert!(dst[..off].iter().chain(&dst[off + len..]).all(|&x| x == 0));
            }
        }
    }

    #[test]
    fn header_fields_come_from_the_header_not_the_shim() {
        let names: FieldNames = Arc::from(
            [
                "evt.num",
                "a",
                "evt.type",
                "evt.dir",
                "thread.tid",
                "evt.time",
            ]
            .map(String::from)
            .to_vec(),
        );
        assert_eq!(shim_fields(&names), ["a"]);
        let mut b = Batch::with_capacity(names, 2);
        push_read_x(&mut b, 5, 1, b"x", &[FieldRef::I64(7)]);
        let e = b.take().unwrap();
        let got: Vec<_> = e.fields().map(|(k, v)| (k, v.clone())).collect();
        assert_eq!(
            got,
            [
                ("evt.num", FieldValue::U64(5)),
                ("a", FieldValue::I64(7)),
                ("evt.type", FieldValue::Str("read".into())),
                ("evt.dir", FieldValue::Str("<".into())),
                ("thread.tid", FieldValue::I64(42)),
                ("evt.time", FieldValue::I64(1005)),
            ]
        );
    }
}

#[cfg(test)]
mod props {
    //! Property tests: any events through a batch and back, on both hand-over paths.
    use super::*;
    use crate::event::{encode_event, event_table, ParamValue};
    use crate::ffi::TestFields;
    use proptest::prelude::*;

    fn read_x() -> u16 {
        event_table()
            .iter()
            .position(|e| e.name == "read" && e.direction == Direction::Exit)
            .unwrap() as u16
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

        /// Events of any payload and field text, any count (beyond the batch's capacity hint),
        /// come out of the batch and out of its streamed copy exactly as they went in.
        #[test]
        fn any_events_round_trip(
            evs in proptest::collection::vec(
                (any::<i64>(), proptest::collection::vec(any::<u8>(), 0..300), ".{0,80}", any::<i64>()),
                1..40,
            ),
            cap in 1usize..8,
        ) {
            let names: FieldNames = Arc::from(["a", "b"].map(String::from).to_vec());
            let mut b = Batch::with_capacity(names, cap);
            let code = read_x();
            let encs: Vec<Vec<u8>> = evs
                .iter()
                .enumerate()
                .map(|(i, (res, data, _, _))| {
                    encode_event(code, 1000 + i as u64, 42, &[&res.to_le_bytes(), data])
                })
                .collect();
            for (i, ((_, _, text, n), enc)) in evs.iter().zip(&encs).enumerate() {
                let vals = TestFields::new(&[FieldRef::I64(*n), FieldRef::Str(text.as_bytes())]);
                b.push(&super::tests::raw_event(i as u64, code, enc, vals.fields()));
            }
            let mut copy = b.streamed_copy();
            prop_assert_eq!(copy.len(), evs.len());
            for (i, (res, data, text, n)) in evs.iter().enumerate() {
                let (e, f) = (b.take().unwrap(), copy.take().unwrap());
                prop_assert_eq!(e.num, i as u64);
                prop_assert_eq!(e.param("res"), Some(&ParamValue::Int(*res)));
                let want = if data.is_empty() { ParamValue::Empty } else { ParamValue::Bytes(data.clone()) };
                prop_assert_eq!(e.param("data"), Some(&want));
                prop_assert_eq!(e.field_i64("a"), Some(*n));
                prop_assert_eq!(e.field_str("b"), Some(text.as_str()));
                prop_assert_eq!(format!("{e:?}"), format!("{f:?}"));
            }
            prop_assert!(b.take().is_none() && copy.take().is_none());
        }
    }
}
