//! Cross-check of the in-process capture against `sinsp-example`, the reference program built
//! from the same libs source, on the same capture file.
//!
//! Both print the same sinsp fields as JSON (sinsp-example with `-o "*%f1 %f2 ..." -j -a`, we
//! with [`crate::Event`]'s serialisation); events are paired by `evt.num` and every field both
//! print is compared. Differences are reported per field with both values.
//!
//! Normalisations (only representation, never content):
//! 1. Numbers are compared by value (`1` == `1.0`): jsoncpp and serde_json format doubles
//!    differently, and sinsp-example may print an integral double as an integer.
//! 2. Text that is not valid UTF-8 is compared after lossy UTF-8 decoding on both sides:
//!    libs passes raw bytes through, and each side's JSON writer escapes them its own way.
//!    No other difference is tolerated.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde::Serialize;
use serde_json::Value;

use crate::capture::Capture;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// The fields compared by default: header, process, user, fd and the rendered arguments.
pub const CROSSCHECK_FIELDS: &[&str] = &[
    "evt.num",
    "evt.time",
    "evt.rawtime",
    "evt.type",
    "evt.dir",
    "evt.cpu",
    "evt.category",
    "evt.res",
    "evt.rawres",
    "evt.args",
    "thread.tid",
    "proc.pid",
    "proc.ppid",
    "proc.vpid",
    "proc.name",
    "proc.pname",
    "proc.exe",
    "proc.exepath",
    "proc.cmdline",
    "proc.cwd",
    "user.uid",
    "user.name",
    "group.gid",
    "fd.num",
    "fd.name",
    "fd.type",
    "fd.typechar",
    "fd.directory",
    "fd.l4proto",
    "fd.sip",
    "fd.sport",
    "fd.cip",
    "fd.cport",
];

/// One field that differs on one event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mismatch {
    /// evt.num of the event.
    pub evt_num: u64,
    /// The field.
    pub field: String,
    /// Our value.
    pub ours: Value,
    /// sinsp-example's value.
    pub reference: Value,
}

/// The result of a cross-check.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CrossReport {
    /// Events we produced.
    pub ours: usize,
    /// Events sinsp-example produced.
    pub reference: usize,
    /// Events present on both sides (paired by evt.num).
    pub events_compared: usize,
    /// Field values compared.
    pub fields_compared: u64,
    /// Every differing field.
    pub mismatches: Vec<Mismatch>,
    /// evt.num printed by sinsp-example only.
    pub only_reference: Vec<u64>,
    /// evt.num printed by us only.
    pub only_ours: Vec<u64>,
}

impl CrossReport {
    /// Whether both sides agree completely.
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty() && self.only_reference.is_empty() && self.only_ours.is_empty()
    }

    /// Human summary: counts, mismatches by field, then each mismatch (at most `limit`).
    pub fn render(&self, limit: usize) -> String {
        use std::fmt::Write;
        let mut s = format!(
            "events: ours {}, sinsp-example {}, compared {}; fields compared {}; mismatches {}\n",
            self.ours,
            self.reference,
            self.events_compared,
            self.fields_compared,
            self.mismatches.len()
        );
        let mut by_field: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &self.mismatches {
            *by_field.entry(&m.field).or_default() += 1;
        }
        for (f, n) in &by_field {
            let _ = writeln!(s, "  {f}: {n} mismatches");
        }
        if !self.only_reference.is_empty() {
            let _ = writeln!(
                s,
                "  only in sinsp-example: {} events, first evt.num {:?}",
                self.only_reference.len(),
                &self.only_reference[..self.only_reference.len().min(10)]
            );
        }
        if !self.only_ours.is_empty() {
            let _ = writeln!(
                s,
                "  only in ours: {} events, first evt.num {:?}",
                self.only_ours.len(),
                &self.only_ours[..self.only_ours.len().min(10)]
            );
        }
        for m in self.mismatches.iter().take(limit) {
            let _ = writeln!(
                s,
                "  evt.num={} {}: ours {} vs sinsp-example {}",
                m.evt_num, m.field, m.ours, m.reference
            );
        }
        if self.mismatches.len() > limit {
            let _ = writeln!(s, "  ... {} more", self.mismatches.len() - limit);
        }
        s
    }
}

/// Normalises a value for comparison (see the module documentation).
fn normalise(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map(Value::from).unwrap_or_else(|| v.clone()),
        Value::String(s) => Value::String(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        other => other.clone(),
    }
}

/// Compares two lists of JSON events (objects keyed by field name), paired by `evt.num`.
pub fn compare(ours: &[Value], reference: &[Value]) -> CrossReport {
    let key = |v: &Value| v.get("evt.num").and_then(Value::as_u64);
    let theirs: BTreeMap<u64, &Value> = reference
        .iter()
        .filter_map(|v| key(v).map(|k| (k, v)))
        .collect();
    let mine: BTreeMap<u64, &Value> = ours.iter().filter_map(|v| key(v).map(|k| (k, v))).collect();
    let mut r = CrossReport {
        ours: ours.len(),
        reference: reference.len(),
        ..Default::default()
    };
    r.only_reference = theirs
        .keys()
        .filter(|k| !mine.contains_key(k))
        .copied()
        .collect();
    r.only_ours = mine
        .keys()
        .filter(|k| !theirs.contains_key(k))
        .copied()
        .collect();
    for (num, a) in &mine {
        let Some(b) = theirs.get(num) else { continue };
        r.events_compared += 1;
        let (Some(ao), Some(bo)) = (a.as_object(), b.as_object()) else {
            continue;
        };
        for (field, av) in ao {
            let Some(bv) = bo.get(field) else { continue };
            r.fields_compared += 1;
            if normalise(av) != normalise(bv) {
                r.mismatches.push(Mismatch {
                    evt_num: *num,
                    field: field.clone(),
                    ours: av.clone(),
                    reference: (*bv).clone(),
                });
            }
        }
    }
    r
}

/// Runs sinsp-example on `file` and returns its JSON events for `fields`.
pub fn reference_events(file: &Path, filter: Option<&str>, fields: &[&str]) -> Result<Vec<Value>> {
    let fmt = format!(
        "*{}",
        fields
            .iter()
            .map(|f| format!("%{f}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut cmd = Command::new(crate::SINSP_EXAMPLE);
    cmd.arg("-s").arg(file).args(["-o", &fmt, "-j", "-a"]);
    if let Some(f) = filter {
        cmd.args(["-f", f]);
    }
    let out = cmd.output()?;
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&out.status) {
        return Err(Error::Libs(format!(
            "sinsp-example (libs' own example, built from the same libs) crashed ({}) on {}: a libs bug; {}",
            crate::guard::signal_name(sig),
            file.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .trim()
        )));
    }
    if !out.status.success() {
        return Err(Error::Libs(format!(
            "sinsp-example failed on {} ({}): {}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            serde_json::from_str(l)
                .map_err(|e| Error::Libs(format!("sinsp-example printed bad JSON {l:?}: {e}")))
        })
        .collect()
}

/// Replays `file` in-process and returns our JSON events for `fields`. In a guarded child
/// (`sinspqa crosscheck`), each event handed out is recorded, so that a libsinsp crash on the
/// file is reported with the last event before it.
pub fn our_events(file: &Path, filter: Option<&str>, fields: &[&str]) -> Result<Vec<Value>> {
    let progress = crate::guard::Progress::child();
    let mut b = Capture::builder()
        .engine(Engine::Savefile(file.to_path_buf()))
        .fields(fields.iter().copied());
    if let Some(f) = filter {
        b = b.filter(f);
    }
    let cap = b.open()?;
    let evs: Vec<Value> = cap
        .events()
        .iter()
        .inspect(|e| {
            if let Some(p) = &progress {
                p.handed_out(e.num);
            }
        })
        .map(|e| serde_json::to_value(&e).unwrap_or_default())
        .collect();
    cap.finish()?;
    Ok(evs)
}

/// Cross-checks `file` with the given filter and fields (default: [`CROSSCHECK_FIELDS`]).
pub fn crosscheck(
    file: &Path,
    filter: Option<&str>,
    fields: Option<&[&str]>,
) -> Result<CrossReport> {
    let fields = fields.unwrap_or(CROSSCHECK_FIELDS);
    // Ours first: where libsinsp crashes on the file, the guard reports it as such.
    let ours = our_events(file, filter, fields)?;
    let reference = reference_events(file, filter, fields)?;
    Ok(compare(&ours, &reference))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identical_sides_agree() {
        let a = vec![
            json!({"evt.num": 1, "evt.type": "openat", "fd.name": "/x"}),
            json!({"evt.num": 2, "evt.type": "read"}),
        ];
        let r = compare(&a, &a);
        assert!(r.ok(), "{}", r.render(10));
        assert_eq!((r.events_compared, r.fields_compared), (2, 5));
    }

    #[test]
    fn a_planted_difference_is_caught_with_both_values() {
        let reference = vec![
            json!({"evt.num": 7, "evt.type": "openat", "fd.name": "/etc/passwd", "proc.pid": 42}),
        ];
        let mut ours = reference.clone();
        ours[0]["fd.name"] = json!("/etc/shadow");
        let r = compare(&ours, &reference);
        assert!(!r.ok());
        assert_eq!(
            r.mismatches,
            vec![Mismatch {
                evt_num: 7,
                field: "fd.name".into(),
                ours: json!("/etc/shadow"),
                reference: json!("/etc/passwd")
            }]
        );
        let text = r.render(10);
        assert!(text.contains("fd.name: 1 mismatches"), "{text}");
        assert!(
            text.contains(
                "evt.num=7 fd.name: ours \"/etc/shadow\" vs sinsp-example \"/etc/passwd\""
            ),
            "{text}"
        );
    }

    #[test]
    fn missing_events_on_either_side_fail() {
        let a = vec![json!({"evt.num": 1}), json!({"evt.num": 2})];
        let b = vec![json!({"evt.num": 2}), json!({"evt.num": 3})];
        let r = compare(&a, &b);
        assert!(!r.ok());
        assert_eq!(
            (r.only_ours.clone(), r.only_reference.clone()),
            (vec![1], vec![3])
        );
    }

    #[test]
    fn only_representation_is_normalised() {
        let a = vec![json!({"evt.num": 1, "x": 1, "s": "a"})];
        let b = vec![json!({"evt.num": 1, "x": 1.0, "s": "a"})];
        assert!(compare(&a, &b).ok());
        let c = vec![json!({"evt.num": 1, "x": 2, "s": "a"})];
        assert!(!compare(&a, &c).ok());
    }
}
